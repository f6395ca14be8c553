// Tests for the structural schema engine: compilation errors, defaulting, pruning, validation.
#include "api/schema.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/yaml.h"

namespace skiff::api {
namespace {

std::shared_ptr<const Schema> MustCompile(const Json& j) {
  auto s = CompileSchema(j);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

std::shared_ptr<const Schema> FromYaml(std::string_view yaml) {
  auto j = ParseYamlOrJson(yaml);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return MustCompile(*j);
}

std::string Dump(const std::vector<StatusCause>& causes) {
  std::string out;
  for (const auto& c : causes) {
    out += c.field + " [" + c.reason + "] " + c.message + "\n";
  }
  return out;
}

// The only cause, checked field by field.
void ExpectOne(const std::vector<StatusCause>& causes, std::string_view reason,
               std::string_view field, std::string_view message) {
  ASSERT_EQ(causes.size(), 1u) << Dump(causes);
  EXPECT_EQ(causes[0].reason, reason) << Dump(causes);
  EXPECT_EQ(causes[0].field, field) << Dump(causes);
  EXPECT_EQ(causes[0].message, message) << Dump(causes);
}

const StatusCause* FindCause(const std::vector<StatusCause>& causes, std::string_view field) {
  for (const auto& c : causes) {
    if (c.field == field) {
      return &c;
    }
  }
  return nullptr;
}

std::vector<StatusCause> CompileErrors(std::string_view yaml) {
  auto j = ParseYamlOrJson(yaml);
  EXPECT_TRUE(j.ok());
  auto s = CompileSchema(*j);
  EXPECT_FALSE(s.ok()) << yaml;
  if (s.ok()) {
    return {};
  }
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().details(), nullptr);
  return s.status().details() ? s.status().details()->causes : std::vector<StatusCause>{};
}

constexpr std::string_view kWidget = R"(
type: object
properties:
  apiVersion: {type: string}
  kind: {type: string}
  metadata:
    type: object
    properties:
      name: {type: string, maxLength: 10}
  spec:
    type: object
    required: [size]
    properties:
      size: {type: integer, minimum: 1, maximum: 10, default: 1}
      ratio: {type: number, exclusiveMinimum: true, minimum: 0, multipleOf: 0.5}
      mode: {type: string, enum: [Fast, Slow]}
      name: {type: string, minLength: 2, maxLength: 5, pattern: '^[a-z]+$'}
      when: {type: string, format: date-time}
      data: {type: string, format: byte}
      count32: {type: integer, format: int32}
      port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
      note: {type: string, nullable: true}
      tags: {type: array, items: {type: string}, minItems: 1, maxItems: 3, x-kubernetes-list-type: set}
      labels: {type: object, additionalProperties: {type: string}, maxProperties: 2}
      extra: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {known: {type: integer}}}
      template:
        type: object
        properties:
          spec:
            type: object
            properties:
              containers:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                x-kubernetes-patch-merge-key: name
                x-kubernetes-patch-strategy: merge
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    image: {type: string}
                    ports:
                      type: array
                      items:
                        type: object
                        properties:
                          containerPort: {type: integer}
                          protocol: {type: string, default: TCP}
  status:
    type: object
    x-kubernetes-preserve-unknown-fields: true
)";

Json Obj(std::string_view json) { return Json::parse(json); }

