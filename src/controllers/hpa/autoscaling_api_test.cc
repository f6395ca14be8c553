// The API the HPA stands on, through a real in-process API server: autoscaling/v1 <-> v2
// conversion, defaulting and validation, kubectl's HPA columns, and metrics.k8s.io served from
// the usage registry (the test publishes samples as the node agent would).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/resource_usage.h"
#include "client/client.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::hpa {
namespace {

using testing::TestEnv;

class AutoscalingApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    v1_ = env_.Resource("autoscaling/v1", "HorizontalPodAutoscaler");
    v2_ = env_.Resource("autoscaling/v2", "HorizontalPodAutoscaler");
    usage::ResetUsageForTest();
  }
  void TearDown() override { usage::ResetUsageForTest(); }

  TestEnv env_;
  client::ResourceInfo v1_, v2_;
};

TEST_F(AutoscalingApiTest, V1ObjectsReadAsV2WithDefaults) {
  ASSERT_EQ(v2_.short_names, std::vector<std::string>{"hpa"});
  Json h = Json::parse(R"({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "maxReplicas": 4, "targetCPUUtilizationPercentage": 70}})");
  auto created = env_.client()->Create(v1_, "default", h);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["spec"]["minReplicas"], 1);
  auto v2 = env_.client()->Get(v2_, "default", "web");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*v2)["apiVersion"], "autoscaling/v2");
  const Json& m = (*v2)["spec"]["metrics"];
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["resource"]["name"], "cpu");
  EXPECT_EQ(m[0]["resource"]["target"]["type"], "Utilization");
  EXPECT_EQ(m[0]["resource"]["target"]["averageUtilization"], 70);

  // Without a target, v1 means 80% CPU.
  h["metadata"]["name"] = "plain";
  h["spec"].erase("targetCPUUtilizationPercentage");
  ASSERT_TRUE(env_.client()->Create(v1_, "default", h).ok());
  v2 = env_.client()->Get(v2_, "default", "plain");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*v2)["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
}

TEST_F(AutoscalingApiTest, V2OnlyFieldsSurviveAV1RoundTrip) {
  Json h = Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
      "minReplicas": 2, "maxReplicas": 8,
      "metrics": [
        {"type": "Resource", "resource": {"name": "memory",
          "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
        {"type": "Resource", "resource": {"name": "cpu",
          "target": {"type": "Utilization", "averageUtilization": 60}}}],
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30}}}})");
  auto created = env_.client()->Create(v2_, "default", h);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  // Defaulting filled the rules the user left out.
  const Json& b = (*created)["spec"]["behavior"];
  EXPECT_EQ(b["scaleDown"]["stabilizationWindowSeconds"], 30);
  EXPECT_EQ(b["scaleDown"]["selectPolicy"], "Max");
  EXPECT_EQ(b["scaleUp"]["policies"].size(), 2u);

  auto v1 = env_.client()->Get(v1_, "default", "web");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ((*v1)["spec"]["targetCPUUtilizationPercentage"], 60);
  EXPECT_FALSE((*v1)["spec"].contains("metrics"));
  const Json& ann = (*v1)["metadata"]["annotations"];
  auto others = ParseJson(ann.value("autoscaling.alpha.kubernetes.io/metrics", ""));
  ASSERT_TRUE(others.ok());
  EXPECT_EQ((*others)[0]["resource"]["name"], "memory");
  EXPECT_EQ((*others)[0]["resource"]["targetAverageValue"], "100Mi");
  EXPECT_TRUE(ann.contains("autoscaling.alpha.kubernetes.io/behavior"));

  // A v1 client updating the object loses nothing.
  Json v1obj = *v1;
  v1obj["spec"]["maxReplicas"] = 9;
  ASSERT_TRUE(env_.client()->Replace(v1_, "default", "web", v1obj).ok());
  auto v2 = env_.client()->Get(v2_, "default", "web");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*v2)["spec"]["maxReplicas"], 9);
  ASSERT_EQ((*v2)["spec"]["metrics"].size(), 2u);
  EXPECT_EQ((*v2)["spec"]["metrics"][0]["resource"]["target"]["averageValue"], "100Mi");
  EXPECT_EQ((*v2)["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 30);
  EXPECT_FALSE((*v2)["metadata"].contains("annotations"));
}

TEST_F(AutoscalingApiTest, ValidationRejectsBadBounds) {
  Json h = Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "bad"},
    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
             "minReplicas": 5, "maxReplicas": 2,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu",
               "target": {"type": "Utilization", "averageUtilization": 0}}}]}})");
  auto r = env_.client()->Create(v2_, "default", h);
  ASSERT_FALSE(r.ok());
  std::string msg = r.status().message();
  EXPECT_NE(msg.find("spec.maxReplicas"), std::string::npos) << msg;
  EXPECT_NE(msg.find("must be greater than or equal to `minReplicas`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("spec.metrics[0].resource.target.averageUtilization"), std::string::npos)
      << msg;
}

TEST_F(AutoscalingApiTest, TableHasKubectlColumns) {
  Json h = Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "maxReplicas": 5}})");
  ASSERT_TRUE(env_.client()->Create(v2_, "default", h).ok());
  auto t = env_.client()->List(v2_, "default", {.as_table = true});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::string> names;
  for (const Json& c : (*t)["columnDefinitions"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Reference", "Targets", "MinPods", "MaxPods",
                                             "Replicas", "Age"}));
  const Json& cells = (*t)["rows"][0]["cells"];
  EXPECT_EQ(cells[1], "Deployment/web");
  EXPECT_EQ(cells[2], "cpu: <unknown>/80%");
  EXPECT_EQ(cells[3], "1");
  EXPECT_EQ(cells[4], 5);
  EXPECT_EQ(cells[5], 0);

  // Once the controller reported usage.
  Json st = {
      {"currentReplicas", 2},
      {"desiredReplicas", 3},
      {"currentMetrics",
       Json::array({{{"type", "Resource"},
                     {"resource",
                      {{"name", "cpu"},
                       {"current", {{"averageUtilization", 123}, {"averageValue", "1"}}}}}}})}};
  client::PatchOptions po;
  po.subresource = "status";
  ASSERT_TRUE(env_.client()->Patch(v2_, "default", "web", DumpJson(Json{{"status", st}}), po).ok());
  t = env_.client()->List(v2_, "default", {.as_table = true});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["rows"][0]["cells"][2], "cpu: 123%/80%");
  EXPECT_EQ((*t)["rows"][0]["cells"][5], 2);
  // v1 readers see the CPU figure in its v1 field.
  auto v1 = env_.client()->Get(v1_, "default", "web");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ((*v1)["status"]["currentCPUUtilizationPercentage"], 123);
}

