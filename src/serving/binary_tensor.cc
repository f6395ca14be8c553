// Binary tensor extension: header length, BYTES layout checks, and the tail cursor.
#include "serving/binary_tensor.h"

#include <charconv>
#include <cstring>

namespace skiff::serving {

std::string ForModel(std::string_view model) {
  if (model.empty()) return "";
  return " for model '" + std::string(model) + "'";
}

StatusOr<size_t> ParseInferenceHeaderContentLength(std::string_view value) {
  size_t out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    return InvalidArgument("Unable to parse '" + std::string(kInferenceHeaderContentLength) +
                           "' header value '" + std::string(value) + "'");
  }
  return out;
}

std::optional<int64_t> CheckedElementCount(std::span<const int64_t> shape, int64_t limit) {
  int64_t count = 1;
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d == 0) zero = true;
  }
  if (zero) return 0;
  for (int64_t d : shape) {
    if (count > limit / d) return std::nullopt;
    count *= d;
  }
  if (count > limit) return std::nullopt;
  return count;
}

StatusOr<int64_t> CountBytesElements(std::string_view buffer) {
  int64_t count = 0;
  size_t pos = 0;
  while (pos < buffer.size()) {
    if (buffer.size() - pos < sizeof(uint32_t)) {
      return InvalidArgument("element byte size indicator exceeds the end of the buffer");
    }
    uint32_t len;
    std::memcpy(&len, buffer.data() + pos, sizeof(len));
    pos += sizeof(len);
    if (len > buffer.size() - pos) {
      return InvalidArgument("element byte size indicator exceeds the end of the buffer");
    }
    pos += len;
    ++count;
  }
  return count;
}

Status ValidateBytesTensor(std::string_view buffer, int64_t expected, std::string_view name,
                           std::string_view model) {
  SKIFF_ASSIGN_OR_RETURN(int64_t got, CountBytesElements(buffer));
  if (got != expected) {
    return InvalidArgument("expected " + std::to_string(expected) +
                           " string elements for inference input '" + std::string(name) + "'" +
                           ForModel(model) + ", got " + std::to_string(got));
  }
  return Status::Ok();
}

StatusOr<std::string_view> BinaryTail::Take(uint64_t size, std::string_view name,
                                            std::string_view model) {
  if (!present_) {
    return InvalidArgument(
        "must specify valid 'Infer-Header-Content-Length' in request header and "
        "'binary_data_size' when passing inputs in binary data format");
  }
  if (size > rest_.size()) {
    return InvalidArgument("unexpected size for input '" + std::string(name) + "', expecting " +
                           std::to_string(size - rest_.size()) + " additional bytes" +
                           ForModel(model));
  }
  std::string_view out = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return out;
}

Status BinaryTail::CheckConsumed(std::string_view model) const {
  if (!rest_.empty()) {
    return InvalidArgument("unexpected additional input data" + ForModel(model));
  }
  return Status::Ok();
}

}  // namespace skiff::serving
