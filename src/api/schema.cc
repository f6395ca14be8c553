// Structural schema compilation (apiextensions-apiserver's structural invariants), defaulting
// (structuraldefaulting.Default) and pruning (pruning.PruneWithOptions). Validation is in
// schema_validate.cc.
#include "api/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "api/field_errors.h"

namespace skiff::api {

struct CompiledPattern {
  std::regex re;
};

namespace {

const char* const kTypes[] = {"array", "boolean", "integer", "number", "object", "string"};

// ObjectMeta's fields: everything else under metadata is pruned.
bool IsObjectMetaField(std::string_view k) {
  static constexpr std::string_view kFields[] = {"name",
                                                 "generateName",
                                                 "namespace",
                                                 "selfLink",
                                                 "uid",
                                                 "resourceVersion",
                                                 "generation",
                                                 "creationTimestamp",
                                                 "deletionTimestamp",
                                                 "deletionGracePeriodSeconds",
                                                 "labels",
                                                 "annotations",
                                                 "ownerReferences",
                                                 "finalizers",
                                                 "managedFields"};
  return std::find(std::begin(kFields), std::end(kFields), k) != std::end(kFields);
}

enum class Level { kRoot, kField, kItem };

std::string Child(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

}  // namespace

// Builds Schema trees. A friend of Schema; one instance per CompileSchema call.
class SchemaCompiler {
 public:
  std::unique_ptr<Schema> Compile(const Json& j, const std::string& path, Level level,
                                  bool in_junctor, bool int_or_string_branch) {
    auto s = std::unique_ptr<Schema>(new Schema());
    s->raw_ = &j;
    if (!j.is_object()) {
      Error(FieldInvalid(path, j.is_string() ? j : Json(""), "must be a schema object"));
      return s;
    }
    auto get = [&](const char* key) -> const Json* {
      auto it = j.find(key);
      return it == j.end() ? nullptr : &*it;
    };
    auto bool_of = [&](const char* key) {
      const Json* v = get(key);
      if (v && !v->is_boolean()) {
        Error(FieldInvalid(Child(path, key), *v, "must be a boolean"));
        return false;
      }
      return v && v->get<bool>();
    };
    auto string_of = [&](const char* key) {
      const Json* v = get(key);
      if (v && !v->is_string()) {
        Error(FieldInvalid(Child(path, key), *v, "must be a string"));
        return std::string();
      }
      return v ? v->get<std::string>() : std::string();
    };

    if (get("$ref")) {
      Error(FieldForbidden(Child(path, "$ref"), "$ref is not supported"));
    }
    s->type_ = string_of("type");
    s->nullable_ = bool_of("nullable");
    s->preserve_unknown_fields_ = bool_of("x-kubernetes-preserve-unknown-fields");
    s->int_or_string_ = bool_of("x-kubernetes-int-or-string");
    s->embedded_resource_ = bool_of("x-kubernetes-embedded-resource");
    if (!s->type_.empty() &&
        std::find(std::begin(kTypes), std::end(kTypes), s->type_) == std::end(kTypes)) {
      Error(FieldNotSupported(Child(path, "type"), s->type_,
                              std::vector<std::string>(std::begin(kTypes), std::end(kTypes))));
    }
    if (const Json* d = get("default")) {
      s->default_ = std::make_unique<const Json>(*d);
    }

    if (in_junctor) {
      // Inside allOf/anyOf/oneOf/not only value validations may appear (structural schema
      // rule); the anyOf [{type: integer}, {type: string}] of int-or-string is the exception.
      const bool int_or_string_type =
          int_or_string_branch && (s->type_ == "integer" || s->type_ == "string");
      if (!s->type_.empty() && !int_or_string_type) {
        Error(FieldForbidden(Child(path, "type"), "must be empty to be structural"));
      }
      if (s->default_) {
        Error(FieldForbidden(Child(path, "default"), "must be undefined to be structural"));
      }
      if (s->nullable_) {
        Error(FieldForbidden(Child(path, "nullable"), "must be false to be structural"));
      }
      if (get("additionalProperties")) {
        Error(FieldForbidden(Child(path, "additionalProperties"),
                             "must be undefined to be structural"));
      }
      for (const char* ext : {"x-kubernetes-preserve-unknown-fields",
                              "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string"}) {
        if (const Json* v = get(ext); v && v->is_boolean() && v->get<bool>()) {
          Error(FieldForbidden(Child(path, ext), "must be false to be structural"));
        }
      }
    } else if (s->embedded_resource_ && s->type_ != "object") {
      if (s->type_.empty()) {
        Error(FieldRequired(Child(path, "type"),
                            "must be object if x-kubernetes-embedded-resource is true"));
      } else {
        Error(FieldInvalid(Child(path, "type"), s->type_,
                           "must be object if x-kubernetes-embedded-resource is true"));
      }
    } else if (s->type_.empty() && !s->int_or_string_ && !s->preserve_unknown_fields_) {
      Error(FieldRequired(Child(path, "type"),
                          level == Level::kRoot ? "must not be empty at the root"
                          : level == Level::kItem
                              ? "must not be empty for specified array items"
                              : "must not be empty for specified object fields"));
    }

    if (const Json* props = get("properties")) {
      if (!props->is_object()) {
        Error(FieldInvalid(Child(path, "properties"), "", "must be an object of schemas"));
      } else {
        for (const auto& [name, sub] : props->items()) {
          s->properties_.emplace_back(
              name, Compile(sub, fmt::format("{}.properties[{}]", path, name), Level::kField,
                            in_junctor, false));
        }
      }
    }
    if (const Json* ap = get("additionalProperties")) {
      if (get("properties")) {
        Error(FieldForbidden(Child(path, "additionalProperties"),
                             "additionalProperties and properties are mutual exclusive"));
      }
      if (ap->is_boolean()) {
        s->additional_properties_any_ = ap->get<bool>();
      } else {
        s->additional_properties_ =
            Compile(*ap, Child(path, "additionalProperties"), Level::kField, in_junctor, false);
      }
    }
    if (const Json* items = get("items")) {
      if (items->is_array()) {
        Error(
            FieldForbidden(Child(path, "items"), "items must be a schema object and not an array"));
      } else {
        s->items_ = Compile(*items, Child(path, "items"), Level::kItem, in_junctor, false);
      }
    } else if (s->type_ == "array" && !in_junctor) {
      Error(FieldRequired(Child(path, "items"), "must be specified"));
    }

    // int-or-string may spell its types as anyOf or allOf[anyOf] ([{type: integer}, {type:
    // string}]).
    CompileJunctors(*s, j, path, s->int_or_string_ || (in_junctor && int_or_string_branch));
    CompileConstraints(*s, j, path);
    CompileListAndMapTypes(*s, j, path);
    s->patch_merge_key_ = string_of("x-kubernetes-patch-merge-key");
    s->patch_strategy_ = string_of("x-kubernetes-patch-strategy");
    return s;
  }