TEST(SchemaTest, Accessors) {
  auto s = FromYaml(kWidget);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->type(), "object");
  ASSERT_EQ(s->properties().size(), 5u);
  EXPECT_EQ(s->properties()[0].first, "apiVersion");  // sorted
  const Schema* spec = s->Property("spec");
  ASSERT_TRUE(spec);
  EXPECT_EQ(s->Property("nope"), nullptr);
  EXPECT_EQ(spec->required(), std::vector<std::string>{"size"});
  EXPECT_EQ(*spec->Property("size")->default_value(), 1);
  EXPECT_TRUE(spec->Property("port")->int_or_string());
  EXPECT_EQ(spec->Property("port")->any_of().size(), 2u);
  EXPECT_TRUE(spec->Property("note")->nullable());
  EXPECT_TRUE(spec->Property("extra")->preserve_unknown_fields());
  EXPECT_EQ(spec->Property("labels")->AdditionalProperties()->type(), "string");
  EXPECT_EQ(spec->Property("tags")->Items()->type(), "string");
  EXPECT_EQ(spec->Property("tags")->list_type(), "set");
  const Schema* containers = spec->Property("template")->Property("spec")->Property("containers");
  EXPECT_EQ(containers->list_type(), "map");
  EXPECT_EQ(containers->list_map_keys(), std::vector<std::string>{"name"});
  EXPECT_EQ(containers->patch_merge_key(), "name");
  EXPECT_EQ(containers->patch_strategy(), "merge");
  EXPECT_EQ(spec->Property("mode")->constraints().enum_values.size(), 2u);
  EXPECT_EQ(spec->Property("name")->constraints().pattern, "^[a-z]+$");
  EXPECT_EQ(spec->raw()["required"], Json::array({"size"}));
  EXPECT_EQ(s->raw()["properties"]["status"]["type"], "object");
}

TEST(SchemaTest, CompileRejectsNonStructuralSchemas) {
  ExpectOne(
      CompileErrors("type: object\nproperties:\n  spec:\n    properties: {a: {type: string}}\n"),
      "FieldValueRequired", "openAPIV3Schema.properties[spec].type",
      "Required value: must not be empty for specified object fields");
  ExpectOne(CompileErrors("properties: {a: {type: string}}\n"), "FieldValueRequired",
            "openAPIV3Schema.type", "Required value: must not be empty at the root");
  ExpectOne(CompileErrors("type: object\nproperties:\n  l: {type: array, items: {}}\n"),
            "FieldValueRequired", "openAPIV3Schema.properties[l].items.type",
            "Required value: must not be empty for specified array items");
  ExpectOne(CompileErrors("type: object\nproperties:\n  l: {type: array}\n"), "FieldValueRequired",
            "openAPIV3Schema.properties[l].items", "Required value: must be specified");
  ExpectOne(CompileErrors("type: object\nproperties: {a: {type: string}}\n"
                          "additionalProperties: {type: string}\n"),
            "FieldValueForbidden", "openAPIV3Schema.additionalProperties",
            "Forbidden: additionalProperties and properties are mutual exclusive");
  ExpectOne(CompileErrors("type: object\nproperties:\n  spec:\n    type: object\n"
                          "    allOf: [{type: object}]\n"),
            "FieldValueForbidden", "openAPIV3Schema.properties[spec].allOf[0].type",
            "Forbidden: must be empty to be structural");
  ExpectOne(CompileErrors("type: object\nanyOf: [{default: 1}]\n"), "FieldValueForbidden",
            "openAPIV3Schema.anyOf[0].default", "Forbidden: must be undefined to be structural");
  ExpectOne(CompileErrors("type: object\noneOf: [{nullable: true}]\n"), "FieldValueForbidden",
            "openAPIV3Schema.oneOf[0].nullable", "Forbidden: must be false to be structural");
  ExpectOne(CompileErrors("type: object\nnot: {type: string}\n"), "FieldValueForbidden",
            "openAPIV3Schema.not.type", "Forbidden: must be empty to be structural");
  ExpectOne(CompileErrors("type: object\nproperties: {a: {type: strin}}\n"),
            "FieldValueNotSupported", "openAPIV3Schema.properties[a].type",
            "Unsupported value: \"strin\": supported values: \"array\", \"boolean\", \"integer\", "
            "\"number\", \"object\", \"string\"");
  auto bad_pattern =
      CompileErrors("type: object\nproperties: {a: {type: string, pattern: '(['}}\n");
  ASSERT_EQ(bad_pattern.size(), 1u);
  EXPECT_EQ(bad_pattern[0].field, "openAPIV3Schema.properties[a].pattern");
  EXPECT_EQ(bad_pattern[0].message.rfind(
                "Invalid value: \"([\": must be a valid regular expression, but isn't: ", 0),
            0u);
  ExpectOne(CompileErrors("type: object\nproperties: {a: {type: integer, default: x}}\n"),
            "FieldValueTypeInvalid", "openAPIV3Schema.properties[a].default",
            "Invalid value: \"string\": openAPIV3Schema.properties[a].default in body must be of "
            "type integer: \"string\"");
  ExpectOne(CompileErrors("type: object\nproperties: {a: {type: string, $ref: '#/x'}}\n"),
            "FieldValueForbidden", "openAPIV3Schema.properties[a].$ref",
            "Forbidden: $ref is not supported");
  ExpectOne(CompileErrors("type: object\nproperties:\n  l: {type: array, items: {type: object}, "
                          "x-kubernetes-list-type: map}\n"),
            "FieldValueRequired", "openAPIV3Schema.properties[l].x-kubernetes-list-map-keys",
            "Required value: must not be empty if x-kubernetes-list-type is map");
  auto two = CompileSchema(Obj(R"({"type": "object", "properties": {"a": {}, "b": {}}})"));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().details()->causes.size(), 2u);
  EXPECT_EQ(two.status().message().front(), '[');
  EXPECT_FALSE(CompileSchema(Json("string")).ok());
}

