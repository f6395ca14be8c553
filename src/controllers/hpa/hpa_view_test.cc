// Parsing HPA specs (with kube's defaults), pod facts, and PodMetrics lists.
#include "controllers/hpa/hpa_view.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/hpa/metrics_source.h"

namespace skiff::controllers::hpa {
namespace {

TEST(HpaViewTest, ParsesSpecWithDefaults) {
  Json hpa = Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "h"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "maxReplicas": 5}})");
  auto spec = ParseHpaSpec(hpa);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->target_api_version, "apps/v1");
  EXPECT_EQ(spec->target_kind, "Deployment");
  EXPECT_EQ(spec->target_name, "web");
  EXPECT_EQ(spec->min_replicas, 1);
  EXPECT_EQ(spec->max_replicas, 5);
  ASSERT_EQ(spec->metrics.size(), 1u);  // kube's implicit CPU 80%
  EXPECT_EQ(spec->metrics[0].type, "Resource");
  EXPECT_EQ(spec->metrics[0].resource, "cpu");
  EXPECT_EQ(spec->metrics[0].target.average_utilization, 80);
  EXPECT_FALSE(spec->behavior.has_value());
}

TEST(HpaViewTest, ParsesMetricsAndBehavior) {
  Json hpa = Json::parse(R"({"spec": {
    "scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 9,
    "metrics": [
      {"type": "Resource", "resource": {"name": "memory",
        "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
      {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
        "target": {"type": "Utilization", "averageUtilization": 60}}}],
    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 10,
                               "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}}})");
  auto spec = ParseHpaSpec(hpa);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->min_replicas, 2);
  ASSERT_EQ(spec->metrics.size(), 2u);
  EXPECT_EQ(spec->metrics[0].target.average_value_milli, int64_t{100} * 1024 * 1024 * 1000);
  EXPECT_EQ(spec->metrics[1].container, "app");
  ASSERT_TRUE(spec->behavior.has_value());
  EXPECT_EQ(spec->behavior->scale_down.stabilization_window_seconds, 10);
  ASSERT_EQ(spec->behavior->scale_down.policies.size(), 1u);
  EXPECT_EQ(spec->behavior->scale_down.policies[0].type, "Pods");
  // scaleUp was not given: kube's defaults.
  EXPECT_EQ(spec->behavior->scale_up.stabilization_window_seconds, 0);
  ASSERT_EQ(spec->behavior->scale_up.policies.size(), 2u);
  EXPECT_EQ(spec->behavior->scale_up.policies[0].value, 4);
  EXPECT_EQ(spec->behavior->scale_up.select_policy, "Max");
  // A bad quantity is an error, not a zero target.
  hpa["spec"]["metrics"][0]["resource"]["target"]["averageValue"] = "lots";
  EXPECT_FALSE(ParseHpaSpec(hpa).ok());
}

TEST(HpaViewTest, PodFactsSumRequestsAndFallBackToLimits) {
  Json pod = Json::parse(R"({"metadata": {"name": "p"},
    "spec": {"containers": [
        {"name": "a", "resources": {"requests": {"cpu": "250m"}}},
        {"name": "b", "resources": {"limits": {"cpu": "1"}}}],
      "initContainers": [
        {"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
        {"name": "init", "resources": {}}]},
    "status": {"phase": "Running", "startTime": "2025-01-01T00:00:00Z",
      "conditions": [{"type": "Ready", "status": "True",
                      "lastTransitionTime": "2025-01-01T00:00:05Z"}]}})");
  PodFacts f = PodFactsOf(pod, "cpu", "");
  EXPECT_EQ(f.name, "p");
  EXPECT_EQ(f.phase, "Running");
  ASSERT_TRUE(f.request_milli.has_value());
  EXPECT_EQ(*f.request_milli, 1300);
  EXPECT_TRUE(f.has_ready_condition);
  EXPECT_TRUE(f.ready);
  ASSERT_TRUE(f.start_time.has_value());
  EXPECT_EQ(f.ready_transition - *f.start_time, std::chrono::seconds(5));
  EXPECT_EQ(*PodFactsOf(pod, "cpu", "a").request_milli, 250);
  PodFacts mem = PodFactsOf(pod, "memory", "");
  EXPECT_FALSE(mem.request_milli.has_value());
  EXPECT_EQ(mem.missing_request, "missing request for memory in container a of Pod p");
}

TEST(HpaViewTest, PodMetricsFromListSumsContainersAndSkipsIncompletePods) {
  Json list = Json::parse(R"({"kind": "PodMetricsList", "items": [
    {"metadata": {"name": "a"}, "timestamp": "2025-01-01T00:00:10Z", "window": "5.5s",
     "containers": [{"name": "x", "usage": {"cpu": "1234567n", "memory": "1Ki"}},
                    {"name": "y", "usage": {"cpu": "100m", "memory": "1Ki"}}]},
    {"metadata": {"name": "b"}, "timestamp": "2025-01-01T00:00:10Z", "window": "1m0s",
     "containers": [{"name": "x", "usage": {"memory": "2Ki"}}]},
    {"metadata": {"name": "c"}, "timestamp": "2025-01-01T00:00:10Z", "window": "15s",
     "containers": []}]})");
  PodMetrics cpu = PodMetricsFromList(list, "cpu", "");
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_EQ(cpu["a"].value_milli, 102);  // 1234567n reads as 2m (MilliValue rounds up)
  EXPECT_EQ(cpu["a"].window, std::chrono::milliseconds(5500));
  PodMetrics mem = PodMetricsFromList(list, "memory", "");
  ASSERT_EQ(mem.size(), 2u);
  EXPECT_EQ(mem["b"].value_milli, 2048 * 1000);
  EXPECT_EQ(mem["b"].window, std::chrono::minutes(1));
  PodMetrics y = PodMetricsFromList(list, "cpu", "y");
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y["a"].value_milli, 100);
}

}  // namespace
}  // namespace skiff::controllers::hpa
