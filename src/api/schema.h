// Compiled structural OpenAPI v3 schemas (the CRD `openAPIV3Schema` dialect) and the three
// operations kube-apiserver runs with them: defaulting, pruning and validation. Every built-in
// kind and every CustomResourceDefinition goes through this one engine (kube-api.md §10).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// A compiled `pattern` (defined in schema.cc; the regex engine stays out of this header).
struct CompiledPattern;

// Value constraints of one schema node (OpenAPI keywords that only validate).
struct SchemaConstraints {
  std::vector<Json> enum_values;  // empty = no enum
  std::optional<double> minimum, maximum, multiple_of;
  bool exclusive_minimum = false, exclusive_maximum = false;
  std::optional<int64_t> min_length, max_length;  // in characters (code points), as kube counts
  std::optional<int64_t> min_items, max_items;
  std::optional<int64_t> min_properties, max_properties;
  bool unique_items = false;
  std::string pattern;  // as written; "" = none
  std::shared_ptr<const CompiledPattern> compiled_pattern;
  std::string format;  // "date-time", "int32", ...; "" = none
};

// One node of a compiled structural schema. Immutable after CompileSchema and safe to share
// between threads. Child nodes are owned by their parent; the root returned by CompileSchema
// owns the whole tree and the JSON it was compiled from, so pointers obtained from a root stay
// valid as long as that root lives.
class Schema {
 public:
  using Properties = std::vector<std::pair<std::string, std::unique_ptr<Schema>>>;
  using Schemas = std::vector<std::unique_ptr<Schema>>;

  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  ~Schema();

  // "object", "array", "string", "integer", "number", "boolean", or "" (untyped: only with
  // x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields, or inside allOf/anyOf/...).
  const std::string& type() const { return type_; }
  // Declared properties, sorted by name. Property() is nullptr when `name` is not declared.
  const Properties& properties() const { return properties_; }
  const Schema* Property(std::string_view name) const;
  const Schema* Items() const { return items_.get(); }
  // The schema of undeclared keys; nullptr if absent, false, or plain `true`.
  const Schema* AdditionalProperties() const { return additional_properties_.get(); }
  // `additionalProperties: true`: undeclared keys are kept and not validated.
  bool additional_properties_any() const { return additional_properties_any_; }
  const std::vector<std::string>& required() const { return required_; }
  // The `default`, or nullptr.
  const Json* default_value() const { return default_.get(); }
  bool nullable() const { return nullable_; }
  bool preserve_unknown_fields() const { return preserve_unknown_fields_; }  // x-kubernetes-...
  bool int_or_string() const { return int_or_string_; }
  bool embedded_resource() const { return embedded_resource_; }
  const std::string& list_type() const { return list_type_; }  // "", "atomic", "set", "map"
  const std::vector<std::string>& list_map_keys() const { return list_map_keys_; }
  const std::string& map_type() const { return map_type_; }  // "", "granular", "atomic"
  const std::string& patch_merge_key() const { return patch_merge_key_; }
  const std::string& patch_strategy() const { return patch_strategy_; }
  const SchemaConstraints& constraints() const { return constraints_; }
  const Schemas& all_of() const { return all_of_; }
  const Schemas& any_of() const { return any_of_; }
  const Schemas& one_of() const { return one_of_; }
  const Schema* not_schema() const { return not_.get(); }
  // The schema JSON this node was compiled from (for /openapi/v3 and explain).
  const Json& raw() const { return *raw_; }

  // True when there is no `pattern` or `s` matches it (search semantics, like Go's
  // regexp.MatchString). Runs in time polynomial in len(s) with bounded stack.
  bool MatchesPattern(std::string_view s) const;

 private:
  friend class SchemaCompiler;
  Schema() = default;

  std::string type_;
  Properties properties_;
  std::unique_ptr<Schema> items_;
  std::unique_ptr<Schema> additional_properties_;
  bool additional_properties_any_ = false;
  std::vector<std::string> required_;
  std::unique_ptr<const Json> default_;
  bool nullable_ = false;
  bool preserve_unknown_fields_ = false;
  bool int_or_string_ = false;
  bool embedded_resource_ = false;
  std::string list_type_;
  std::vector<std::string> list_map_keys_;
  std::string map_type_;
  std::string patch_merge_key_;
  std::string patch_strategy_;
  SchemaConstraints constraints_;
  Schemas all_of_, any_of_, one_of_;
  std::unique_ptr<Schema> not_;
  const Json* raw_ = nullptr;             // points into root_raw_ of the root
  std::shared_ptr<const Json> root_raw_;  // set on the root only
};

// Compiles a structural schema. Errors are InvalidArgument whose details carry one cause per
// problem, with fields like "openAPIV3Schema.properties[spec].type": a missing type (unless
// int-or-string / preserve-unknown-fields), an unknown type name, properties together with
// additionalProperties, type/default/nullable inside allOf/anyOf/oneOf/not (the int-or-string
// anyOf of integer and string excepted), a malformed keyword, a pattern that does not compile,
// $ref, or a default that does not validate against its own schema.
// Deviation: `pattern` uses ECMAScript syntax (plus a leading (?i)) rather than Go's RE2.
StatusOr<std::shared_ptr<const Schema>> CompileSchema(const Json& openapi_v3_schema);

// The operations below take a whole object: at the root (and under
// x-kubernetes-embedded-resource) apiVersion, kind and metadata are implicit.

// Fills in `default`s where a field is absent (or null and not nullable) and its parent object
// exists, recursively: inside array items, additionalProperties and freshly applied defaults too.
void ApplyDefaults(const Schema& s, Json& obj);

// Drops fields the schema does not know, except beneath x-kubernetes-preserve-unknown-fields,
// and returns their paths in kube's form ("spec.foo", "spec.containers[0].bar",
// "metadata.foo", "spec.map.key.bar"), in document order. metadata is reduced to ObjectMeta's
// fields. Also removes, without reporting, null values of non-nullable fields that have no
// default (kube's PruneNonNullableNullsWithoutDefaults).
std::vector<std::string> Prune(const Schema& s, Json& obj);

// Validates `obj` and returns kube-apiserver's causes, e.g. {FieldValueTypeInvalid,
// `Invalid value: "string": spec.size in body must be of type integer: "string"`, spec.size},
// {FieldValueRequired, "Required value", spec.x}, {FieldValueNotSupported,
// `Unsupported value: "x": supported values: "a", "b"`, spec.mode}. Unknown fields are not
// errors here (see Prune). Recursion follows the schema only, never deeper than it.
std::vector<StatusCause> Validate(const Schema& s, const Json& obj);

// Validates a value that is not a whole object (nothing is implicit), with causes under `path`
// ("spec.template", or "" for the value itself). Used for defaults and sub-objects.
std::vector<StatusCause> ValidateValue(const Schema& s, const Json& value, std::string_view path);

}  // namespace skiff::api