TEST(SchemaTest, CompileAcceptsStructuralSpecialCases) {
  // controller-gen's int-or-string and preserve-unknown without a type; upstream's (?i) pattern.
  auto s = FromYaml(R"(
type: object
properties:
  q:
    anyOf: [{type: integer}, {type: string}]
    pattern: '^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$'
    x-kubernetes-int-or-string: true
  any: {x-kubernetes-preserve-unknown-fields: true}
  nested:
    x-kubernetes-int-or-string: true
    allOf: [{anyOf: [{type: integer}, {type: string}]}, {minimum: 0}]
  ci: {type: string, pattern: '^(?i)[a-z]([-a-z0-9]*[a-z0-9])?$'}
  free: {type: object, additionalProperties: true}
  emb: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
)");
  ASSERT_TRUE(s);
  EXPECT_TRUE(Validate(*s, Obj(R"({"q": "500m", "any": [1, {"x": null}], "ci": "AbC"})")).empty());
  EXPECT_EQ(Validate(*s, Obj(R"({"q": "5 GB"})")).size(), 1u);
  EXPECT_TRUE(Validate(*s, Obj(R"({"nested": "25%"})")).empty());
  EXPECT_TRUE(Validate(*s, Obj(R"({"nested": 3})")).empty());
  EXPECT_FALSE(Validate(*s, Obj(R"({"nested": -3})")).empty());
  EXPECT_EQ(Validate(*s, Obj(R"({"ci": "-x"})")).size(), 1u);
  EXPECT_TRUE(s->Property("free")->additional_properties_any());
}

TEST(SchemaTest, TypeErrorsAtNestedPaths) {
  auto s = FromYaml(kWidget);
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": "string"}})")), "FieldValueTypeInvalid",
            "spec.size",
            "Invalid value: \"string\": spec.size in body must be of type integer: \"string\"");
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "template": {"spec": {"containers":
                [{"name": "a", "image": "b"}, {"name": "c", "image": 5}]}}}})")),
            "FieldValueTypeInvalid", "spec.template.spec.containers[1].image",
            "Invalid value: \"integer\": spec.template.spec.containers[1].image in body must be of "
            "type string: \"integer\"");
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "template": {"spec": {"containers":
                [{"name": "a", "ports": [{"containerPort": "80"}]}]}}}})")),
            "FieldValueTypeInvalid", "spec.template.spec.containers[0].ports[0].containerPort",
            "Invalid value: \"string\": spec.template.spec.containers[0].ports[0].containerPort in "
            "body must be of type integer: \"string\"");
  ExpectOne(Validate(*s, Obj(R"({"spec": [1]})")), "FieldValueTypeInvalid", "spec",
            "Invalid value: \"array\": spec in body must be of type object: \"array\"");
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "tags": [true]}})")), "FieldValueTypeInvalid",
            "spec.tags[0]",
            "Invalid value: \"boolean\": spec.tags[0] in body must be of type string: \"boolean\"");
  // Whole floats are integers; fractions are numbers.
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 3.0}})")).empty());
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 3.5}})")), "FieldValueTypeInvalid", "spec.size",
            "Invalid value: \"number\": spec.size in body must be of type integer: \"number\"");
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "ratio": 2}})")).empty());
}

