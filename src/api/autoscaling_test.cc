// HorizontalPodAutoscaler conversion, defaulting and validation (the pieces kube-apiserver runs).
#include "api/autoscaling.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json V2() {
  return Json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "h", "annotations": {"keep": "me"}},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
      "minReplicas": 1, "maxReplicas": 5,
      "metrics": [
        {"type": "Resource", "resource": {"name": "cpu",
          "target": {"type": "Utilization", "averageUtilization": 50}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"},
          "target": {"type": "AverageValue", "averageValue": "10"}}},
        {"type": "External", "external": {"metric": {"name": "queue"},
          "target": {"type": "Value", "value": "30"}}}]},
    "status": {"currentReplicas": 2, "desiredReplicas": 3,
      "lastScaleTime": "2025-01-01T00:00:00Z",
      "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
        "current": {"averageUtilization": 40, "averageValue": "200m"}}}],
      "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"}]}})");
}

TEST(AutoscalingTest, V2ToV1AndBackIsLossless) {
  Json obj = V2();
  ASSERT_TRUE(ConvertHorizontalPodAutoscaler("v2", "v1", obj).ok());
  EXPECT_EQ(obj["spec"]["targetCPUUtilizationPercentage"], 50);
  EXPECT_EQ(obj["status"]["currentCPUUtilizationPercentage"], 40);
  EXPECT_EQ(obj["status"]["currentReplicas"], 2);
  EXPECT_FALSE(obj["status"].contains("conditions"));
  const Json& ann = obj["metadata"]["annotations"];
  EXPECT_EQ(ann["keep"], "me");
  auto others = ParseJson(ann[kHpaMetricSpecsAnnotation].get<std::string>());
  ASSERT_TRUE(others.ok());
  ASSERT_EQ(others->size(), 2u);
  EXPECT_EQ((*others)[0]["pods"]["metricName"], "qps");
  EXPECT_EQ((*others)[0]["pods"]["targetAverageValue"], "10");
  EXPECT_EQ((*others)[1]["external"]["targetValue"], "30");
  EXPECT_TRUE(ann.contains(kHpaConditionsAnnotation));
  EXPECT_TRUE(ann.contains(kHpaMetricStatusesAnnotation));

  ASSERT_TRUE(ConvertHorizontalPodAutoscaler("v1", "v2", obj).ok());
  Json want = V2();
  // v1 lists the extra metrics first and the CPU target last (kube's order).
  Json metrics = Json::array(
      {want["spec"]["metrics"][1], want["spec"]["metrics"][2], want["spec"]["metrics"][0]});
  EXPECT_EQ(obj["spec"]["metrics"], metrics);
  EXPECT_EQ(obj["status"], want["status"]);
  EXPECT_EQ(obj["metadata"]["annotations"], Json({{"keep", "me"}}));
}

TEST(AutoscalingTest, BadAnnotationIsAnError) {
  Json obj = {{"metadata", {{"annotations", {{kHpaMetricSpecsAnnotation, "{not json"}}}}},
              {"spec", {{"maxReplicas", 1}}}};
  EXPECT_FALSE(ConvertHorizontalPodAutoscaler("v1", "v2", obj).ok());
  EXPECT_FALSE(ConvertHorizontalPodAutoscaler("v2", "v3", obj).ok());
}

TEST(AutoscalingTest, DefaultsFillRulesButNotTheScaleDownWindow) {
  Json obj = V2();
  obj["spec"].erase("minReplicas");
  obj["spec"].erase("metrics");
  obj["spec"]["behavior"] = {{"scaleUp", {{"selectPolicy", "Min"}}}};
  DefaultHorizontalPodAutoscaler(obj);
  EXPECT_EQ(obj["spec"]["minReplicas"], 1);
  EXPECT_EQ(obj["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
  const Json& b = obj["spec"]["behavior"];
  EXPECT_EQ(b["scaleUp"]["selectPolicy"], "Min");
  EXPECT_EQ(b["scaleUp"]["stabilizationWindowSeconds"], 0);
  EXPECT_EQ(b["scaleUp"]["policies"].size(), 2u);
  EXPECT_FALSE(b["scaleDown"].contains("stabilizationWindowSeconds"));
  EXPECT_EQ(b["scaleDown"]["policies"][0]["type"], "Percent");
  // No behavior stays no behavior (the controller's legacy rules apply).
  Json plain = V2();
  DefaultHorizontalPodAutoscaler(plain);
  EXPECT_FALSE(plain["spec"].contains("behavior"));
}

TEST(AutoscalingTest, Validation) {
  Json obj = V2();
  EXPECT_TRUE(ValidateHorizontalPodAutoscaler(obj).empty());
  obj["spec"]["minReplicas"] = 0;
  obj["spec"]["metrics"][1]["pods"]["target"]["averageValue"] = "-1";
  obj["spec"]["behavior"] = {
      {"scaleDown",
       {{"selectPolicy", "Sometimes"},
        {"stabilizationWindowSeconds", 4000},
        {"policies", Json::array({{{"type", "Pods"}, {"value", 0}, {"periodSeconds", 1801}}})}}}};
  std::vector<std::string> fields;
  for (const auto& c : ValidateHorizontalPodAutoscaler(obj)) fields.push_back(c.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "spec.minReplicas", "spec.metrics[1].pods.target.averageValue",
                        "spec.behavior.scaleDown.selectPolicy",
                        "spec.behavior.scaleDown.stabilizationWindowSeconds",
                        "spec.behavior.scaleDown.policies[0].value",
                        "spec.behavior.scaleDown.policies[0].periodSeconds"}));
  Json v1 = {{"apiVersion", "autoscaling/v1"},
             {"spec",
              {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", ""}}},
               {"maxReplicas", 1},
               {"targetCPUUtilizationPercentage", 0}}}};
  fields.clear();
  for (const auto& c : ValidateHorizontalPodAutoscaler(v1)) fields.push_back(c.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"spec.scaleTargetRef.name",
                                              "spec.targetCPUUtilizationPercentage"}));
}

}  // namespace
}  // namespace skiff::api
