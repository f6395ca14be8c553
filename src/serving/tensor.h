// The data-plane model shared by every protocol: typed tensors, parameters, and the
// inference request/response that the V1, V2 REST and V2 gRPC codecs produce and consume.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace skiff::serving {

// Open Inference Protocol datatypes (kserve.md §6). Triton's BF16 is not accepted.
enum class DataType {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes,
};

// "BOOL", "UINT8", ..., "FP16", "FP32", "FP64", "BYTES".
std::string_view DataTypeName(DataType type);
// Case-sensitive, as the protocol says. nullopt for unknown names.
std::optional<DataType> DataTypeFromName(std::string_view name);
// Bytes per element; 0 for BYTES (variable-length).
size_t DataTypeSize(DataType type);

// IEEE 754 binary16, kept as its bit pattern (the wire form of FP16).
struct Fp16 {
  uint16_t bits = 0;
  bool operator==(const Fp16&) const = default;
};
// Round-to-nearest-even; overflow becomes infinity, NaN stays NaN.
Fp16 FloatToFp16(float value);
float Fp16ToFloat(Fp16 value);

// The C++ element type of a fixed-size datatype: bool, uint8_t ... int64_t, Fp16, float, double.
template <typename T>
constexpr std::optional<DataType> DataTypeOf() {
  if constexpr (std::is_same_v<T, bool>) return DataType::kBool;
  if constexpr (std::is_same_v<T, uint8_t>) return DataType::kUint8;
  if constexpr (std::is_same_v<T, uint16_t>) return DataType::kUint16;
  if constexpr (std::is_same_v<T, uint32_t>) return DataType::kUint32;
  if constexpr (std::is_same_v<T, uint64_t>) return DataType::kUint64;
  if constexpr (std::is_same_v<T, int8_t>) return DataType::kInt8;
  if constexpr (std::is_same_v<T, int16_t>) return DataType::kInt16;
  if constexpr (std::is_same_v<T, int32_t>) return DataType::kInt32;
  if constexpr (std::is_same_v<T, int64_t>) return DataType::kInt64;
  if constexpr (std::is_same_v<T, Fp16>) return DataType::kFp16;
  if constexpr (std::is_same_v<T, float>) return DataType::kFp32;
  if constexpr (std::is_same_v<T, double>) return DataType::kFp64;
  return std::nullopt;
}

// A protocol parameter value. JSON integers that do not fit int64 are kept as double.
using ParameterValue = std::variant<bool, int64_t, double, std::string>;

// Small ordered map of parameters (request, tensor or output level). Lookups are linear:
// requests carry a handful of parameters at most.
class Parameters {
 public:
  using Entry = std::pair<std::string, ParameterValue>;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Replaces an existing value with the same key, else appends.
  void Set(std::string key, ParameterValue value);
  // Returns whether the key was present.
  bool Erase(std::string_view key);
  // Null when absent.
  const ParameterValue* Find(std::string_view key) const;
  // nullopt when absent or of another type.
  std::optional<bool> GetBool(std::string_view key) const;
  std::optional<int64_t> GetInt(std::string_view key) const;
  std::optional<std::string_view> GetString(std::string_view key) const;

  bool operator==(const Parameters&) const = default;

 private:
  std::vector<Entry> entries_;
};

// A named, typed, shaped tensor. `data` holds the elements row-major, little-endian, no
// padding: the binary tensor extension's layout, so binary inputs and outputs need no
// conversion. BOOL is one byte 0/1. BYTES elements are each a 4-byte little-endian length
// followed by that many bytes.
//
// Typed views reinterpret `data`; std::string storage is at least 8-byte aligned (heap or
// in-object buffer), enough for every element type.
struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::string data;
  Parameters parameters;

  // Product of the shape (1 for a scalar, rank 0). REQUIRES: non-negative dims, no overflow
  // (what the decoders guarantee).
  int64_t ElementCount() const;

  // REQUIRES (checked): T is the element type of `datatype`, which is not BYTES.
  template <typename T>
  std::span<const T> Values() const {
    CheckType(DataTypeOf<T>());
    return {reinterpret_cast<const T*>(data.data()), data.size() / sizeof(T)};
  }
  template <typename T>
  std::span<T> MutableValues() {
    CheckType(DataTypeOf<T>());
    return {reinterpret_cast<T*>(data.data()), data.size() / sizeof(T)};
  }
  // Appends one element. REQUIRES (checked): T matches `datatype`.
  template <typename T>
  void Append(T value) {
    CheckType(DataTypeOf<T>());
    if constexpr (std::is_same_v<T, bool>) {
      data.push_back(value ? 1 : 0);
    } else {
      char raw[sizeof(T)];
      std::memcpy(raw, &value, sizeof(T));
      data.append(raw, sizeof(T));
    }
  }
  // Appends one BYTES element (length prefix + bytes). REQUIRES (checked): BYTES tensor.
  void AppendBytes(std::string_view element);
  // The BYTES elements in order. REQUIRES: BYTES tensor with a well-formed `data` (the
  // decoders validate it; see binary_tensor.h for untrusted buffers).
  std::vector<std::string_view> BytesElements() const;

  // Every numeric element converted to double (BOOL as 0/1, FP16 widened): what sklearn- and
  // XGBoost-style runtimes feed their models. InvalidArgument for BYTES.
  StatusOr<std::vector<double>> ToDoubles() const;
  StatusOr<std::vector<float>> ToFloats() const;

  bool operator==(const Tensor&) const = default;

 private:
  void CheckType(std::optional<DataType> want) const;
};

// Builds a tensor from typed values; the shape is the caller's (not checked against count).
template <typename T>
Tensor MakeTensor(std::string name, std::vector<int64_t> shape, std::span<const T> values) {
  Tensor t;
  t.name = std::move(name);
  t.datatype = *DataTypeOf<T>();
  t.shape = std::move(shape);
  if constexpr (std::is_same_v<T, bool>) {
    for (bool v : values) t.data.push_back(v ? 1 : 0);
  } else {
    t.data.assign(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
  return t;
}
Tensor MakeBytesTensor(std::string name, std::vector<int64_t> shape,
                       std::span<const std::string_view> elements);

// An output the client asked for (V2 `outputs[]`).
struct RequestedOutput {
  std::string name;
  // `parameters.binary_data`: nullopt means "use the request default"
  // (InferRequest::binary_data_output). Removed from `parameters` when decoded.
  std::optional<bool> binary_data;
  Parameters parameters;

  bool operator==(const RequestedOutput&) const = default;
};

struct InferRequest {
  std::string id;
  std::vector<Tensor> inputs;
  // Empty: the model's outputs, all of them.
  std::vector<RequestedOutput> outputs;
  // Request parameter `binary_data_output` (binary extension), removed from `parameters`.
  bool binary_data_output = false;
  Parameters parameters;

  bool operator==(const InferRequest&) const = default;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<Tensor> outputs;
  Parameters parameters;

  bool operator==(const InferResponse&) const = default;
};

}  // namespace skiff::serving
