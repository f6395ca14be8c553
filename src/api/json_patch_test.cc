// Tests for RFC 6902 JSON Patch, RFC 7386 merge patch, and the two/three-way patch builders.
#include "api/json_patch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json J(const char* text) { return Json::parse(text); }

Json MustPatch(const Json& doc, const Json& patch) {
  auto r = ApplyJsonPatch(doc, patch);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

TEST(JsonPatchTest, AddReplaceRemove) {
  Json doc = J(R"({"spec":{"size":1,"tags":["a","c"]}})");
  Json out = MustPatch(doc, J(R"([
    {"op":"replace","path":"/spec/size","value":3},
    {"op":"add","path":"/spec/tags/1","value":"b"},
    {"op":"add","path":"/spec/tags/-","value":"d"},
    {"op":"add","path":"/spec/new","value":{"x":1}},
    {"op":"remove","path":"/spec/new/x"}])"));
  EXPECT_EQ(out, J(R"({"spec":{"size":3,"tags":["a","b","c","d"],"new":{}}})"));
  EXPECT_EQ(doc["spec"]["size"], 1);  // input untouched
}

TEST(JsonPatchTest, EscapedPointers) {
  Json doc = J(R"({"metadata":{"annotations":{"example.com/a~b":"1"}}})");
  Json out = MustPatch(doc, J(R"([
    {"op":"replace","path":"/metadata/annotations/example.com~1a~0b","value":"2"},
    {"op":"add","path":"/metadata/annotations/k8s.io~1x","value":"3"}])"));
  EXPECT_EQ(out["metadata"]["annotations"]["example.com/a~b"], "2");
  EXPECT_EQ(out["metadata"]["annotations"]["k8s.io/x"], "3");
}

TEST(JsonPatchTest, MoveCopyTest) {
  Json doc = J(R"({"a":{"b":1},"c":[1,2]})");
  Json out = MustPatch(doc, J(R"([
    {"op":"test","path":"/a/b","value":1.0},
    {"op":"copy","from":"/a","path":"/d"},
    {"op":"move","from":"/c/0","path":"/c/-"},
    {"op":"move","from":"/a/b","path":"/e"}])"));
  EXPECT_EQ(out, J(R"({"a":{},"c":[2,1],"d":{"b":1},"e":1})"));
  // Replacing the whole document is allowed.
  EXPECT_EQ(MustPatch(doc, J(R"([{"op":"replace","path":"","value":[1]}])")), J("[1]"));
}

TEST(JsonPatchTest, FailedTestIs422) {
  auto r = ApplyJsonPatch(J(R"({"spec":{"size":1}})"),
                          J(R"([{"op":"test","path":"/spec/size","value":2}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  ASSERT_NE(r.status().details(), nullptr);
  EXPECT_EQ(r.status().details()->reason, "Invalid");
  EXPECT_EQ(r.status().details()->http_code, 422);
  EXPECT_NE(r.status().message().find("operation 0 (test)"), std::string::npos);
  EXPECT_NE(r.status().message().find("/spec/size"), std::string::npos);
}

TEST(JsonPatchTest, MissingPathsAre422) {
  const Json doc = J(R"({"a":[1,2],"o":{}})");
  for (const char* p :
       {R"([{"op":"remove","path":"/missing"}])", R"([{"op":"replace","path":"/o/x","value":1}])",
        R"([{"op":"add","path":"/x/y","value":1}])", R"([{"op":"add","path":"/a/3","value":1}])",
        R"([{"op":"remove","path":"/a/01"}])", R"([{"op":"move","from":"/o","path":"/o/x"}])",
        R"([{"op":"copy","from":"/nope","path":"/x"}])"}) {
    auto r = ApplyJsonPatch(doc, J(p));
    ASSERT_FALSE(r.ok()) << p;
    ASSERT_NE(r.status().details(), nullptr);
    EXPECT_EQ(r.status().details()->http_code, 422) << p;
  }
}

TEST(JsonPatchTest, HugeIndexDoesNotAllocate) {
  const Json doc = J(R"({"a":[1]})");
  for (const char* p : {R"([{"op":"add","path":"/a/99999999999","value":1}])",
                        R"([{"op":"add","path":"/a/99999999999999999999999999","value":1}])",
                        R"([{"op":"replace","path":"/a/4294967296","value":1}])"}) {
    auto r = ApplyJsonPatch(doc, J(p));
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().details()->http_code, 422);
  }
}

TEST(JsonPatchTest, MalformedPatchIs400) {
  const Json doc = J("{}");
  for (const char* p :
       {R"({"op":"add"})", R"([{"path":"/a"}])", R"([{"op":"frobnicate","path":"/a"}])",
        R"([{"op":"add","path":"/a"}])", R"([{"op":"add","path":"a","value":1}])",
        R"([{"op":"add","path":"/a~2","value":1}])", R"([{"op":"move","path":"/a"}])"}) {
    auto r = ApplyJsonPatch(doc, J(p));
    ASSERT_FALSE(r.ok()) << p;
    ASSERT_NE(r.status().details(), nullptr);
    EXPECT_EQ(r.status().details()->reason, "BadRequest") << p;
  }
}

TEST(JsonPatchTest, CopyBombIsStopped) {
  Json patch = Json::array();
  patch.push_back(J(R"({"op":"add","path":"/a","value":{"s":"0123456789012345678901234567"}})"));
  // Each copy doubles /a; unchecked, 40 of them would need terabytes.
  for (int i = 0; i < 40; ++i) {
    patch.push_back({{"op", "copy"}, {"from", "/a"}, {"path", "/a/k" + std::to_string(i)}});
  }
  auto r = ApplyJsonPatch(J("{}"), patch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("size limit"), std::string::npos);
}

TEST(MergePatchTest, Rfc7386) {
  Json doc = J(R"({"a":"b","c":{"d":"e","f":"g"},"l":[1,2]})");
  auto r = ApplyMergePatch(doc, J(R"({"a":"z","c":{"f":null,"h":{"i":1}},"l":[3]})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, J(R"({"a":"z","c":{"d":"e","h":{"i":1}},"l":[3]})"));
  EXPECT_FALSE(ApplyMergePatch(doc, J("[1]")).ok());
  EXPECT_EQ(ApplyMergePatch(doc, J("[1]")).status().details()->http_code, 400);
}

TEST(MergePatchTest, CreateMergePatchRoundTrips) {
  Json a = J(R"({"spec":{"size":1,"gone":true,"l":[1],"m":{"x":1}},"keep":1})");
  Json b = J(R"({"spec":{"size":2,"l":[1,2],"m":{"x":1},"new":{}},"keep":1})");
  auto p = CreateMergePatch(a, b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, J(R"({"spec":{"size":2,"gone":null,"l":[1,2],"new":{}}})"));
  EXPECT_EQ(*ApplyMergePatch(a, *p), b);
  EXPECT_EQ(*CreateMergePatch(a, a), J("{}"));
}

TEST(MergePatchTest, ThreeWayLikeKubectl) {
  // last-applied had replicas and labels.tier; the new manifest drops tier and changes image;
  // the live object has server-set status and a label added by someone else.
  Json original = J(R"({"metadata":{"name":"w","labels":{"app":"x","tier":"web"}},
                        "spec":{"replicas":2,"image":"v1"}})");
  Json modified = J(R"({"metadata":{"name":"w","labels":{"app":"x"}},
                        "spec":{"replicas":2,"image":"v2","ports":[80]}})");
  Json current = J(R"({"metadata":{"name":"w","uid":"u1","labels":{"app":"x","tier":"web","o":"1"}},
                       "spec":{"replicas":5,"image":"v1","ports":[80,81]},"status":{"ok":true}})");
  auto p = CreateThreeWayMergePatch(original, modified, current);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, J(R"({"metadata":{"labels":{"tier":null}},
                      "spec":{"replicas":2,"image":"v2","ports":[80]}})"));
  // Nothing changed → empty patch (kubectl prints "unchanged").
  auto same = CreateThreeWayMergePatch(modified, modified, modified);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, J("{}"));
}

}  // namespace
}  // namespace skiff::api