TEST_F(AutoscalingApiTest, MetricsApiServesPublishedUsage) {
  auto pods = env_.Resource("v1", "Pod");
  auto pod_metrics = env_.Resource("metrics.k8s.io/v1beta1", "PodMetrics");
  auto node_metrics = env_.Resource("metrics.k8s.io/v1beta1", "NodeMetrics");
  ASSERT_EQ(pod_metrics.plural, "pods");
  ASSERT_EQ(pod_metrics.group, "metrics.k8s.io");
  EXPECT_EQ(pod_metrics.verbs, (std::vector<std::string>{"get", "list"}));

  std::string uid;
  for (const char* name : {"busy", "idle", "pending"}) {
    Json p = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}, {"labels", {{"app", name}}}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "x"}}})}}}};
    auto created = env_.client()->Create(pods, "default", p);
    ASSERT_TRUE(created.ok());
    if (std::string(name) != "pending") {
      Json st = *created;
      st["status"] = {{"phase", "Running"}};
      client::WriteOptions wo;
      wo.subresource = "status";
      ASSERT_TRUE(env_.client()->Replace(pods, "default", name, st, wo).ok());
    }
    usage::PodUsage u{.ns = "default",
                      .name = name,
                      .uid = (*created)["metadata"]["uid"],
                      .timestamp = SystemTime(std::chrono::seconds(1700000000)),
                      .window = std::chrono::milliseconds(5250)};
    u.containers.push_back({.name = "c",
                            .cpu_usage_ns = 1,
                            .cpu_nano_cores = std::string(name) == "busy" ? 250000000 : 1234567,
                            .memory_working_set_bytes = 3 << 20});
    usage::PublishPodUsage(u);
  }
  auto list = env_.client()->List(pod_metrics, "default");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ((*list)["kind"], "PodMetricsList");
  Json items = (*list)["items"];
  ASSERT_EQ(items.size(), 2u);  // the pending pod has no metrics
  EXPECT_EQ(items[0]["kind"], "PodMetrics");
  EXPECT_EQ(items[0]["metadata"]["name"], "busy");
  EXPECT_EQ(items[0]["metadata"]["labels"]["app"], "busy");
  EXPECT_EQ(items[0]["timestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(items[0]["window"], "5.25s");
  EXPECT_EQ(items[0]["containers"][0]["usage"]["cpu"], "250m");
  EXPECT_EQ(items[0]["containers"][0]["usage"]["memory"], "3Mi");
  EXPECT_EQ(items[1]["containers"][0]["usage"]["cpu"], "1234567n");

  list = env_.client()->List(pod_metrics, "default", {.label_selector = "app=idle"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["items"][0]["metadata"]["name"], "idle");

  auto one = env_.client()->Get(pod_metrics, "default", "busy");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->value("apiVersion", ""), "metrics.k8s.io/v1beta1");
  auto missing = env_.client()->Get(pod_metrics, "default", "pending");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(env_.client()->Create(pod_metrics, "default", items[0]).ok());

  // Nodes: a Node object plus a node sample.
  auto nodes = env_.Resource("v1", "Node");
  ASSERT_TRUE(env_.client()
                  ->Create(nodes, "",
                           {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}})
                  .ok());
  usage::PublishNodeUsage({.name = "n1",
                           .timestamp = SystemTime(std::chrono::seconds(1700000000)),
                           .window = std::chrono::milliseconds(5000),
                           .cpu_usage_ns = 5,
                           .cpu_nano_cores = 1500000000,
                           .memory_working_set_bytes = int64_t{2} << 30});
  auto node_list = env_.client()->List(node_metrics, "");
  ASSERT_TRUE(node_list.ok()) << node_list.status().ToString();
  ASSERT_EQ((*node_list)["items"].size(), 1u);
  EXPECT_EQ((*node_list)["items"][0]["usage"]["cpu"], "1500m");
  EXPECT_EQ((*node_list)["items"][0]["usage"]["memory"], "2Gi");
  EXPECT_EQ((*node_list)["items"][0]["window"], "5s");
}

}  // namespace
}  // namespace skiff::controllers::hpa