  // Defaults must validate against their own node (kube rejects such CRDs too).
  void CheckDefaults(const Schema& s, const std::string& path) {
    if (s.default_value()) {
      for (auto& c : ValidateValue(s, *s.default_value(), Child(path, "default"))) {
        Error(std::move(c));
      }
    }
    for (const auto& [name, sub] : s.properties()) {
      CheckDefaults(*sub, fmt::format("{}.properties[{}]", path, name));
    }
    if (s.Items()) {
      CheckDefaults(*s.Items(), Child(path, "items"));
    }
    if (s.AdditionalProperties()) {
      CheckDefaults(*s.AdditionalProperties(), Child(path, "additionalProperties"));
    }
  }

  std::vector<StatusCause>& errors() { return errors_; }

  static void SetRootRaw(Schema& root, std::shared_ptr<const Json> raw) {
    root.root_raw_ = std::move(raw);
  }

 private:
  void Error(StatusCause c) { errors_.push_back(std::move(c)); }

  void CompileJunctors(Schema& s, const Json& j, const std::string& path, bool int_or_string) {
    for (auto [key, list] : {std::pair{"allOf", &s.all_of_}, std::pair{"anyOf", &s.any_of_},
                             std::pair{"oneOf", &s.one_of_}}) {
      auto it = j.find(key);
      if (it == j.end()) {
        continue;
      }
      if (!it->is_array()) {
        Error(FieldInvalid(Child(path, key), "", "must be an array of schemas"));
        continue;
      }
      for (size_t i = 0; i < it->size(); ++i) {
        list->push_back(Compile((*it)[i], fmt::format("{}.{}[{}]", path, key, i), Level::kField,
                                true, int_or_string));
      }
    }
    if (auto it = j.find("not"); it != j.end()) {
      s.not_ = Compile(*it, Child(path, "not"), Level::kField, true, false);
    }
  }

