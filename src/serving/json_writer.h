// Appending JSON writers for the response hot path: strings, numbers in Python's repr
// form, and parameter maps, written straight into the output buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "serving/tensor.h"

namespace skiff::serving {

// Appends `s` as a quoted JSON string. REQUIRES: valid UTF-8 (passed through unescaped);
// control characters and quotes are escaped.
void AppendJsonString(std::string& out, std::string_view s);

// Appends the shortest text that reads back as `value`, formatted as Python's repr() does
// (`1.0`, `0.0001`, `1e-05`, `1e+16`), so clients see what KServe's Python servers send for
// the same numbers. NaN and infinities, which JSON cannot carry, become `null`.
void AppendJsonDouble(std::string& out, double value);
void AppendJsonInt(std::string& out, int64_t value);
void AppendJsonUint(std::string& out, uint64_t value);

// Appends `{"key":value,...}`.
void AppendJsonParameters(std::string& out, const Parameters& parameters);

// Checks that `tensor.data` holds exactly ElementCount() elements of its datatype (BYTES:
// well-formed length prefixes). Internal "output tensor shape does not match size of output
// for 'X'" (Triton's wording) otherwise.
Status CheckTensorData(const Tensor& tensor);

// Appends the tensor's elements as a JSON array: flat, or nested by the shape (`nested`; a
// rank-0 tensor is then a bare scalar). Integers as integers, BOOL as true/false, FP16/FP32
// widened to double, BYTES as strings. Internal when CheckTensorData fails or a BYTES element
// is not valid UTF-8 (KServe answers that with a 500 InferenceError).
Status AppendTensorJson(std::string& out, const Tensor& tensor, bool nested);

// About how many bytes AppendTensorJson writes (a little more for typical values), for
// reserving the body once: each regrowth copies everything written so far.
size_t EstimateTensorJsonSize(const Tensor& tensor);

}  // namespace skiff::serving
