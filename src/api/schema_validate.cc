// Schema validation with kube-apiserver's causes: the kube-openapi validators (type, allOf/...,
// string, format, number, slice, enum, object) mapped to field errors the way
// apiextensions-apiserver's validation.go does, plus x-kubernetes-list-type uniqueness.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "api/field_errors.h"
#include "api/schema.h"

namespace skiff::api {
namespace {

std::string Child(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string Index(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

bool IsWhole(double d) { return std::isfinite(d) && d == std::trunc(d); }

bool IsInteger(const Json& v) {
  return v.is_number_integer() || (v.is_number_float() && IsWhole(v.get<double>()));
}

bool TypeMatches(const std::string& type, const Json& v) {
  if (type == "integer") {
    return IsInteger(v);  // 3.0 is an integer, 3.5 is not
  }
  if (type == "number") {
    return v.is_number();
  }
  if (type == "string") {
    return v.is_string();
  }
  if (type == "boolean") {
    return v.is_boolean();
  }
  if (type == "object") {
    return v.is_object();
  }
  if (type == "array") {
    return v.is_array();
  }
  return true;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }
  return n;
}

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) {
    return false;
  }
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

int Num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// strfmt.IsDate: Go's time.Parse("2006-01-02", s).
bool IsDate(std::string_view s) {
  if (s.size() != 10 || !Digits(s, 0, 4) || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' ||
      !Digits(s, 8, 2)) {
    return false;
  }
  const int y = Num(s, 0, 4), m = Num(s, 5, 2), d = Num(s, 8, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) {
    return false;
  }
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// strfmt.IsDateTime: date, 't', then ^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|[+-]hh:mm)$
// on the lower-cased text.
bool IsDateTime(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const size_t t = s.find('t');
  if (t == std::string::npos || !IsDate(std::string_view(s).substr(0, t))) {
    return false;
  }
  const size_t next = s.find('t', t + 1);
  std::string_view time = std::string_view(s).substr(
      t + 1, next == std::string::npos ? std::string::npos : next - t - 1);
  if (!Digits(time, 0, 2) || time.size() < 8 || time[2] != ':' || !Digits(time, 3, 2) ||
      time[5] != ':' || !Digits(time, 6, 2)) {
    return false;
  }
  if (Num(time, 0, 2) > 23 || Num(time, 3, 2) > 59 || Num(time, 6, 2) > 59) {
    return false;
  }
  size_t i = 8;
  if (i + 1 < time.size() && time[i] != 'z' && time[i] != '+' && time[i] != '-') {
    ++i;  // (.[0-9]+): any one character, then digits
    if (!Digits(time, i, 1)) {
      return false;
    }
    while (i < time.size() && time[i] >= '0' && time[i] <= '9') {
      ++i;
    }
  }
  std::string_view zone = time.substr(i);
  return zone == "z" || (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
                         Digits(zone, 1, 2) && zone[3] == ':' && Digits(zone, 4, 2));
}

// base64.StdEncoding.DecodeString (which skips CR and LF).
bool IsBase64(std::string_view in) {
  std::string s;
  for (char c : in) {
    if (c != '\r' && c != '\n') {
      s += c;
    }
  }
  if (s.size() % 4 != 0) {
    return false;
  }
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return false;
    }
  }
  return pad <= 2;
}

bool IsUuid(std::string_view s) {
  std::string hex;
  for (char c : s) {
    if (c != '-') {
      hex += c;
    }
  }
  if (hex.size() != 32 || s.size() > 36) {
    return false;
  }
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  // Dashes, when present, sit at 8-4-4-4-12.
  size_t pos = 0;
  for (int group : {8, 4, 4, 4, 12}) {
    pos += static_cast<size_t>(group);
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
    }
  }
  return pos == s.size();
}

bool IsIpv4(std::string_view s) {
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view p = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0') || !Digits(p, 0, p.size()) ||
        Num(p, 0, p.size()) > 255) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) {
      return parts == 4;
    }
    start = dot + 1;
  }
}