  void CompileConstraints(Schema& s, const Json& j, const std::string& path) {
    SchemaConstraints& c = s.constraints_;
    auto number = [&](const char* key, std::optional<double>& out) {
      auto it = j.find(key);
      if (it == j.end()) {
        return;
      }
      if (!it->is_number()) {
        Error(FieldInvalid(Child(path, key), *it, "must be a number"));
        return;
      }
      out = it->get<double>();
    };
    auto count = [&](const char* key, std::optional<int64_t>& out) {
      auto it = j.find(key);
      if (it == j.end()) {
        return;
      }
      if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        Error(FieldInvalid(Child(path, key), *it, "must be a non-negative integer"));
        return;
      }
      out = it->get<int64_t>();
    };
    auto flag = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_boolean() && it->get<bool>();
    };
    number("minimum", c.minimum);
    number("maximum", c.maximum);
    number("multipleOf", c.multiple_of);
    if (c.multiple_of && *c.multiple_of <= 0) {
      Error(FieldInvalid(Child(path, "multipleOf"), *c.multiple_of, "must be greater than zero"));
      c.multiple_of.reset();
    }
    c.exclusive_minimum = flag("exclusiveMinimum");
    c.exclusive_maximum = flag("exclusiveMaximum");
    count("minLength", c.min_length);
    count("maxLength", c.max_length);
    count("minItems", c.min_items);
    count("maxItems", c.max_items);
    count("minProperties", c.min_properties);
    count("maxProperties", c.max_properties);
    c.unique_items = flag("uniqueItems");
    if (auto it = j.find("format"); it != j.end() && it->is_string()) {
      c.format = it->get<std::string>();
    }
    if (auto it = j.find("enum"); it != j.end()) {
      if (!it->is_array()) {
        Error(FieldInvalid(Child(path, "enum"), "", "must be an array"));
      } else {
        c.enum_values.assign(it->begin(), it->end());
      }
    }
    if (auto it = j.find("required"); it != j.end()) {
      if (!it->is_array() ||
          !std::all_of(it->begin(), it->end(), [](const Json& v) { return v.is_string(); })) {
        Error(FieldInvalid(Child(path, "required"), "", "must be an array of strings"));
      } else {
        s.required_.assign(it->begin(), it->end());
      }
    }
    if (auto it = j.find("pattern"); it != j.end()) {
      if (!it->is_string()) {
        Error(FieldInvalid(Child(path, "pattern"), *it, "must be a string"));
      } else {
        c.pattern = it->get<std::string>();
        c.compiled_pattern = CompilePattern(c.pattern, Child(path, "pattern"));
      }
    }
  }

  void CompileListAndMapTypes(Schema& s, const Json& j, const std::string& path) {
    if (auto it = j.find("x-kubernetes-list-type"); it != j.end()) {
      const std::string field = Child(path, "x-kubernetes-list-type");
      if (!it->is_string() || (*it != "atomic" && *it != "set" && *it != "map")) {
        Error(FieldNotSupported(field, *it, {"atomic", "set", "map"}));
      } else {
        s.list_type_ = it->get<std::string>();
        if (s.type_ != "array") {
          Error(FieldInvalid(field, s.list_type_, "must only be used if type is array"));
        }
      }
    }
    if (auto it = j.find("x-kubernetes-list-map-keys"); it != j.end()) {
      if (!it->is_array() ||
          !std::all_of(it->begin(), it->end(), [](const Json& v) { return v.is_string(); })) {
        Error(FieldInvalid(Child(path, "x-kubernetes-list-map-keys"), "",
                           "must be an array of strings"));
      } else {
        s.list_map_keys_.assign(it->begin(), it->end());
      }
    }
    if (s.list_type_ == "map" && s.list_map_keys_.empty()) {
      Error(FieldRequired(Child(path, "x-kubernetes-list-map-keys"),
                          "must not be empty if x-kubernetes-list-type is map"));
    }
    if (auto it = j.find("x-kubernetes-map-type"); it != j.end()) {
      if (!it->is_string() || (*it != "granular" && *it != "atomic")) {
        Error(FieldNotSupported(Child(path, "x-kubernetes-map-type"), *it, {"granular", "atomic"}));
      } else {
        s.map_type_ = it->get<std::string>();
      }
    }
  }

  std::shared_ptr<const CompiledPattern> CompilePattern(const std::string& pattern,
                                                        const std::string& field) {
    if (auto it = patterns_.find(pattern); it != patterns_.end()) {
      return it->second;
    }
    std::string_view p = pattern;
    auto flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
    // Go's RE2 inline case-insensitivity flag, as used by upstream CRDs ("^(?i)[a-z]...").
    std::string rewritten;
    for (std::string_view prefix : {"(?i)", "^(?i)"}) {
      if (p.starts_with(prefix)) {
        rewritten =
            std::string(prefix == "^(?i)" ? "^" : "") + std::string(p.substr(prefix.size()));
        flags |= std::regex::icase;
        p = rewritten;
        break;
      }
    }
    try {
      auto compiled =
          std::make_shared<CompiledPattern>(CompiledPattern{std::regex(p.begin(), p.end(), flags)});
      patterns_[pattern] = compiled;
      return compiled;
    } catch (const std::regex_error& e) {
      Error(
          FieldInvalid(field, pattern,
                       std::string("must be a valid regular expression, but isn't: ") + e.what()));
      return nullptr;
    }
  }

  std::vector<StatusCause> errors_;
  std::map<std::string, std::shared_ptr<const CompiledPattern>> patterns_;
};

Schema::~Schema() = default;

