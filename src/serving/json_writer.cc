// JSON appenders: escaping and Python-repr number formatting via std::to_chars.
#include "serving/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/json.h"
#include "serving/binary_tensor.h"

namespace skiff::serving {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void AppendJsonDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  // Format into a local buffer and append once: per-character appends cost more than the
  // digit generation itself.
  char text[48];
  char* w = text;
  if (std::signbit(value)) {
    *w++ = '-';
    value = -value;
  }
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]XX".
  char sci[40];
  char* const sci_end =
      std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific).ptr;
  char digits[24];
  size_t n = 0;
  const char* p = sci;
  for (; p < sci_end && *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  ++p;  // 'e'
  const bool negative_exp = *p++ == '-';
  int exp = 0;
  for (; p < sci_end; ++p) exp = exp * 10 + (*p - '0');
  if (negative_exp) exp = -exp;
  // Python's repr switches to exponent form below 1e-4 and from 1e16 on.
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      *w++ = '0';
      *w++ = '.';
      for (int i = 0; i < -exp - 1; ++i) *w++ = '0';
      std::memcpy(w, digits, n);
      w += n;
    } else if (n <= static_cast<size_t>(exp) + 1) {
      std::memcpy(w, digits, n);
      w += n;
      for (size_t i = n; i < static_cast<size_t>(exp) + 1; ++i) *w++ = '0';
      *w++ = '.';
      *w++ = '0';
    } else {
      std::memcpy(w, digits, exp + 1);
      w += exp + 1;
      *w++ = '.';
      std::memcpy(w, digits + exp + 1, n - exp - 1);
      w += n - exp - 1;
    }
  } else {
    *w++ = digits[0];
    if (n > 1) {
      *w++ = '.';
      std::memcpy(w, digits + 1, n - 1);
      w += n - 1;
    }
    *w++ = 'e';
    *w++ = exp < 0 ? '-' : '+';
    const int mag = exp < 0 ? -exp : exp;
    if (mag < 10) *w++ = '0';
    w = std::to_chars(w, text + sizeof(text), mag).ptr;
  }
  out.append(text, w - text);
}

void AppendJsonInt(std::string& out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr - buf);
}

void AppendJsonUint(std::string& out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr - buf);
}

void AppendJsonParameters(std::string& out, const Parameters& parameters) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : parameters) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    if (const bool* b = std::get_if<bool>(&value)) {
      out.append(*b ? "true" : "false");
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      AppendJsonInt(out, *i);
    } else if (const double* d = std::get_if<double>(&value)) {
      AppendJsonDouble(out, *d);
    } else {
      AppendJsonString(out, std::get<std::string>(value));
    }
  }
  out.push_back('}');
}

namespace {

template <typename T>
void AppendElement(std::string& out, const char* p) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(*p != 0 ? "true" : "false");  // any non-zero byte, without a bool load
  } else {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (std::is_same_v<T, Fp16>) {
      AppendJsonDouble(out, Fp16ToFloat(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      AppendJsonDouble(out, static_cast<double>(v));
    } else if constexpr (std::is_signed_v<T>) {
      AppendJsonInt(out, v);
    } else {
      AppendJsonUint(out, v);
    }
  }
}

// Writes elements [*next, *next + shape[0] * ...) nested by `shape` (flat when shape is
// one-dimensional). `next` advances over the elements written.
template <typename Writer>
void AppendNested(std::string& out, std::span<const int64_t> shape, int64_t& next, Writer& write) {
  out.push_back('[');
  for (int64_t i = 0; i < shape[0]; ++i) {
    if (i > 0) out.push_back(',');
    if (shape.size() > 1) {
      AppendNested(out, shape.subspan(1), next, write);
    } else {
      write(next++);
    }
  }
  out.push_back(']');
}

template <typename T>
void AppendFixed(std::string& out, const Tensor& t, std::span<const int64_t> shape, bool scalar) {
  const char* base = t.data.data();
  auto write = [&](int64_t i) { AppendElement<T>(out, base + i * sizeof(T)); };
  if (scalar) {
    write(0);
    return;
  }
  int64_t next = 0;
  AppendNested(out, shape, next, write);
}

Status ShapeMismatch(const Tensor& t) {
  return Internal("output tensor shape does not match size of output for '" + t.name + "'");
}

}  // namespace

