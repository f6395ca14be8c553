// Tests for ObjectMeta validation: apimachinery's rules and exact message wording.
#include "api/meta_validation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

constexpr std::string_view kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

constexpr std::string_view kNamePartMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

bool HasCause(const std::vector<StatusCause>& causes, std::string_view field,
              std::string_view reason) {
  for (const auto& c : causes) {
    if (c.field == field && c.reason == reason) {
      return true;
    }
  }
  return false;
}

std::string Dump(const std::vector<StatusCause>& causes) {
  std::string out;
  for (const auto& c : causes) {
    out += c.field + " [" + c.reason + "] " + c.message + "\n";
  }
  return out;
}

TEST(MetaValidationTest, DnsPredicates) {
  EXPECT_TRUE(IsDns1123Subdomain("example.com"));
  EXPECT_TRUE(IsDns1123Subdomain("a"));
  EXPECT_TRUE(IsDns1123Subdomain("0-a.b-9"));
  EXPECT_FALSE(IsDns1123Subdomain(""));
  EXPECT_FALSE(IsDns1123Subdomain("Bad_Name"));
  EXPECT_FALSE(IsDns1123Subdomain("a..b"));
  EXPECT_FALSE(IsDns1123Subdomain("-a"));
  EXPECT_FALSE(IsDns1123Subdomain("a-"));
  EXPECT_FALSE(IsDns1123Subdomain(".a"));
  EXPECT_FALSE(IsDns1123Subdomain(std::string(254, 'a')));
  EXPECT_TRUE(IsDns1123Subdomain(std::string(253, 'a')));

  EXPECT_TRUE(IsDns1123Label("my-name"));
  EXPECT_TRUE(IsDns1123Label("123-abc"));
  EXPECT_FALSE(IsDns1123Label("a.b"));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
  EXPECT_TRUE(IsDns1123Label(std::string(63, 'a')));

  EXPECT_TRUE(IsDns1035Label("abc-123"));
  EXPECT_FALSE(IsDns1035Label("1abc"));
  EXPECT_FALSE(IsDns1035Label("abc-"));
  EXPECT_FALSE(IsDns1035Label(""));
}

TEST(MetaValidationTest, InvalidNameMessageIsApimachinerys) {
  auto causes = ValidateObjectName("Bad_Name", NameRule::kDns1123Subdomain);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(causes[0].field, "metadata.name");
  EXPECT_EQ(causes[0].message, "Invalid value: \"Bad_Name\": " + std::string(kSubdomainMsg));
}

TEST(MetaValidationTest, NameRules) {
  auto too_long = ValidateObjectName(std::string(254, 'a'), NameRule::kDns1123Subdomain);
  ASSERT_EQ(too_long.size(), 1u);
  EXPECT_NE(too_long[0].message.find("must be no more than 253 characters"), std::string::npos);

  auto label = ValidateObjectName("a.b", NameRule::kDns1123Label, "metadata.name");
  ASSERT_EQ(label.size(), 1u);
  EXPECT_NE(label[0].message.find("a lowercase RFC 1123 label must consist of lower case "
                                  "alphanumeric characters or '-', and must start and end with an "
                                  "alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                                  "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
            std::string::npos)
      << label[0].message;

  auto svc = ValidateObjectName("1svc", NameRule::kDns1035Label);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_NE(svc[0].message.find("a DNS-1035 label must consist of lower case alphanumeric "
                                "characters or '-', start with an alphabetic character, and end "
                                "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                                "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
            std::string::npos);

  EXPECT_TRUE(ValidateObjectName("Any Name!", NameRule::kPathSegment).empty());
  auto dot = ValidateObjectName("..", NameRule::kPathSegment);
  ASSERT_EQ(dot.size(), 1u);
  EXPECT_EQ(dot[0].message, "Invalid value: \"..\": may not be '..'");
  auto both = ValidateObjectName("a/b%c", NameRule::kPathSegment);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].message, "Invalid value: \"a/b%c\": may not contain '/'");
  EXPECT_EQ(both[1].message, "Invalid value: \"a/b%c\": may not contain '%'");

  // generateName may end in '-'.
  EXPECT_TRUE(ValidateObjectName("web-", NameRule::kDns1123Subdomain, "metadata.generateName", true)
                  .empty());
  EXPECT_FALSE(ValidateObjectName("web-", NameRule::kDns1123Subdomain).empty());
}