TEST(SchemaTest, RequiredEnumAndNull) {
  auto s = FromYaml(kWidget);
  ExpectOne(Validate(*s, Obj(R"({"spec": {}})")), "FieldValueRequired", "spec.size",
            "Required value");
  // A null for a non-nullable field counts as absent.
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": null}})")), "FieldValueRequired", "spec.size",
            "Required value");
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "mode": null, "note": null}})")).empty());
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "mode": "x"}})")), "FieldValueNotSupported",
            "spec.mode", R"(Unsupported value: "x": supported values: "Fast", "Slow")");
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "mode": "Fast"}})")).empty());
  // Nulls inside lists are type errors.
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "tags": [null]}})")), "FieldValueTypeInvalid",
            "spec.tags[0]",
            "Invalid value: \"null\": spec.tags[0] in body must be of type string: \"null\"");
  auto ints = MustCompile(Obj(R"({"type": "object", "properties": {"n": {"type": "integer",
      "enum": [1, 2]}}})"));
  ExpectOne(Validate(*ints, Obj(R"({"n": 3})")), "FieldValueNotSupported", "n",
            R"(Unsupported value: 3: supported values: "1", "2")");
  EXPECT_TRUE(Validate(*ints, Obj(R"({"n": 2.0})")).empty());
}

TEST(SchemaTest, ValueConstraints) {
  auto s = FromYaml(kWidget);
  auto spec = [](std::string_view extra) {
    return Obj(std::string(R"({"spec": {"size": 1)") + std::string(extra) + "}}");
  };
  ExpectOne(Validate(*s, spec(R"(, "size": 0)")), "FieldValueInvalid", "spec.size",
            "Invalid value: 0: spec.size in body should be greater than or equal to 1");
  ExpectOne(Validate(*s, spec(R"(, "size": 11)")), "FieldValueInvalid", "spec.size",
            "Invalid value: 11: spec.size in body should be less than or equal to 10");
  ExpectOne(Validate(*s, spec(R"(, "ratio": 0)")), "FieldValueInvalid", "spec.ratio",
            "Invalid value: 0: spec.ratio in body should be greater than 0");
  ExpectOne(Validate(*s, spec(R"(, "ratio": 0.7)")), "FieldValueInvalid", "spec.ratio",
            "Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5");
  EXPECT_TRUE(Validate(*s, spec(R"(, "ratio": 1.5)")).empty());
  ExpectOne(Validate(*s, spec(R"(, "name": "a")")), "FieldValueInvalid", "spec.name",
            "Invalid value: \"a\": spec.name in body should be at least 2 chars long");
  ExpectOne(Validate(*s, spec(R"(, "name": "abcdef")")), "FieldValueTooLong", "spec.name",
            "Too long: may not be longer than 5");
  ExpectOne(Validate(*s, spec(R"(, "name": "ab1")")), "FieldValueInvalid", "spec.name",
            "Invalid value: \"ab1\": spec.name in body should match '^[a-z]+$'");
  EXPECT_TRUE(Validate(*s, spec(R"(, "name": "éé")")).size() == 1);  // 2 chars, but not [a-z]
  ExpectOne(Validate(*s, spec(R"(, "when": "yesterday")")), "FieldValueTypeInvalid", "spec.when",
            "Invalid value: \"yesterday\": spec.when in body must be of type date-time: "
            "\"yesterday\"");
  EXPECT_TRUE(Validate(*s, spec(R"(, "when": "2024-02-29T10:00:00Z")")).empty());
  EXPECT_TRUE(Validate(*s, spec(R"(, "when": "2024-02-29T10:00:00.123+02:00")")).empty());
  EXPECT_EQ(Validate(*s, spec(R"(, "when": "2023-02-29T10:00:00Z")")).size(), 1u);
  EXPECT_EQ(Validate(*s, spec(R"(, "when": "2023-01-01T25:00:00Z")")).size(), 1u);
  EXPECT_TRUE(Validate(*s, spec(R"(, "data": "aGVsbG8=")")).empty());
  EXPECT_EQ(Validate(*s, spec(R"(, "data": "not base64!")")).size(), 1u);
  // int32 is not range-checked (kube does not either).
  EXPECT_TRUE(Validate(*s, spec(R"(, "count32": 3000000000)")).empty());
  ExpectOne(Validate(*s, spec(R"(, "tags": [])")), "FieldValueInvalid", "spec.tags",
            "Invalid value: 0: spec.tags in body should have at least 1 items");
  ExpectOne(Validate(*s, spec(R"(, "tags": ["a", "b", "c", "d"])")), "FieldValueTooMany",
            "spec.tags", "Too many: 4: must have at most 3 items");
  ExpectOne(Validate(*s, spec(R"(, "tags": ["a", "b", "a"])")), "FieldValueDuplicate",
            "spec.tags[2]", R"(Duplicate value: "a")");
  ExpectOne(Validate(*s, spec(R"(, "labels": {"a": "1", "b": "2", "c": "3"})")),
            "FieldValueTooMany", "spec.labels", "Too many: 3: must have at most 2 items");
  ExpectOne(
      Validate(*s, spec(R"(, "labels": {"a": 1})")), "FieldValueTypeInvalid", "spec.labels.a",
      "Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"");
}

TEST(SchemaTest, IntOrString) {
  auto s = FromYaml(kWidget);
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "port": 8080}})")).empty());
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "port": "http"}})")).empty());
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "port": true}})")), "FieldValueTypeInvalid",
            "spec.port",
            "Invalid value: \"boolean\": spec.port in body must be of type integer,string: "
            "\"boolean\"");
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "port": 1.5}})")), "FieldValueTypeInvalid",
            "spec.port",
            "Invalid value: \"number\": spec.port in body must be of type integer,string: "
            "\"number\"");
}