const Schema* Schema::Property(std::string_view name) const {
  auto it = std::lower_bound(properties_.begin(), properties_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  return it != properties_.end() && it->first == name ? it->second.get() : nullptr;
}

bool Schema::MatchesPattern(std::string_view s) const {
  const auto& p = constraints_.compiled_pattern;
  return !p || std::regex_search(s.begin(), s.end(), p->re);
}

StatusOr<std::shared_ptr<const Schema>> CompileSchema(const Json& openapi_v3_schema) {
  auto raw = std::make_shared<const Json>(openapi_v3_schema);
  SchemaCompiler compiler;
  const std::string root_path = "openAPIV3Schema";
  std::unique_ptr<Schema> root = compiler.Compile(*raw, root_path, Level::kRoot, false, false);
  if (compiler.errors().empty()) {
    compiler.CheckDefaults(*root, root_path);
  }
  if (!compiler.errors().empty()) {
    StatusDetails details;
    details.reason = "Invalid";
    details.causes = std::move(compiler.errors());
    std::string msg;
    for (const auto& c : details.causes) {
      msg += (msg.empty() ? "" : ", ") + c.field + ": " + c.message;
    }
    if (details.causes.size() > 1) {
      msg = "[" + msg + "]";
    }
    return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(details));
  }
  SchemaCompiler::SetRootRaw(*root, std::move(raw));
  return std::shared_ptr<const Schema>(std::move(root));
}

// --- Defaulting ------------------------------------------------------------------------------

namespace {

bool IsNonNullableNull(const Json& v, const Schema* s) {
  return v.is_null() && s && !s->nullable();
}

void Default(const Schema* s, Json& x) {
  if (!s) {
    return;
  }
  if (x.is_object()) {
    for (const auto& [name, prop] : s->properties()) {
      if (!prop->default_value()) {
        continue;
      }
      auto it = x.find(name);
      if (it == x.end() || IsNonNullableNull(*it, prop.get())) {
        x[name] = *prop->default_value();
      }
    }
    for (auto& [k, v] : x.items()) {
      if (const Schema* prop = s->Property(k)) {
        Default(prop, v);
      } else if (const Schema* ap = s->AdditionalProperties()) {
        if (IsNonNullableNull(v, ap) && ap->default_value()) {
          v = *ap->default_value();
        }
        Default(ap, v);
      }
    }
  } else if (x.is_array()) {
    const Schema* items = s->Items();
    for (Json& item : x) {
      if (IsNonNullableNull(item, items) && items->default_value()) {
        item = *items->default_value();
      }
      Default(items, item);
    }
  }
}

// --- Pruning ---------------------------------------------------------------------------------

class Pruner {
 public:
  std::vector<std::string> pruned;

  // `resource` marks the root and x-kubernetes-embedded-resource objects.
  void Prune(const Schema* s, Json& x, const std::string& path, bool resource) {
    if (!s) {
      return;
    }
    if (x.is_array()) {
      for (size_t i = 0; i < x.size(); ++i) {
        Prune(s->Items(), x[i], fmt::format("{}[{}]", path, i), false);
      }
      return;
    }
    if (!x.is_object()) {
      return;
    }
    resource = resource || s->embedded_resource();
    const bool keep_unknown = s->preserve_unknown_fields() || s->additional_properties_any();
    for (auto it = x.begin(); it != x.end();) {
      const std::string& k = it.key();
      Json& v = it.value();
      if (resource && (k == "apiVersion" || k == "kind") && v.is_string()) {
        ++it;
        continue;
      }
      if (resource && k == "metadata" && v.is_object()) {
        PruneObjectMeta(v, Child(path, k));
        ++it;
        continue;
      }
      if (const Schema* prop = s->Property(k)) {
        if (IsNonNullableNull(v, prop) && !prop->default_value()) {
          it = x.erase(it);
          continue;
        }
        Prune(prop, v, Child(path, k), false);
      } else if (const Schema* ap = s->AdditionalProperties()) {
        Prune(ap, v, Child(path, k), false);
      } else if (!keep_unknown) {
        pruned.push_back(Child(path, k));
        it = x.erase(it);
        continue;
      }
      ++it;
    }
  }

 private:
  void PruneObjectMeta(Json& meta, const std::string& path) {
    for (auto it = meta.begin(); it != meta.end();) {
      if (IsObjectMetaField(it.key())) {
        ++it;
      } else {
        pruned.push_back(Child(path, it.key()));
        it = meta.erase(it);
      }
    }
  }
};

}  // namespace

void ApplyDefaults(const Schema& s, Json& obj) { Default(&s, obj); }

std::vector<std::string> Prune(const Schema& s, Json& obj) {
  Pruner p;
  p.Prune(&s, obj, "", true);
  return std::move(p.pruned);
}

}  // namespace skiff::api