TEST(MetaValidationTest, QualifiedNames) {
  EXPECT_TRUE(QualifiedNameErrors("app").empty());
  EXPECT_TRUE(QualifiedNameErrors("example.com/My_Name-1.x").empty());
  EXPECT_TRUE(QualifiedNameErrors("app.kubernetes.io/name").empty());
  auto bad_name = QualifiedNameErrors("-bad");
  ASSERT_EQ(bad_name.size(), 1u);
  EXPECT_EQ(bad_name[0], kNamePartMsg);
  auto empty_prefix = QualifiedNameErrors("/a");
  ASSERT_EQ(empty_prefix.size(), 1u);
  EXPECT_EQ(empty_prefix[0], "prefix part must be non-empty");
  auto bad_prefix = QualifiedNameErrors("Ex.com/a");
  ASSERT_EQ(bad_prefix.size(), 1u);
  EXPECT_EQ(bad_prefix[0].rfind("prefix part a lowercase RFC 1123 subdomain", 0), 0u);
  auto two_slashes = QualifiedNameErrors("a/b/c");
  ASSERT_EQ(two_slashes.size(), 1u);
  EXPECT_EQ(two_slashes[0].rfind("a qualified name must consist of", 0), 0u);
  EXPECT_NE(two_slashes[0].find("with an optional DNS subdomain prefix and '/' (e.g. "
                                "'example.com/MyName')"),
            std::string::npos);
  auto long_name = QualifiedNameErrors(std::string(64, 'a'));
  ASSERT_EQ(long_name.size(), 1u);
  EXPECT_EQ(long_name[0], "name part must be no more than 63 characters");
  auto empty_name = QualifiedNameErrors("a/");
  ASSERT_EQ(empty_name.size(), 2u);
  EXPECT_EQ(empty_name[0], "name part must be non-empty");
}

TEST(MetaValidationTest, Labels) {
  EXPECT_TRUE(ValidateLabels(Json{{"app", "web"}, {"tier", ""}}).empty());
  EXPECT_TRUE(ValidateLabels(Json()).empty());
  auto bad_value = ValidateLabels(Json{{"app", "not valid"}});
  ASSERT_EQ(bad_value.size(), 1u);
  EXPECT_EQ(bad_value[0].field, "metadata.labels");
  EXPECT_EQ(bad_value[0].message,
            "Invalid value: \"not valid\": a valid label must be an empty string or consist of "
            "alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  auto bad_key = ValidateLabels(Json{{"bad key", "x"}});
  ASSERT_EQ(bad_key.size(), 1u);
  EXPECT_EQ(bad_key[0].message, "Invalid value: \"bad key\": " + std::string(kNamePartMsg));
  auto long_value = ValidateLabels(Json{{"a", std::string(64, 'x')}});
  ASSERT_EQ(long_value.size(), 1u);
  EXPECT_NE(long_value[0].message.find("must be no more than 63 characters"), std::string::npos);
  auto not_string = ValidateLabels(Json{{"a", 1}});
  ASSERT_EQ(not_string.size(), 1u);
  EXPECT_EQ(not_string[0].reason, "FieldValueTypeInvalid");
  EXPECT_EQ(not_string[0].field, "metadata.labels.a");
  auto not_map = ValidateLabels(Json::array());
  ASSERT_EQ(not_map.size(), 1u);
  EXPECT_EQ(not_map[0].message,
            "Invalid value: \"array\": metadata.labels in body must be of type object: \"array\"");
}

TEST(MetaValidationTest, Annotations) {
  // Annotation keys are case-insensitive qualified names; values are free-form.
  EXPECT_TRUE(ValidateAnnotations(Json{{"Example.COM/Note", "any value: at all\n"}}).empty());
  auto bad = ValidateAnnotations(Json{{"a b", "x"}});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].field, "metadata.annotations");

  Json big = {{"a", std::string(262144 - 1, 'x')}};
  EXPECT_TRUE(ValidateAnnotations(big).empty());  // exactly at the limit
  big["b"] = "";
  auto too_long = ValidateAnnotations(big);
  ASSERT_EQ(too_long.size(), 1u);
  EXPECT_EQ(too_long[0].reason, "FieldValueTooLong");
  EXPECT_EQ(too_long[0].message, "Too long: must have at most 262144 bytes");
  EXPECT_EQ(too_long[0].field, "metadata.annotations");
}

