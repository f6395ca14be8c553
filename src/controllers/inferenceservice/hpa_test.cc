// RenderPredictorHpa / WantsHpa against KServe's hpa_reconciler.go behaviour.
#include "controllers/inferenceservice/hpa.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::inferenceservice {
namespace {

Json Isvc(const std::string& predictor, const std::string& annotations = "{}") {
  Json isvc = {{"apiVersion", "serving.kserve.io/v1beta1"}, {"kind", "InferenceService"}};
  isvc["metadata"] = {{"name", "iris"},
                      {"namespace", "ml"},
                      {"uid", "uid-1"},
                      {"annotations", Json::parse(annotations)}};
  isvc["spec"]["predictor"] = Json::parse(predictor);
  return isvc;
}

Json CpuTarget(int utilization) {
  return {{"type", "Resource"},
          {"resource",
           {{"name", "cpu"},
            {"target", {{"type", "Utilization"}, {"averageUtilization", utilization}}}}}};
}

TEST(IsvcHpaTest, DefaultsToCpu80AndOneReplica) {
  Json hpa = RenderPredictorHpa(Isvc(R"({"model": {"modelFormat": {"name": "sklearn"}}})"));
  EXPECT_EQ(hpa["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(hpa["kind"], "HorizontalPodAutoscaler");
  EXPECT_EQ(hpa["metadata"]["name"], "iris-predictor");
  EXPECT_EQ(hpa["metadata"]["namespace"], "ml");
  EXPECT_EQ(hpa["metadata"]["labels"]["serving.kserve.io/inferenceservice"], "iris");
  EXPECT_EQ(hpa["metadata"]["labels"]["component"], "predictor");
  EXPECT_EQ(hpa["metadata"]["labels"]["app"], "isvc.iris-predictor");
  const Json& owner = hpa["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "InferenceService");
  EXPECT_EQ(owner["uid"], "uid-1");
  EXPECT_EQ(owner["controller"], true);
  const Json& spec = hpa["spec"];
  EXPECT_EQ(spec["scaleTargetRef"],
            Json({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "iris-predictor"}}));
  EXPECT_EQ(spec["minReplicas"], 1);
  EXPECT_EQ(spec["maxReplicas"], 1);
  EXPECT_EQ(spec["metrics"], Json::array({CpuTarget(80)}));
  EXPECT_EQ(spec["behavior"], Json::object());
}

TEST(IsvcHpaTest, ReplicaBoundsAndScaleTarget) {
  Json hpa = RenderPredictorHpa(
      Isvc(R"({"minReplicas": 0, "maxReplicas": 5, "scaleMetric": "cpu", "scaleTarget": 60})"));
  EXPECT_EQ(hpa["spec"]["minReplicas"], 1);  // max(1, minReplicas)
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 5);
  EXPECT_EQ(hpa["spec"]["metrics"], Json::array({CpuTarget(60)}));
  hpa = RenderPredictorHpa(Isvc(R"({"minReplicas": 4, "maxReplicas": 2})"));
  EXPECT_EQ(hpa["spec"]["minReplicas"], 4);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 4);  // max(maxReplicas, minReplicas)
}

TEST(IsvcHpaTest, MemoryNeedsAScaleTarget) {
  Json hpa = RenderPredictorHpa(Isvc(R"({"scaleMetric": "memory", "scaleTarget": 70})"));
  EXPECT_EQ(hpa["spec"]["metrics"][0]["resource"]["name"], "memory");
  EXPECT_EQ(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 70);
  hpa = RenderPredictorHpa(Isvc(R"({"scaleMetric": "memory"})"));
  EXPECT_EQ(hpa["spec"]["metrics"], Json::array());  // kube then defaults to CPU 80%
}

TEST(IsvcHpaTest, AutoScalingMetricsAndBehavior) {
  Json hpa = RenderPredictorHpa(Isvc(R"({"autoScaling": {
      "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}},
        {"type": "Resource", "resource": {"name": "memory",
          "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
        {"type": "External", "external": {"metric": {"backend": "prometheus"}}}],
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}},
    "scaleTarget": 10})"));
  const Json& m = hpa["spec"]["metrics"];
  ASSERT_EQ(m.size(), 2u);  // External is KEDA's business, not the HPA's
  EXPECT_EQ(m[0], CpuTarget(80));
  EXPECT_EQ(m[1]["resource"]["target"], Json({{"type", "AverageValue"}, {"averageValue", "1Gi"}}));
  EXPECT_EQ(hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 0);
}

TEST(IsvcHpaTest, AnnotationsAndAutoscalerClass) {
  Json isvc = Isvc(R"({})", R"({"serving.kserve.io/autoscalerClass": "hpa",
      "kubectl.kubernetes.io/last-applied-configuration": "{}"})");
  EXPECT_TRUE(WantsHpa(isvc));
  Json hpa = RenderPredictorHpa(isvc);
  EXPECT_EQ(hpa["metadata"]["annotations"], Json({{"serving.kserve.io/autoscalerClass", "hpa"}}));
  EXPECT_TRUE(WantsHpa(Isvc("{}")));
  for (const char* cls : {"none", "external", "keda"}) {
    EXPECT_FALSE(WantsHpa(
        Isvc("{}", std::string(R"({"serving.kserve.io/autoscalerClass": ")") + cls + "\"}")))
        << cls;
  }
  EXPECT_FALSE(WantsHpa(Isvc("{}", R"({"serving.kserve.io/stop": "true"})")));
}

}  // namespace
}  // namespace skiff::controllers::inferenceservice