TEST(SchemaTest, ListMapDuplicatesAndPreserveUnknown) {
  auto s = FromYaml(kWidget);
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "template": {"spec": {"containers":
                [{"name": "a"}, {"name": "b"}, {"name": "a"}]}}}})")),
            "FieldValueDuplicate", "spec.template.spec.containers[2]",
            R"(Duplicate value: map[string]interface {}{"name":"a"})");
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "template": {"spec": {"containers":
                [{"image": "x"}]}}}})")),
            "FieldValueRequired", "spec.template.spec.containers[0].name", "Required value");
  // Unknown fields under preserve-unknown are neither errors nor walked; declared ones are checked.
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "extra": {"x": {"y": [1, "z"]}}},
                                   "status": {"anything": true}})"))
                  .empty());
  ExpectOne(Validate(*s, Obj(R"({"spec": {"size": 1, "extra": {"known": "no"}}})")),
            "FieldValueTypeInvalid", "spec.extra.known",
            "Invalid value: \"string\": spec.extra.known in body must be of type integer: "
            "\"string\"");
  // Unknown fields are not validation errors (Prune reports them).
  EXPECT_TRUE(Validate(*s, Obj(R"({"spec": {"size": 1, "bogus": 1}, "bogus": 2})")).empty());
}

TEST(SchemaTest, MetadataAndRootFields) {
  auto s = FromYaml(kWidget);
  ExpectOne(Validate(*s, Obj(R"({"metadata": {"name": "much-too-long-name", "labels": {"a": 1}},
                                 "spec": {"size": 1}})")),
            "FieldValueTooLong", "metadata.name", "Too long: may not be longer than 10");
  ExpectOne(Validate(*s, Obj(R"({"apiVersion": 1, "spec": {"size": 1}})")), "FieldValueTypeInvalid",
            "apiVersion",
            "Invalid value: \"integer\": apiVersion in body must be of type string: \"integer\"");
  ExpectOne(Validate(*s, Obj(R"({"metadata": "x", "spec": {"size": 1}})")), "FieldValueTypeInvalid",
            "metadata",
            "Invalid value: \"string\": metadata in body must be of type object: \"string\"");
}

