// JSONPath tests over printer-column style expressions.
#include "api/jsonpath.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

const Json kObj = Json::parse(R"({
  "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "demo"}},
  "status": {"url": "http://x", "conditions": [
    {"type": "Created", "status": "True"},
    {"type": "Ready", "status": "False", "reason": "Waiting"},
    {"type": "Complete", "status": "True"}]},
  "spec": {"replicas": 3}})");

std::vector<Json> Eval(std::string_view p) {
  auto r = EvaluateJsonPath(kObj, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Json>{};
}

TEST(JsonPathTest, Fields) {
  EXPECT_EQ(Eval(".status.url"), std::vector<Json>{"http://x"});
  EXPECT_EQ(Eval("{.spec.replicas}"), std::vector<Json>{3});
  EXPECT_TRUE(Eval(".status.missing").empty());
  EXPECT_EQ(Eval(".metadata.labels['app.kubernetes.io/name']"), std::vector<Json>{"demo"});
}

TEST(JsonPathTest, IndexesAndSlices) {
  EXPECT_EQ(Eval(".status.conditions[0].type"), std::vector<Json>{"Created"});
  EXPECT_EQ(Eval(".status.conditions[-1:].type"), std::vector<Json>{"Complete"});
  EXPECT_EQ(Eval(".status.conditions[*].type").size(), 3u);
  EXPECT_TRUE(Eval(".status.conditions[7].type").empty());
}

TEST(JsonPathTest, Filters) {
  EXPECT_EQ(Eval(R"(.status.conditions[?(@.type=="Ready")].status)"), std::vector<Json>{"False"});
  EXPECT_EQ(Eval(R"(.status.conditions[?(@.type!="Ready")].type)").size(), 2u);
  EXPECT_EQ(Eval(R"(.status.conditions[?(@.reason)].type)"), std::vector<Json>{"Ready"});
}

TEST(JsonPathTest, Errors) {
  EXPECT_FALSE(EvaluateJsonPath(kObj, ".status.conditions[").ok());
  EXPECT_FALSE(EvaluateJsonPath(kObj, ".status.conditions[abc]").ok());
  EXPECT_FALSE(EvaluateJsonPath(kObj, "status").ok());
}

}  // namespace
}  // namespace skiff::api
