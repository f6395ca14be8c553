// Field-level causes shaped like k8s.io/apimachinery/pkg/util/validation/field errors, and Go's
// renderings of bad values, so every validator in src/api words its messages the same way.
#include "api/field_errors.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    return 0;
  }
  cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

// Go's %#v for JSON-shaped values (map[string]interface {}, []interface {}).
void AppendGoSyntax(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += "map[string]interface {}{";
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) {
          out += ", ";
        }
        first = false;
        out += GoQuote(k) + ":";
        AppendGoSyntax(item, out);
      }
      out += "}";
      return;
    }
    case Json::value_t::array: {
      out += "[]interface {}{";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) {
          out += ", ";
        }
        AppendGoSyntax(v[i], out);
      }
      out += "}";
      return;
    }
    case Json::value_t::null:
      out += "interface {}(nil)";
      return;
    default:
      out += FormatBadValue(v);
      return;
  }
}

}  // namespace

const char* JsonTypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    default:
      return "object";
  }
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(s, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    std::string_view raw = s.substr(i, len);
    i += len;
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || cp == 0x7F) {
      out += fmt::format("\\x{:02x}", cp);
    } else if (cp >= 0x80 && cp < 0xA0) {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      out += raw;  // printable (Go's unicode.IsPrint, approximated for non-ASCII)
    }
  }
  out += "\"";
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (v == std::trunc(v) && std::fabs(v) < 9.2e18) {
    return std::to_string(static_cast<int64_t>(v));
  }
  // Go's %v is strconv's 'g' with the shortest digits: %e form when the exponent is < -4 or
  // >= 6 (whole numbers never get here: kube decodes them as int64).
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "1.5e-05"
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= 6) {
    return fmt::format("{}e{}{:02d}", mant, exp < 0 ? '-' : '+', std::abs(exp));
  }
  res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string FormatBadValue(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "\"null\"";
    case Json::value_t::string:
      return GoQuote(value.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
      return std::to_string(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case Json::value_t::number_float:
      return FormatNumber(value.get<double>());
    default: {
      std::string out;
      AppendGoSyntax(value, out);
      return out;
    }
  }
}

StatusCause FieldInvalid(std::string_view field, const Json& value, std::string_view detail) {
  std::string msg = "Invalid value: " + FormatBadValue(value);
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return {"FieldValueInvalid", std::move(msg), std::string(field)};
}

StatusCause FieldTypeInvalid(std::string_view field, const Json& value, std::string_view detail) {
  StatusCause c = FieldInvalid(field, value, detail);
  c.reason = "FieldValueTypeInvalid";
  return c;
}

StatusCause FieldRequired(std::string_view field, std::string_view detail) {
  std::string msg = "Required value";
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return {"FieldValueRequired", std::move(msg), std::string(field)};
}

StatusCause FieldForbidden(std::string_view field, std::string_view detail) {
  return {"FieldValueForbidden", "Forbidden: " + std::string(detail), std::string(field)};
}

StatusCause FieldNotSupported(std::string_view field, const Json& value,
                              const std::vector<std::string>& supported) {
  std::string msg = "Unsupported value: " + FormatBadValue(value);
  if (!supported.empty()) {
    msg += ": supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i) {
        msg += ", ";
      }
      msg += GoQuote(supported[i]);
    }
  }
  return {"FieldValueNotSupported", std::move(msg), std::string(field)};
}

StatusCause FieldDuplicate(std::string_view field, const Json& value) {
  return {"FieldValueDuplicate", "Duplicate value: " + FormatBadValue(value), std::string(field)};
}

StatusCause FieldTooLong(std::string_view field, std::string_view detail) {
  return {"FieldValueTooLong", "Too long: " + std::string(detail), std::string(field)};
}

StatusCause FieldTooMany(std::string_view field, int64_t actual, int64_t max) {
  return {"FieldValueTooMany", fmt::format("Too many: {}: must have at most {} items", actual, max),
          std::string(field)};
}

StatusCause FieldTypeMismatch(std::string_view field, const Json& value, std::string_view want) {
  const char* got = JsonTypeName(value);
  return FieldTypeInvalid(field, got,
                          fmt::format("{} in body must be of type {}: \"{}\"", field, want, got));
}

}  // namespace skiff::api