TEST(MetaValidationTest, ObjectMetaNameRequired) {
  auto causes =
      ValidateObjectMeta(Json{{"namespace", "default"}}, NameRule::kDns1123Subdomain, true);
  ASSERT_EQ(causes.size(), 1u) << Dump(causes);
  EXPECT_EQ(causes[0].field, "metadata.name");
  EXPECT_EQ(causes[0].reason, "FieldValueRequired");
  EXPECT_EQ(causes[0].message, "Required value: name or generateName is required");
  EXPECT_FALSE(ValidateObjectMeta(Json(), NameRule::kDns1123Subdomain, false).empty());
}

TEST(MetaValidationTest, ObjectMetaNamespace) {
  Json meta = {{"name", "a"}};
  auto missing = ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, true);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].field, "metadata.namespace");
  EXPECT_EQ(missing[0].message, "Required value");
  meta["namespace"] = "Bad.NS";
  EXPECT_TRUE(HasCause(ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, true),
                       "metadata.namespace", "FieldValueInvalid"));
  auto forbidden = ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, false);
  ASSERT_EQ(forbidden.size(), 1u);
  EXPECT_EQ(forbidden[0].message, "Forbidden: not allowed on this type");
  meta["namespace"] = "team-a";
  EXPECT_TRUE(ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, true).empty());
}

TEST(MetaValidationTest, ObjectMetaFull) {
  Json meta = nlohmann::json::parse(R"({
    "name": "web", "namespace": "default", "generation": 3,
    "labels": {"app": "web"}, "annotations": {"note": "x"},
    "finalizers": ["example.com/cleanup"],
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                         "uid": "123", "controller": true}],
    "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1"}]
  })");
  EXPECT_TRUE(ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, true).empty());

  meta["generateName"] = "Bad_";
  meta["generation"] = -1;
  meta["finalizers"] = {"orphan", "foregroundDeletion", "bad/name/x"};
  meta["ownerReferences"].push_back(
      {{"apiVersion", "apps/"}, {"kind", ""}, {"controller", true}, {"name", "b"}});
  meta["managedFields"][0]["operation"] = "Patch";
  meta["managedFields"][0]["fieldsType"] = "FieldsV2";
  auto causes = ValidateObjectMeta(meta, NameRule::kDns1123Subdomain, true);
  EXPECT_TRUE(HasCause(causes, "metadata.generateName", "FieldValueInvalid")) << Dump(causes);
  EXPECT_TRUE(HasCause(causes, "metadata.generation", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.finalizers", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.ownerReferences.apiVersion", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.ownerReferences.kind", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.ownerReferences.uid", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.ownerReferences", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.managedFields[0].operation", "FieldValueInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.managedFields[0].fieldsType", "FieldValueInvalid"));
  bool both_finalizers = false;
  for (const auto& c : causes) {
    both_finalizers |= c.message.find(
                           "finalizer orphan and foregroundDeletion cannot be both "
                           "set") != std::string::npos;
  }
  EXPECT_TRUE(both_finalizers);
  bool one_controller = false;
  for (const auto& c : causes) {
    one_controller |= c.message.find(
                          "Only one reference can have Controller set to true. Found "
                          "\"true\" in references for ReplicaSet/rs and /b") != std::string::npos;
  }
  EXPECT_TRUE(one_controller) << Dump(causes);
}

TEST(MetaValidationTest, ObjectMetaTypes) {
  auto causes = ValidateObjectMeta(
      Json{{"name", 5}, {"namespace", "a"}, {"labels", {{"a", true}}}, {"finalizers", "x"}},
      NameRule::kDns1123Subdomain, true);
  EXPECT_TRUE(HasCause(causes, "metadata.name", "FieldValueTypeInvalid")) << Dump(causes);
  EXPECT_TRUE(HasCause(causes, "metadata.labels.a", "FieldValueTypeInvalid"));
  EXPECT_TRUE(HasCause(causes, "metadata.finalizers", "FieldValueTypeInvalid"));
  auto not_object = ValidateObjectMeta(Json("x"), NameRule::kDns1123Subdomain, true);
  ASSERT_EQ(not_object.size(), 1u);
  EXPECT_EQ(not_object[0].field, "metadata");
}

}  // namespace
}  // namespace skiff::api
