// The binary tensor extension (kserve.md §6): a JSON header of `Inference-Header-Content-Length`
// bytes followed by raw tensors in order, and the BYTES element layout (u32 LE length + bytes).
// Error messages follow Triton's HTTP frontend word for word, so clients see the same text.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::serving {

inline constexpr std::string_view kInferenceHeaderContentLength = "Inference-Header-Content-Length";

// Parses the header's value: decimal digits only. InvalidArgument otherwise.
StatusOr<size_t> ParseInferenceHeaderContentLength(std::string_view value);

// Product of `shape`; nullopt if a dimension is negative or the product exceeds `limit`
// (checked before multiplying, so a hostile shape cannot overflow).
std::optional<int64_t> CheckedElementCount(std::span<const int64_t> shape, int64_t limit);

// Number of BYTES elements in `buffer`. InvalidArgument "element byte size indicator exceeds
// the end of the buffer" when a length prefix or its bytes run past the end.
StatusOr<int64_t> CountBytesElements(std::string_view buffer);

// Checks that `buffer` holds exactly `expected` well-formed BYTES elements for tensor `name`;
// `model` (may be empty) only shapes the message.
Status ValidateBytesTensor(std::string_view buffer, int64_t expected, std::string_view name,
                           std::string_view model);

// Hands out the raw tensors that follow the JSON header, in request order.
class BinaryTail {
 public:
  // `present`: the request carried Inference-Header-Content-Length (binary inputs allowed).
  BinaryTail(std::string_view tail, bool present) : rest_(tail), present_(present) {}

  bool present() const { return present_; }
  // The next `size` bytes for tensor `name`; InvalidArgument when the header was absent or the
  // tail is shorter than `size`.
  StatusOr<std::string_view> Take(uint64_t size, std::string_view name, std::string_view model);
  // InvalidArgument when bytes remain after the last binary tensor.
  Status CheckConsumed(std::string_view model) const;

 private:
  std::string_view rest_;
  bool present_;
};

// " for model 'M'", or "" when `model` is empty (Triton's message suffix).
std::string ForModel(std::string_view model);

}  // namespace skiff::serving