// The string formats validated here; any other format is accepted as kube does for formats it
// does not know (and for the expensive ones we do not check).
bool FormatOk(const std::string& format, const std::string& s) {
  if (format == "date-time" || format == "datetime") {
    return IsDateTime(s);
  }
  if (format == "date") {
    return IsDate(s);
  }
  if (format == "byte") {
    return IsBase64(s);
  }
  if (format == "uuid") {
    return IsUuid(s);
  }
  if (format == "ipv4") {
    return IsIpv4(s);
  }
  return true;
}

class Validator {
 public:
  explicit Validator(std::vector<StatusCause>& out) : out_(out) {}

  void Value(const Schema& s, const Json& v, const std::string& path, bool resource) {
    if (v.is_null() && s.nullable()) {
      return;
    }
    if (s.int_or_string()) {
      if (!IsInteger(v) && !v.is_string()) {
        TypeError(path, "integer,string", v);
        return;
      }
    } else if (!s.type().empty() && !TypeMatches(s.type(), v)) {
      TypeError(path, s.type(), v);
      return;
    }
    Junctors(s, v, path);
    const SchemaConstraints& c = s.constraints();
    if (v.is_string()) {
      String(s, v, path);
    } else if (v.is_number()) {
      Number(c, v, path);
    } else if (v.is_array()) {
      Array(s, v, path);
    }
    if (!c.enum_values.empty()) {
      Enum(c, v, path);
    }
    if (v.is_object()) {
      Object(s, v, path, resource || s.embedded_resource());
    }
  }

 private:
  void TypeError(const std::string& path, std::string_view want, const Json& v) {
    out_.push_back(FieldTypeMismatch(path, v, want));
  }

  // Errors of validating `v` against `s` alone, for junctor branches.
  std::vector<StatusCause> Try(const Schema& s, const Json& v, const std::string& path) {
    std::vector<StatusCause> errs;
    Validator(errs).Value(s, v, path, false);
    return errs;
  }

  void Append(std::vector<StatusCause> errs) {
    for (auto& e : errs) {
      out_.push_back(std::move(e));
    }
  }

  // kube-openapi's junctor errors carry the path as their value ([]interface {}{"spec.x"}).
  void JunctorError(const std::string& path, std::string_view what) {
    out_.push_back(FieldInvalid(path, Json::array({path}), fmt::format("{} {}", path, what)));
  }

  void Junctors(const Schema& s, const Json& v, const std::string& path) {
    if (!s.all_of().empty()) {
      size_t valid = 0;
      for (const auto& branch : s.all_of()) {
        auto errs = Try(*branch, v, path);
        valid += errs.empty();
        Append(std::move(errs));
      }
      if (valid != s.all_of().size()) {
        JunctorError(path, std::string("must validate all the schemas (allOf)") +
                               (valid == 0 ? ". Neither validates" : ""));
      }
    }
    auto run_branches = [&](const Schema::Schemas& branches, size_t& valid,
                            std::vector<StatusCause>& best) {
      bool have_best = false;
      for (const auto& branch : branches) {
        auto errs = Try(*branch, v, path);
        if (errs.empty()) {
          ++valid;
        } else if (!have_best || errs.size() < best.size()) {
          best = std::move(errs);
          have_best = true;
        }
      }
    };
    if (!s.any_of().empty()) {
      size_t valid = 0;
      std::vector<StatusCause> best;
      run_branches(s.any_of(), valid, best);
      if (valid == 0) {
        JunctorError(path, "must validate at least one schema (anyOf)");
        Append(std::move(best));
      }
    }
    if (!s.one_of().empty()) {
      size_t valid = 0;
      std::vector<StatusCause> best;
      run_branches(s.one_of(), valid, best);
      if (valid == 0) {
        JunctorError(path, "must validate one and only one schema (oneOf). Found none valid");
        Append(std::move(best));
      } else if (valid > 1) {
        JunctorError(path,
                     fmt::format("must validate one and only one schema (oneOf). Found {} valid "
                                 "alternatives",
                                 valid));
      }
    }
    if (s.not_schema() && Try(*s.not_schema(), v, path).empty()) {
      JunctorError(path, "must not validate the schema (not)");
    }
  }

