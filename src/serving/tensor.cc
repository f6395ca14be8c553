// Datatype tables, FP16 conversion, Parameters and Tensor helpers.
#include "serving/tensor.h"

#include <array>

namespace skiff::serving {

namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<TypeInfo, 13> kTypes = {{
    {DataType::kBool, "BOOL", 1},
    {DataType::kUint8, "UINT8", 1},
    {DataType::kUint16, "UINT16", 2},
    {DataType::kUint32, "UINT32", 4},
    {DataType::kUint64, "UINT64", 8},
    {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2},
    {DataType::kInt32, "INT32", 4},
    {DataType::kInt64, "INT64", 8},
    {DataType::kFp16, "FP16", 2},
    {DataType::kFp32, "FP32", 4},
    {DataType::kFp64, "FP64", 8},
    {DataType::kBytes, "BYTES", 0},
}};

template <typename T>
T LoadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Converts every element of a numeric tensor to Out (BOOL as 0/1, FP16 widened).
template <typename Out>
Status Convert(const Tensor& t, std::vector<Out>& out) {
  const char* p = t.data.data();
  auto each = [&]<typename T>(T*) {
    size_t n = t.data.size() / sizeof(T);
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      T v = LoadLe<T>(p + i * sizeof(T));
      if constexpr (std::is_same_v<T, Fp16>) {
        out[i] = static_cast<Out>(Fp16ToFloat(v));
      } else {
        out[i] = static_cast<Out>(v);
      }
    }
  };
  switch (t.datatype) {
    case DataType::kBool:
      each(static_cast<uint8_t*>(nullptr));
      break;
    case DataType::kUint8:
      each(static_cast<uint8_t*>(nullptr));
      break;
    case DataType::kUint16:
      each(static_cast<uint16_t*>(nullptr));
      break;
    case DataType::kUint32:
      each(static_cast<uint32_t*>(nullptr));
      break;
    case DataType::kUint64:
      each(static_cast<uint64_t*>(nullptr));
      break;
    case DataType::kInt8:
      each(static_cast<int8_t*>(nullptr));
      break;
    case DataType::kInt16:
      each(static_cast<int16_t*>(nullptr));
      break;
    case DataType::kInt32:
      each(static_cast<int32_t*>(nullptr));
      break;
    case DataType::kInt64:
      each(static_cast<int64_t*>(nullptr));
      break;
    case DataType::kFp16:
      each(static_cast<Fp16*>(nullptr));
      break;
    case DataType::kFp32:
      each(static_cast<float*>(nullptr));
      break;
    case DataType::kFp64:
      each(static_cast<double*>(nullptr));
      break;
    case DataType::kBytes:
      return InvalidArgument("tensor '" + t.name + "' of datatype BYTES is not numeric");
  }
  return Status::Ok();
}

}  // namespace

std::string_view DataTypeName(DataType type) { return kTypes[static_cast<size_t>(type)].name; }

std::optional<DataType> DataTypeFromName(std::string_view name) {
  for (const TypeInfo& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

size_t DataTypeSize(DataType type) { return kTypes[static_cast<size_t>(type)].size; }

Fp16 FloatToFp16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof(x));
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t exp = (x >> 23) & 0xFF;
  uint32_t mant = x & 0x7FFFFF;
  if (exp == 0xFF) {  // infinity or NaN (keep NaN quiet and non-zero)
    return {static_cast<uint16_t>(sign | 0x7C00 | (mant ? 0x200 | (mant >> 13) : 0))};
  }
  const int32_t e = static_cast<int32_t>(exp) - 127 + 15;
  if (e >= 0x1F) return {static_cast<uint16_t>(sign | 0x7C00)};
  if (e <= 0) {  // half subnormal (or zero): value = half_mant * 2^-24
    if (e < -10) return {static_cast<uint16_t>(sign)};
    mant |= 0x800000;
    const int shift = 14 - e;
    uint32_t half_mant = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1))) ++half_mant;
    return {static_cast<uint16_t>(sign | half_mant)};
  }
  uint32_t half = sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFF;
  // A carry out of the mantissa bumps the exponent, up to infinity: still correct rounding.
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;
  return {static_cast<uint16_t>(half)};
}

float Fp16ToFloat(Fp16 value) {
  const uint32_t h = value.bits;
  const uint32_t sign = (h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    float magnitude = static_cast<float>(mant) * (1.0f / 16777216.0f);  // mant * 2^-24
    return sign ? -magnitude : magnitude;
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000 | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

void Parameters::Set(std::string key, ParameterValue value) {
  for (Entry& e : entries_) {
    if (e.first == key) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool Parameters::Erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

const ParameterValue* Parameters::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first == key) return &e.second;
  }
  return nullptr;
}

std::optional<bool> Parameters::GetBool(std::string_view key) const {
  const ParameterValue* v = Find(key);
  if (v == nullptr || !std::holds_alternative<bool>(*v)) return std::nullopt;
  return std::get<bool>(*v);
}

std::optional<int64_t> Parameters::GetInt(std::string_view key) const {
  const ParameterValue* v = Find(key);
  if (v == nullptr || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
  return std::get<int64_t>(*v);
}

std::optional<std::string_view> Parameters::GetString(std::string_view key) const {
  const ParameterValue* v = Find(key);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) return std::nullopt;
  return std::string_view(std::get<std::string>(*v));
}

int64_t Tensor::ElementCount() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void Tensor::CheckType(std::optional<DataType> want) const {
  SKIFF_CHECK(want.has_value() && *want == datatype);
}

void Tensor::AppendBytes(std::string_view element) {
  SKIFF_CHECK(datatype == DataType::kBytes);
  const uint32_t len = static_cast<uint32_t>(element.size());
  char prefix[4];
  std::memcpy(prefix, &len, sizeof(prefix));
  data.append(prefix, sizeof(prefix));
  data.append(element);
}

std::vector<std::string_view> Tensor::BytesElements() const {
  SKIFF_CHECK(datatype == DataType::kBytes);
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos + 4 <= data.size()) {
    const uint32_t len = LoadLe<uint32_t>(data.data() + pos);
    pos += 4;
    if (len > data.size() - pos) break;  // malformed: stop rather than read past the end
    out.emplace_back(data.data() + pos, len);
    pos += len;
  }
  return out;
}

StatusOr<std::vector<double>> Tensor::ToDoubles() const {
  std::vector<double> out;
  SKIFF_RETURN_IF_ERROR(Convert(*this, out));
  return out;
}

StatusOr<std::vector<float>> Tensor::ToFloats() const {
  std::vector<float> out;
  SKIFF_RETURN_IF_ERROR(Convert(*this, out));
  return out;
}

Tensor MakeBytesTensor(std::string name, std::vector<int64_t> shape,
                       std::span<const std::string_view> elements) {
  Tensor t;
  t.name = std::move(name);
  t.datatype = DataType::kBytes;
  t.shape = std::move(shape);
  for (std::string_view e : elements) t.AppendBytes(e);
  return t;
}

}  // namespace skiff::serving
