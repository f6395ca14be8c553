// Open Inference Protocol V2 REST bodies: JSON requests and responses with typed tensors,
// flat or nested `data`, parameters, requested outputs, and the binary tensor extension.
// Stateless functions; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serving/tensor.h"

namespace skiff::serving {

struct V2DecodeOptions {
  // Model named in error messages ("... for model 'm'"), as Triton words them. May be empty.
  std::string_view model_name;
  // Most elements one tensor may hold. Checked from the shape before any data is read or
  // allocated, so a hostile shape like [1000000000000] costs nothing.
  int64_t max_elements = int64_t{1} << 28;
  // Most bytes one tensor's data may occupy once decoded.
  int64_t max_bytes = int64_t{1} << 30;
  // Highest tensor rank accepted.
  size_t max_rank = 32;
  // Accept FP16 as JSON numbers (stored as IEEE half, round-to-nearest-even). Triton and
  // KServe refuse them ("use the binary data format"); off by default to match.
  bool allow_fp16_json = false;
};

// Decodes a V2 inference request. `json_header_length` is the Inference-Header-Content-Length
// value when present: the first that many bytes are JSON and the rest are the inputs that
// carry `parameters.binary_data_size`, in input order.
//
// Checks: known datatype, non-negative integer shape, element count == product(shape),
// nesting that matches the shape (or flat data), per-type value ranges, BYTES as strings,
// binary sizes and BYTES layouts, no leftover binary bytes. Errors:
//  - 422 RequestValidationError for schema failures (missing or mistyped fields), as
//    KServe's FastAPI layer answers them;
//  - 400 InvalidArgument for everything else, in Triton's words where Triton has them;
//  - 413 ResourceExhausted when a tensor exceeds max_elements / max_bytes.
// Transport-only parameters (`binary_data_size`, `binary_data`, `binary_data_output`) are
// removed from the parameter maps and reflected in typed fields instead.
StatusOr<InferRequest> DecodeV2Request(std::string_view body,
                                       std::optional<size_t> json_header_length,
                                       const V2DecodeOptions& options = {});

// Client side of the same format (tests, benchmarks, the gateway): a response body with
// `outputs`, possibly followed by binary outputs.
StatusOr<InferResponse> DecodeV2Response(std::string_view body,
                                         std::optional<size_t> json_header_length,
                                         const V2DecodeOptions& options = {});

// An encoded body. When `json_header_length` is set, binary tensors follow the JSON: send it
// as Inference-Header-Content-Length with content type application/octet-stream.
struct V2Body {
  std::string bytes;
  std::optional<size_t> json_header_length;
};

// Which outputs to write and how, from the request.
struct V2ResponseOptions {
  // Default for outputs without their own `binary_data` (request `binary_data_output`).
  bool binary_data_output = false;
  // Non-empty: write only these outputs, in this order; a name the response lacks is an error.
  std::vector<RequestedOutput> requested_outputs;
};
V2ResponseOptions ResponseOptionsFor(const InferRequest& request);

// Encodes a response. Errors: 400 for a requested output the response lacks ("Unexpected
// inference output ...") or FP16 requested as JSON; 500 when an output's data does not match
// its shape or a BYTES output sent as JSON is not valid UTF-8.
StatusOr<V2Body> EncodeV2Response(const InferResponse& response,
                                  const V2ResponseOptions& options = {});

// Encodes a request (client side). `binary_inputs`: send every input's data in the binary
// tail instead of JSON.
StatusOr<V2Body> EncodeV2Request(const InferRequest& request, bool binary_inputs);

}  // namespace skiff::serving
