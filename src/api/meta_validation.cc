// ObjectMeta validation after k8s.io/apimachinery/pkg/api/validation (objectmeta.go) and
// pkg/util/validation (validation.go).
#include "api/meta_validation.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/field_errors.h"

namespace skiff::api {
namespace {

constexpr size_t kDns1123SubdomainMaxLength = 253;
constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1035LabelMaxLength = 63;
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;
constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;
constexpr size_t kFieldManagerMaxLength = 128;

constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDns1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool MatchesDns1123Subdomain(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!MatchesDns1123Label(s.substr(start, dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// validation.RegexError.
std::string RegexError(std::string_view msg, std::string_view fmt,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) {
    return out + " (regex used for validation is '" + std::string(fmt) + "')";
  }
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) {
      out += " or ";
    }
    first = false;
    out += "'" + std::string(e) + "', ";
  }
  out += "regex used for validation is '" + std::string(fmt) + "')";
  return out;
}

std::string MaxLenError(size_t n) { return fmt::format("must be no more than {} characters", n); }

std::string GetString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void Append(std::vector<StatusCause>& out, std::vector<StatusCause> more) {
  for (auto& c : more) {
    out.push_back(std::move(c));
  }
}

// `value` must be absent/null or a JSON object whose values are strings.
bool CheckStringMap(const Json& value, std::string_view field, std::vector<StatusCause>& out) {
  if (value.is_null()) {
    return false;
  }
  const std::string f(field);
  if (!value.is_object()) {
    out.push_back(FieldTypeMismatch(f, value, "object"));
    return false;
  }
  bool ok = true;
  for (const auto& [k, v] : value.items()) {
    if (!v.is_string()) {
      out.push_back(FieldTypeMismatch(f + "." + k, v, "string"));
      ok = false;
    }
  }
  return ok;
}

void ValidateOwnerReferences(const Json& refs, std::vector<StatusCause>& out) {
  const std::string field = "metadata.ownerReferences";
  if (!refs.is_array()) {
    out.push_back(FieldTypeMismatch(field, refs, "array"));
    return;
  }
  std::string first_controller;
  for (size_t i = 0; i < refs.size(); ++i) {
    const Json& ref = refs[i];
    if (!ref.is_object()) {
      out.push_back(FieldTypeMismatch(fmt::format("{}[{}]", field, i), ref, "object"));
      continue;
    }
    // kube reports these without the index (validateOwnerReference uses the list's path).
    std::string api_version = GetString(ref, "apiVersion");
    std::string kind = GetString(ref, "kind");
    std::string name = GetString(ref, "name");
    std::string uid = GetString(ref, "uid");
    size_t slash = api_version.find('/');
    std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    if (version.empty()) {
      out.push_back(FieldInvalid(field + ".apiVersion", api_version, "version must not be empty"));
    }
    if (kind.empty()) {
      out.push_back(FieldInvalid(field + ".kind", kind, "kind must not be empty"));
    }
    if (name.empty()) {
      out.push_back(FieldInvalid(field + ".name", name, "name must not be empty"));
    }
    if (uid.empty()) {
      out.push_back(FieldInvalid(field + ".uid", uid, "uid must not be empty"));
    }
    auto controller = ref.find("controller");
    if (controller != ref.end() && controller->is_boolean() && controller->get<bool>()) {
      std::string current = kind + "/" + name;
      if (!first_controller.empty()) {
        out.push_back(FieldInvalid(
            field, refs,
            fmt::format("Only one reference can have Controller set to true. Found \"true\" in "
                        "references for {} and {}",
                        first_controller, current)));
      } else {
        first_controller = current;
      }
    }
  }
}

void ValidateFinalizers(const Json& finalizers, std::vector<StatusCause>& out) {
  const std::string field = "metadata.finalizers";
  if (!finalizers.is_array()) {
    out.push_back(FieldTypeMismatch(field, finalizers, "array"));
    return;
  }
  bool orphan = false, foreground = false;
  for (size_t i = 0; i < finalizers.size(); ++i) {
    const Json& f = finalizers[i];
    if (!f.is_string()) {
      out.push_back(FieldTypeMismatch(fmt::format("{}[{}]", field, i), f, "string"));
      continue;
    }
    const std::string& name = f.get_ref<const std::string&>();
    for (auto& msg : QualifiedNameErrors(name)) {
      out.push_back(FieldInvalid(field, name, msg));
    }
    orphan |= name == "orphan";
    foreground |= name == "foregroundDeletion";
  }
  if (orphan && foreground) {
    out.push_back(FieldInvalid(field, finalizers,
                               "finalizer orphan and foregroundDeletion cannot be both set"));
  }
}

void ValidateManagedFields(const Json& entries, std::vector<StatusCause>& out) {
  const std::string field = "metadata.managedFields";
  if (!entries.is_array()) {
    out.push_back(FieldTypeMismatch(field, entries, "array"));
    return;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    const std::string path = fmt::format("{}[{}]", field, i);
    if (!e.is_object()) {
      out.push_back(FieldTypeMismatch(path, e, "object"));
      continue;
    }
    std::string op = GetString(e, "operation");
    if (op != "Apply" && op != "Update") {
      out.push_back(FieldInvalid(path + ".operation", op, "must be `Apply` or `Update`"));
    }
    std::string fields_type = GetString(e, "fieldsType");
    if (!fields_type.empty() && fields_type != "FieldsV1") {
      out.push_back(FieldInvalid(path + ".fieldsType", fields_type, "must be `FieldsV1`"));
    }
    if (GetString(e, "manager").size() > kFieldManagerMaxLength) {
      out.push_back(FieldTooLong(
          path + ".manager", fmt::format("must have at most {} bytes", kFieldManagerMaxLength)));
    }
  }
}

}  // namespace

bool IsDns1123Subdomain(std::string_view value) {
  return value.size() <= kDns1123SubdomainMaxLength && MatchesDns1123Subdomain(value);
}

bool IsDns1123Label(std::string_view value) {
  return value.size() <= kDns1123LabelMaxLength && MatchesDns1123Label(value);
}

bool IsDns1035Label(std::string_view value) {
  return value.size() <= kDns1035LabelMaxLength && MatchesDns1123Label(value) &&
         value.front() >= 'a' && value.front() <= 'z';
}

std::vector<std::string> Dns1123SubdomainErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  }
  if (!MatchesDns1123Subdomain(value)) {
    errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> Dns1123LabelErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) {
    errs.push_back(MaxLenError(kDns1123LabelMaxLength));
  }
  if (!MatchesDns1123Label(value)) {
    errs.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> Dns1035LabelErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1035LabelMaxLength) {
    errs.push_back(MaxLenError(kDns1035LabelMaxLength));
  }
  if (!MatchesDns1123Label(value) || value.front() < 'a' || value.front() > 'z') {
    errs.push_back(RegexError(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> QualifiedNameErrors(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(
          "a qualified name " +
          RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& msg : Dns1123SubdomainErrors(prefix)) {
        errs.push_back("prefix part " + msg);
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNamePart(name)) {
    errs.push_back("name part " + RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                             {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) {
    errs.push_back(MaxLenError(kLabelValueMaxLength));
  }
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<StatusCause> ValidateObjectName(std::string_view name, NameRule rule,
                                            std::string_view field, bool prefix) {
  std::string checked(name);
  // apimachinery's maskTrailingDash: a generateName prefix may end in '-'.
  if (prefix && checked.size() > 1 && checked.back() == '-') {
    checked.back() = 'a';
  }
  std::vector<std::string> msgs;
  switch (rule) {
    case NameRule::kDns1123Subdomain:
      msgs = Dns1123SubdomainErrors(checked);
      break;
    case NameRule::kDns1123Label:
      msgs = Dns1123LabelErrors(checked);
      break;
    case NameRule::kDns1035Label:
      msgs = Dns1035LabelErrors(checked);
      break;
    case NameRule::kPathSegment:
      if (!prefix && (name == "." || name == "..")) {
        msgs.push_back(fmt::format("may not be '{}'", name));
        break;
      }
      for (std::string_view bad : {"/", "%"}) {
        if (name.find(bad) != std::string_view::npos) {
          msgs.push_back(fmt::format("may not contain '{}'", bad));
        }
      }
      break;
  }
  std::vector<StatusCause> out;
  for (auto& m : msgs) {
    out.push_back(FieldInvalid(field, std::string(name), m));
  }
  return out;
}

std::vector<StatusCause> ValidateLabels(const Json& labels, std::string_view field) {
  std::vector<StatusCause> out;
  if (!CheckStringMap(labels, field, out)) {
    return out;
  }
  for (const auto& [k, v] : labels.items()) {
    for (auto& msg : QualifiedNameErrors(k)) {
      out.push_back(FieldInvalid(field, k, msg));
    }
    const std::string& value = v.get_ref<const std::string&>();
    for (auto& msg : LabelValueErrors(value)) {
      out.push_back(FieldInvalid(field, value, msg));
    }
  }
  return out;
}

std::vector<StatusCause> ValidateAnnotations(const Json& annotations, std::string_view field) {
  std::vector<StatusCause> out;
  if (!CheckStringMap(annotations, field, out)) {
    return out;
  }
  int64_t total = 0;
  for (const auto& [k, v] : annotations.items()) {
    // The rule is QualifiedName except that case doesn't matter.
    std::string lower = k;
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (auto& msg : QualifiedNameErrors(lower)) {
      out.push_back(FieldInvalid(field, k, msg));
    }
    total += static_cast<int64_t>(k.size() + v.get_ref<const std::string&>().size());
  }
  if (total > kTotalAnnotationSizeLimit) {
    out.push_back(
        FieldTooLong(field, fmt::format("must have at most {} bytes", kTotalAnnotationSizeLimit)));
  }
  return out;
}

std::vector<StatusCause> ValidateObjectMeta(const Json& metadata, NameRule rule, bool namespaced) {
  std::vector<StatusCause> out;
  static const Json kEmpty = Json::object();
  if (!metadata.is_null() && !metadata.is_object()) {
    out.push_back(FieldTypeMismatch("metadata", metadata, "object"));
    return out;
  }
  const Json& meta = metadata.is_object() ? metadata : kEmpty;
  for (const char* key : {"name", "generateName", "namespace", "uid", "resourceVersion"}) {
    auto it = meta.find(key);
    if (it != meta.end() && !it->is_null() && !it->is_string()) {
      out.push_back(FieldTypeMismatch(std::string("metadata.") + key, *it, "string"));
    }
  }
  std::string generate_name = GetString(meta, "generateName");
  if (!generate_name.empty()) {
    Append(out, ValidateObjectName(generate_name, rule, "metadata.generateName", true));
  }
  std::string name = GetString(meta, "name");
  if (name.empty()) {
    out.push_back(FieldRequired("metadata.name", "name or generateName is required"));
  } else {
    Append(out, ValidateObjectName(name, rule, "metadata.name"));
  }
  std::string ns = GetString(meta, "namespace");
  if (namespaced) {
    if (ns.empty()) {
      out.push_back(FieldRequired("metadata.namespace"));
    } else {
      for (auto& msg : Dns1123LabelErrors(ns)) {
        out.push_back(FieldInvalid("metadata.namespace", ns, msg));
      }
    }
  } else if (!ns.empty()) {
    out.push_back(FieldForbidden("metadata.namespace", "not allowed on this type"));
  }
  if (auto it = meta.find("generation"); it != meta.end() && !it->is_null()) {
    if (!it->is_number()) {
      out.push_back(FieldTypeMismatch("metadata.generation", *it, "integer"));
    } else if (it->get<double>() < 0) {
      out.push_back(FieldInvalid("metadata.generation", *it, "must be greater than or equal to 0"));
    }
  }
  if (auto it = meta.find("labels"); it != meta.end()) {
    Append(out, ValidateLabels(*it));
  }
  if (auto it = meta.find("annotations"); it != meta.end()) {
    Append(out, ValidateAnnotations(*it));
  }
  if (auto it = meta.find("ownerReferences"); it != meta.end() && !it->is_null()) {
    ValidateOwnerReferences(*it, out);
  }
  if (auto it = meta.find("finalizers"); it != meta.end() && !it->is_null()) {
    ValidateFinalizers(*it, out);
  }
  if (auto it = meta.find("managedFields"); it != meta.end() && !it->is_null()) {
    ValidateManagedFields(*it, out);
  }
  return out;
}

}  // namespace skiff::api