TEST(SchemaTest, Junctors) {
  auto s = MustCompile(Obj(R"({"type": "object", "properties": {
      "one": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
              "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
      "any": {"type": "string", "anyOf": [{"pattern": "^x"}, {"pattern": "y$"}]},
      "all": {"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 5}]},
      "nope": {"type": "string", "not": {"enum": ["bad"]}}}})"));
  ASSERT_TRUE(s);
  EXPECT_TRUE(
      Validate(*s, Obj(R"({"one": {"a": "1"}, "any": "xa", "all": 3, "nope": "ok"})")).empty());
  auto both = Validate(*s, Obj(R"({"one": {"a": "1", "b": "2"}})"));
  ASSERT_EQ(both.size(), 1u) << Dump(both);
  EXPECT_EQ(both[0].field, "one");
  EXPECT_EQ(both[0].message,
            "Invalid value: []interface {}{\"one\"}: one must validate one and only one schema "
            "(oneOf). Found 2 valid alternatives");
  auto none = Validate(*s, Obj(R"({"one": {}})"));
  ASSERT_FALSE(none.empty());
  EXPECT_NE(none[0].message.find("Found none valid"), std::string::npos);
  EXPECT_TRUE(FindCause(none, "one.a") || FindCause(none, "one.b")) << Dump(none);
  auto any = Validate(*s, Obj(R"({"any": "zz"})"));
  ASSERT_FALSE(any.empty());
  EXPECT_NE(any[0].message.find("any must validate at least one schema (anyOf)"),
            std::string::npos);
  auto all = Validate(*s, Obj(R"({"all": 9})"));
  ASSERT_EQ(all.size(), 2u) << Dump(all);
  EXPECT_EQ(all[0].message, "Invalid value: 9: all in body should be less than or equal to 5");
  EXPECT_NE(all[1].message.find("must validate all the schemas (allOf)"), std::string::npos);
  auto not_ = Validate(*s, Obj(R"({"nope": "bad"})"));
  ASSERT_EQ(not_.size(), 1u);
  EXPECT_NE(not_[0].message.find("nope must not validate the schema (not)"), std::string::npos);
}

TEST(SchemaTest, PrunesUnknownFields) {
  auto s = FromYaml(kWidget);
  Json obj = Obj(R"({
    "apiVersion": "example.com/v1", "kind": "Widget", "top": 1,
    "metadata": {"name": "w", "labels": {"a": "b"}, "foo": 1, "uid": "u"},
    "spec": {"size": 1, "foo": {"deep": 1},
             "labels": {"k": "v"},
             "extra": {"kept": {"x": 1}, "known": 2},
             "template": {"spec": {"containers": [{"name": "a", "bar": 1,
                                                   "ports": [{"containerPort": 1, "zap": 2}]}]}}},
    "status": {"anything": {"goes": true}}
  })");
  auto pruned = Prune(*s, obj);
  EXPECT_EQ(pruned, (std::vector<std::string>{
                        "metadata.foo", "spec.foo", "spec.template.spec.containers[0].bar",
                        "spec.template.spec.containers[0].ports[0].zap", "top"}));
  EXPECT_EQ(obj, Obj(R"({
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "w", "labels": {"a": "b"}, "uid": "u"},
    "spec": {"size": 1, "labels": {"k": "v"}, "extra": {"kept": {"x": 1}, "known": 2},
             "template": {"spec": {"containers": [{"name": "a",
                                                   "ports": [{"containerPort": 1}]}]}}},
    "status": {"anything": {"goes": true}}
  })"));
  EXPECT_TRUE(Prune(*s, obj).empty());  // idempotent
}