  void String(const Schema& s, const Json& v, const std::string& path) {
    const SchemaConstraints& c = s.constraints();
    const std::string& str = v.get_ref<const std::string&>();
    const auto len = static_cast<int64_t>(CodePoints(str));
    if (c.max_length && len > *c.max_length) {
      out_.push_back(FieldTooLong(path, fmt::format("may not be longer than {}", *c.max_length)));
    }
    if (c.min_length && len < *c.min_length) {
      out_.push_back(FieldInvalid(
          path, v,
          fmt::format("{} in body should be at least {} chars long", path, *c.min_length)));
    }
    if (!s.MatchesPattern(str)) {
      out_.push_back(
          FieldInvalid(path, v, fmt::format("{} in body should match '{}'", path, c.pattern)));
    }
    if (!c.format.empty() && !FormatOk(c.format, str)) {
      out_.push_back(FieldTypeInvalid(
          path, v, fmt::format("{} in body must be of type {}: {}", path, c.format, GoQuote(str))));
    }
  }

  void Number(const SchemaConstraints& c, const Json& v, const std::string& path) {
    const double x = v.get<double>();
    if (c.multiple_of) {
      // swag.IsFloat64AJSONInteger's tolerance: a relative error below 1e-9 counts as whole.
      const double q = x / *c.multiple_of, g = std::trunc(q);
      if (q != g && !(std::fabs(q - g) / (std::fabs(q) + std::fabs(g)) < 1e-9)) {
        out_.push_back(FieldInvalid(path, v,
                                    fmt::format("{} in body should be a multiple of {}", path,
                                                FormatNumber(*c.multiple_of))));
      }
    }
    if (c.maximum && (x > *c.maximum || (c.exclusive_maximum && x == *c.maximum))) {
      out_.push_back(FieldInvalid(
          path, v,
          fmt::format("{} in body should be less than {}{}", path,
                      c.exclusive_maximum ? "" : "or equal to ", FormatNumber(*c.maximum))));
    }
    if (c.minimum && (x < *c.minimum || (c.exclusive_minimum && x == *c.minimum))) {
      out_.push_back(FieldInvalid(
          path, v,
          fmt::format("{} in body should be greater than {}{}", path,
                      c.exclusive_minimum ? "" : "or equal to ", FormatNumber(*c.minimum))));
    }
  }