Status CheckTensorData(const Tensor& t) {
  std::optional<int64_t> count = CheckedElementCount(t.shape, std::numeric_limits<int64_t>::max());
  if (!count) return ShapeMismatch(t);
  if (t.datatype == DataType::kBytes) {
    StatusOr<int64_t> got = CountBytesElements(t.data);
    if (!got.ok() || *got != *count) return ShapeMismatch(t);
    return Status::Ok();
  }
  const uint64_t size = DataTypeSize(t.datatype);
  if (static_cast<uint64_t>(*count) > t.data.size() / size ||
      static_cast<uint64_t>(*count) * size != t.data.size()) {
    return ShapeMismatch(t);
  }
  return Status::Ok();
}

Status AppendTensorJson(std::string& out, const Tensor& t, bool nested) {
  SKIFF_RETURN_IF_ERROR(CheckTensorData(t));
  const int64_t count = t.ElementCount();
  const bool scalar = nested && t.shape.empty();
  // Flat output is nesting by the one-dimensional shape [count].
  const int64_t flat_shape[1] = {count};
  const std::span<const int64_t> shape =
      nested && !t.shape.empty() ? std::span<const int64_t>(t.shape) : flat_shape;
  switch (t.datatype) {
    case DataType::kBool:
      AppendFixed<bool>(out, t, shape, scalar);
      break;
    case DataType::kUint8:
      AppendFixed<uint8_t>(out, t, shape, scalar);
      break;
    case DataType::kUint16:
      AppendFixed<uint16_t>(out, t, shape, scalar);
      break;
    case DataType::kUint32:
      AppendFixed<uint32_t>(out, t, shape, scalar);
      break;
    case DataType::kUint64:
      AppendFixed<uint64_t>(out, t, shape, scalar);
      break;
    case DataType::kInt8:
      AppendFixed<int8_t>(out, t, shape, scalar);
      break;
    case DataType::kInt16:
      AppendFixed<int16_t>(out, t, shape, scalar);
      break;
    case DataType::kInt32:
      AppendFixed<int32_t>(out, t, shape, scalar);
      break;
    case DataType::kInt64:
      AppendFixed<int64_t>(out, t, shape, scalar);
      break;
    case DataType::kFp16:
      AppendFixed<Fp16>(out, t, shape, scalar);
      break;
    case DataType::kFp32:
      AppendFixed<float>(out, t, shape, scalar);
      break;
    case DataType::kFp64:
      AppendFixed<double>(out, t, shape, scalar);
      break;
    case DataType::kBytes: {
      const std::vector<std::string_view> elements = t.BytesElements();
      for (std::string_view e : elements) {
        if (!IsValidUtf8(e)) {
          return Internal("Failed to encode an element of output '" + t.name +
                          "' using UTF-8. Please use binary_data=True, if you want to pass a "
                          "byte array.");
        }
      }
      auto write = [&](int64_t i) { AppendJsonString(out, elements[i]); };
      if (scalar) {
        write(0);
      } else {
        int64_t next = 0;
        AppendNested(out, shape, next, write);
      }
      break;
    }
  }
  return Status::Ok();
}

size_t EstimateTensorJsonSize(const Tensor& t) {
  if (t.datatype == DataType::kBytes) return t.data.size() + t.data.size() / 2 + 16;
  // Widest common text per element plus its comma, by DataType order.
  static constexpr size_t kCharsPerElement[] = {6, 4, 6, 11, 21, 5, 7, 12, 21, 22, 22, 25, 0};
  return t.data.size() / DataTypeSize(t.datatype) *
             kCharsPerElement[static_cast<size_t>(t.datatype)] +
         16;
}

}  // namespace skiff::serving
