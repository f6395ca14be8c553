// Row batching of predict requests: which requests may share a model call (same input
// names, datatypes, trailing dimensions, outputs and parameters), concatenating their inputs
// along dimension 0, and splitting the outputs back per request.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "serving/runtime.h"
#include "serving/tensor.h"

namespace skiff::serving {

// Requests with equal keys can be concatenated. nullopt when the request cannot join a batch
// (no inputs, a scalar input, or inputs with different row counts).
std::optional<std::string> BatchKey(const PredictRequest& request);

// Rows (dimension 0) of a batchable request. REQUIRES: BatchKey(request) has a value.
int64_t BatchRows(const PredictRequest& request);

// One request made of all of `requests`' rows, in order. REQUIRES: equal BatchKeys.
PredictRequest ConcatRows(std::span<const PredictRequest* const> requests);

// Cuts each output into consecutive row ranges of `rows[i]` rows, giving one output list per
// request. Internal when an output's first dimension is not the total row count (the model
// broke the row contract) or its data does not match its shape.
StatusOr<std::vector<std::vector<Tensor>>> SplitRows(const std::vector<Tensor>& outputs,
                                                     std::span<const int64_t> rows);

}  // namespace skiff::serving