  void Array(const Schema& s, const Json& v, const std::string& path) {
    const SchemaConstraints& c = s.constraints();
    if (const Schema* items = s.Items()) {
      for (size_t i = 0; i < v.size(); ++i) {
        Value(*items, v[i], Index(path, i), false);
      }
    }
    const auto size = static_cast<int64_t>(v.size());
    if (c.min_items && size < *c.min_items) {
      out_.push_back(FieldInvalid(
          path, size, fmt::format("{} in body should have at least {} items", path, *c.min_items)));
    }
    if (c.max_items && size > *c.max_items) {
      out_.push_back(FieldTooMany(path, size, *c.max_items));
    }
    if (c.unique_items) {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!seen.emplace(v[i].dump(-1, ' ', false, Json::error_handler_t::replace), i).second) {
          out_.push_back(
              FieldInvalid(path, "", fmt::format("{} in body shouldn't contain duplicates", path)));
          break;
        }
      }
    }
    if (s.list_type() == "set") {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!seen.emplace(v[i].dump(-1, ' ', false, Json::error_handler_t::replace), i).second) {
          out_.push_back(FieldDuplicate(Index(path, i), v[i]));
        }
      }
    } else if (s.list_type() == "map") {
      ListMap(s, v, path);
    }
  }

  // x-kubernetes-list-type: map — items are objects, unique by their key fields (a missing key
  // takes the key property's default).
  void ListMap(const Schema& s, const Json& v, const std::string& path) {
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& item = v[i];
      if (!item.is_object()) {
        if (!item.is_null()) {
          out_.push_back(FieldInvalid(Index(path, i), item,
                                      "must be an object for an array of list-type map"));
        }
        continue;
      }
      Json key = Json::object();
      for (const std::string& k : s.list_map_keys()) {
        auto it = item.find(k);
        if (it != item.end()) {
          key[k] = *it;
        } else if (const Schema* prop = s.Items() ? s.Items()->Property(k) : nullptr;
                   prop && prop->default_value()) {
          key[k] = *prop->default_value();
        }
      }
      if (!seen.emplace(key.dump(-1, ' ', false, Json::error_handler_t::replace), i).second) {
        out_.push_back(FieldDuplicate(Index(path, i), key));
      }
    }
  }

  void Enum(const SchemaConstraints& c, const Json& v, const std::string& path) {
    for (const Json& allowed : c.enum_values) {
      if (allowed == v) {
        return;
      }
    }
    std::vector<std::string> supported;
    for (const Json& allowed : c.enum_values) {
      supported.push_back(allowed.is_string() ? allowed.get<std::string>() : allowed.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    out_.push_back(FieldNotSupported(path, v, supported));
  }

  void Object(const Schema& s, const Json& v, const std::string& path, bool resource) {
    const SchemaConstraints& c = s.constraints();
    const auto n = static_cast<int64_t>(v.size());
    if (c.max_properties && n > *c.max_properties) {
      out_.push_back(FieldTooMany(path, n, *c.max_properties));
    }
    if (c.min_properties && n < *c.min_properties) {
      out_.push_back(FieldInvalid(
          path, *c.min_properties,
          fmt::format("{} in body should have at least {} properties", path, *c.min_properties)));
    }
    for (const std::string& name : s.required()) {
      auto it = v.find(name);
      const Schema* prop = s.Property(name);
      // A null for a non-nullable field is pruned before validation in kube: it is missing.
      if (it == v.end() || (it->is_null() && prop && !prop->nullable())) {
        out_.push_back(FieldRequired(Child(path, name)));
      }
    }
    for (const auto& [k, item] : v.items()) {
      const std::string child = Child(path, k);
      if (const Schema* prop = s.Property(k)) {
        if (item.is_null() && !prop->nullable()) {
          continue;
        }
        if (resource && k == "metadata" && item.is_object()) {
          Metadata(*prop, item, child);
        } else {
          Value(*prop, item, child, false);
        }
      } else if (const Schema* ap = s.AdditionalProperties()) {
        Value(*ap, item, child, false);
      }
    }
  }

  // Under metadata a structural schema may only constrain name and generateName; the rest is
  // ObjectMeta and validated by ValidateObjectMeta.
  void Metadata(const Schema& s, const Json& meta, const std::string& path) {
    for (const char* field : {"name", "generateName"}) {
      auto it = meta.find(field);
      const Schema* prop = s.Property(field);
      if (prop && it != meta.end() && !it->is_null()) {
        Value(*prop, *it, Child(path, field), false);
      }
    }
  }

  std::vector<StatusCause>& out_;
};

}  // namespace

std::vector<StatusCause> Validate(const Schema& s, const Json& obj) {
  std::vector<StatusCause> out;
  Validator(out).Value(s, obj, "", true);
  return out;
}

std::vector<StatusCause> ValidateValue(const Schema& s, const Json& value, std::string_view path) {
  std::vector<StatusCause> out;
  Validator(out).Value(s, value, std::string(path), false);
  return out;
}

}  // namespace skiff::api
