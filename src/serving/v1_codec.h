// KServe V1 (TF-Serving style) bodies: `{"instances": [...]}` or `{"inputs": [...]}` in,
// `{"predictions": [...]}` out. `:explain` uses the same request body; its response is the
// runtime's own JSON, passed through untouched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serving/tensor.h"

namespace skiff::serving {

struct V1DecodeOptions {
  // Most numbers the rows may hold in total (the decoded FP64 tensor's element count).
  int64_t max_elements = int64_t{1} << 28;
};

struct V1Request {
  // The member that held the rows: "instances" or "inputs" (KServe takes either; "inputs" wins
  // when both are present, as in KServe's get_predict_input).
  std::string key;
  // Set when the rows form a regular array of numbers, as numpy.array(rows) would make
  // without dtype=object: a list of numbers gives shape [n], a list of equal-length number
  // lists [n, k], and so on. FP64, named after `key`. Integers above 2^53 lose precision.
  std::optional<Tensor> tensor;
  // Otherwise (feature-name dicts, strings, ragged or mixed rows): each row's JSON text,
  // minified, for the runtime to interpret.
  std::vector<std::string> rows;
};

// Errors (400): unparsable JSON "Unrecognized request format: ..."; not an object or neither
// key present 'Expected "instances" or "inputs" in request body'; a key that is not a list
// 'Expected "instances" to be a list' (KServe's words). 413 past max_elements.
StatusOr<V1Request> DecodeV1Request(std::string_view body, const V1DecodeOptions& options = {});

// `{"predictions":<tensor nested by its shape>}`: rank 1 gives a list of scalars, rank 2 a list
// of rows. Integer types stay integers, floats are written as Python's repr writes them.
StatusOr<std::string> EncodeV1Predictions(const Tensor& predictions);
// `{"predictions":<json>}` for runtimes that produce the JSON themselves. REQUIRES: `json`
// is one valid JSON value.
std::string EncodeV1PredictionsJson(std::string_view json);

}  // namespace skiff::serving