TEST(SchemaTest, PruneMapsEmbeddedResourcesAndNulls) {
  auto s = MustCompile(Obj(R"({"type": "object", "properties": {
      "m": {"type": "object", "additionalProperties": {"type": "object",
            "properties": {"x": {"type": "integer"}}}},
      "bare": {"type": "object"},
      "emb": {"type": "object", "x-kubernetes-embedded-resource": true,
              "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}},
      "n": {"type": "string"}, "nn": {"type": "string", "nullable": true},
      "d": {"type": "string", "default": "z"}}})"));
  Json obj = Obj(R"({
    "m": {"k1": {"x": 1, "y": 2}, "k2": {"z": 3}},
    "bare": {"anything": 1},
    "emb": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1},
            "spec": {"a": "b", "c": "d"}, "other": 1},
    "n": null, "nn": null, "d": null
  })");
  auto pruned = Prune(*s, obj);
  EXPECT_EQ(pruned, (std::vector<std::string>{"bare.anything", "emb.metadata.junk", "emb.other",
                                              "emb.spec.c", "m.k1.y", "m.k2.z"}));
  EXPECT_EQ(obj, Obj(R"({
    "m": {"k1": {"x": 1}, "k2": {}}, "bare": {},
    "emb": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"a": "b"}},
    "nn": null, "d": null
  })"));
}

TEST(SchemaTest, AppliesDefaults) {
  auto s = MustCompile(Obj(R"({"type": "object", "properties": {
      "spec": {"type": "object", "properties": {
        "size": {"type": "integer", "default": 1},
        "mode": {"type": "string", "default": "Fast"},
        "opt": {"type": "string", "nullable": true, "default": "d"},
        "res": {"type": "object", "default": {},
                "properties": {"cpu": {"type": "string", "default": "1"}}},
        "items": {"type": "array", "items": {"type": "object", "properties": {
                    "proto": {"type": "string", "default": "TCP"}}}},
        "strs": {"type": "array", "items": {"type": "string", "default": "x"}},
        "m": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                 "w": {"type": "integer", "default": 5}}}}}},
      "status": {"type": "object", "properties": {"phase": {"type": "string",
                                                             "default": "Pending"}}}}})"));
  Json obj = Obj(R"({"spec": {"mode": "Slow", "opt": null, "size": null,
                              "items": [{}, {"proto": "UDP"}], "strs": ["a", null],
                              "m": {"a": {}, "b": {"w": 1}}}})");
  ApplyDefaults(*s, obj);
  EXPECT_EQ(obj, Obj(R"({"spec": {"size": 1, "mode": "Slow", "opt": null,
                                  "res": {"cpu": "1"},
                                  "items": [{"proto": "TCP"}, {"proto": "UDP"}],
                                  "strs": ["a", "x"],
                                  "m": {"a": {"w": 5}, "b": {"w": 1}}}})"));
  // No parent, no default: status stays absent.
  EXPECT_FALSE(obj.contains("status"));
  Json empty = Json::object();
  ApplyDefaults(*s, empty);
  EXPECT_EQ(empty, Json::object());
}

TEST(SchemaTest, HostileValuesAreNotWalked) {
  auto s = FromYaml(kWidget);
  // A value far deeper than the schema under preserve-unknown-fields.
  Json deep = Json::array();
  for (int i = 0; i < 20000; ++i) {
    deep = Json::array({std::move(deep)});
  }
  Json obj = Json::object();
  obj["spec"] = {{"size", 1}};
  obj["spec"]["extra"] = {{"x", std::move(deep)}};
  EXPECT_TRUE(Validate(*s, obj).empty());
  EXPECT_TRUE(Prune(*s, obj).empty());
  ApplyDefaults(*s, obj);
  // A long string against a backtracking-prone pattern neither crashes nor errs wrongly.
  auto p = MustCompile(Obj(R"({"type": "object", "properties": {"n": {"type": "string",
      "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}}})"));
  Json long_name = {{"n", std::string(200000, 'a')}};
  EXPECT_TRUE(Validate(*p, long_name).empty());
  long_name["n"] = std::string(200000, 'a') + "-";
  EXPECT_EQ(Validate(*p, long_name).size(), 1u);
}

}  // namespace
}  // namespace skiff::api
