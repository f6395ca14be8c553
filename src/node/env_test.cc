// Tests for $(VAR) expansion and env resolution.
#include "node/env.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::node {
namespace {

std::optional<std::string> Vars(std::string_view name) {
  if (name == "A") return std::string("alpha");
  if (name == "EMPTY") return std::string();
  return std::nullopt;
}

TEST(ExpandVars, KubeRules) {
  EXPECT_EQ(ExpandVars("$(A)", Vars), "alpha");
  EXPECT_EQ(ExpandVars("x-$(A)-y", Vars), "x-alpha-y");
  EXPECT_EQ(ExpandVars("$(UNDEFINED)", Vars), "$(UNDEFINED)");
  EXPECT_EQ(ExpandVars("$$(A)", Vars), "$(A)");
  EXPECT_EQ(ExpandVars("$$$(A)", Vars), "$alpha");
  EXPECT_EQ(ExpandVars("$(A", Vars), "$(A");
  EXPECT_EQ(ExpandVars("$A", Vars), "$A");
  EXPECT_EQ(ExpandVars("trailing$", Vars), "trailing$");
  EXPECT_EQ(ExpandVars("$(EMPTY)x", Vars), "x");
  EXPECT_EQ(ExpandVars("$()", Vars), "$()");
}

class FakeConfig : public ConfigSource {
 public:
  StatusOr<std::map<std::string, std::string>> ConfigMap(const std::string& ns,
                                                         const std::string& name) override {
    if (ns == "team" && name == "cfg")
      return std::map<std::string, std::string>{{"mode", "fast"}, {"level", "3"}};
    return NotFound("configmap");
  }
  StatusOr<std::map<std::string, std::string>> Secret(const std::string& ns,
                                                      const std::string& name) override {
    if (ns == "team" && name == "creds")
      return std::map<std::string, std::string>{{"token", "s3cr3t"}};
    return NotFound("secret");
  }
};

PodSpecView TestPod() {
  Json container = {{"name", "main"}, {"image", "python:3.11"}};
  container["resources"]["limits"] = {{"cpu", "1500m"}, {"memory", "64Mi"}};
  Json pod;
  pod["metadata"] = {{"name", "p1"}, {"namespace", "team"}, {"uid", "u-1"}};
  pod["metadata"]["labels"] = {{"app", "web"}};
  pod["spec"] = {{"nodeName", "skiff"}, {"serviceAccountName", "default"}};
  pod["spec"]["containers"] = Json::array({container});
  return *ParsePod(pod);
}

TEST(ResolveEnv, SourcesAndOrder) {
  PodSpecView pod = TestPod();
  FakeConfig config;
  EnvContext ctx{.pod = &pod, .pod_ip = "10.244.0.7", .host_ip = "10.244.0.1", .config = &config};
  Container c = pod.containers[0];
  c.env_from.push_back({.prefix = "CFG_", .secret = false, .name = "cfg"});
  c.env.push_back({.name = "NAME",
                   .from = {.kind = ValueSource::Kind::kFieldRef, .field_path = "metadata.name"}});
  c.env.push_back(
      {.name = "APP",
       .from = {.kind = ValueSource::Kind::kFieldRef, .field_path = "metadata.labels['app']"}});
  c.env.push_back(
      {.name = "IP", .from = {.kind = ValueSource::Kind::kFieldRef, .field_path = "status.podIP"}});
  c.env.push_back({.name = "GREETING", .value = "hi $(NAME) in $(CFG_mode) $$(NAME)"});
  c.env.push_back(
      {.name = "CPU",
       .from = {.kind = ValueSource::Kind::kResourceFieldRef, .resource = "limits.cpu"}});
  c.env.push_back({.name = "MEM_MI",
                   .from = {.kind = ValueSource::Kind::kResourceFieldRef,
                            .resource = "limits.memory",
                            .divisor = "1Mi"}});
  c.env.push_back(
      {.name = "TOKEN",
       .from = {
           .kind = ValueSource::Kind::kSecretKeyRef, .ref_name = "creds", .ref_key = "token"}});
  c.env.push_back({.name = "OPT",
                   .from = {.kind = ValueSource::Kind::kConfigMapKeyRef,
                            .ref_name = "nope",
                            .ref_key = "k",
                            .optional = true}});
  auto env = ResolveEnv(ctx, c);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  std::map<std::string, std::string> m(env->begin(), env->end());
  EXPECT_EQ(m["CFG_mode"], "fast");
  EXPECT_EQ(m["CFG_level"], "3");
  EXPECT_EQ(m["NAME"], "p1");
  EXPECT_EQ(m["APP"], "web");
  EXPECT_EQ(m["IP"], "10.244.0.7");
  EXPECT_EQ(m["GREETING"], "hi p1 in fast $(NAME)");
  EXPECT_EQ(m["CPU"], "2");  // ceil(1.5)
  EXPECT_EQ(m["MEM_MI"], "64");
  EXPECT_EQ(m["TOKEN"], "s3cr3t");
  EXPECT_EQ(m.count("OPT"), 0u);
  EXPECT_EQ(env->front().first.rfind("CFG_", 0), 0u);  // envFrom first
}

TEST(ResolveEnv, MissingReferencesAreConfigErrors) {
  PodSpecView pod = TestPod();
  FakeConfig config;
  EnvContext ctx{.pod = &pod, .config = &config};
  Container c = pod.containers[0];
  c.env.push_back(
      {.name = "X",
       .from = {
           .kind = ValueSource::Kind::kConfigMapKeyRef, .ref_name = "missing", .ref_key = "k"}});
  auto env = ResolveEnv(ctx, c);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(env.status().message(), "configmap \"missing\" not found");

  c.env.back().from.ref_name = "cfg";
  env = ResolveEnv(ctx, c);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message(), "couldn't find key k in ConfigMap team/cfg");

  c.env.clear();
  c.env_from.push_back({.secret = true, .name = "nosecret"});
  env = ResolveEnv(ctx, c);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message(), "secret \"nosecret\" not found");
}

TEST(FieldRef, Unsupported) {
  PodSpecView pod = TestPod();
  EnvContext ctx{.pod = &pod};
  EXPECT_FALSE(FieldRefValue(ctx, "spec.bogus").ok());
  EXPECT_EQ(*FieldRefValue(ctx, "metadata.labels"), "app=\"web\"\n");
}

}  // namespace
}  // namespace skiff::node
