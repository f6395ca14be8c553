// KServe's createHPA / getHPAMetrics for the predictor.
#include "controllers/inferenceservice/hpa.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr int kDefaultCpuUtilization = 80;

Json ResourceMetric(const std::string& name, Json target) {
  return {{"type", "Resource"}, {"resource", {{"name", name}, {"target", std::move(target)}}}};
}

Json HpaMetrics(const Json& pred) {
  Json metrics = Json::array();
  const Json& auto_scaling = Field(pred, "autoScaling");
  if (auto_scaling.is_object()) {
    for (const Json& m : Field(auto_scaling, "metrics")) {
      const Json& res = Field(m, "resource");
      if (!res.is_object()) continue;  // only Resource metrics become HPA metrics
      std::string name = StringField(res, "name");
      const Json& target = Field(res, "target");
      if (name == "cpu") {
        const Json& u = Field(target, "averageUtilization");
        metrics.push_back(ResourceMetric(
            "cpu",
            {{"type", "Utilization"},
             {"averageUtilization", u.is_number_integer() ? u : Json(kDefaultCpuUtilization)}}));
      } else if (name == "memory") {
        Json t = Json::object();
        std::string type = StringField(target, "type");
        if (type == "Utilization") {
          t["type"] = "Utilization";
          if (!Field(target, "averageUtilization").is_null()) {
            t["averageUtilization"] = target["averageUtilization"];
          }
        } else if (type == "AverageValue") {
          t["type"] = "AverageValue";
          if (!Field(target, "averageValue").is_null()) t["averageValue"] = target["averageValue"];
        }
        metrics.push_back(ResourceMetric("memory", std::move(t)));
      }
    }
    return metrics;
  }
  std::string metric = StringField(pred, "scaleMetric", "cpu");
  const Json& target = Field(pred, "scaleTarget");
  if (metric == "cpu") {
    metrics.push_back(ResourceMetric(
        "cpu", {{"type", "Utilization"},
                {"averageUtilization",
                 target.is_number_integer() ? target : Json(kDefaultCpuUtilization)}}));
  } else if (metric == "memory" && target.is_number_integer()) {
    // No default target for memory: without scaleTarget the HPA has no metrics.
    metrics.push_back(
        ResourceMetric("memory", {{"type", "Utilization"}, {"averageUtilization", target}}));
  }
  return metrics;
}

}  // namespace

bool WantsHpa(const Json& isvc) {
  const Json& ann = Field(Field(isvc, "metadata"), "annotations");
  if (StringField(ann, "serving.kserve.io/stop") == "true") return false;
  const Json& cls = Field(ann, kAutoscalerClassAnnotation);
  return cls.is_null() || StringField(ann, kAutoscalerClassAnnotation) == "hpa";
}

Json RenderPredictorHpa(const Json& isvc) {
  const Json& meta = Field(isvc, "metadata");
  std::string name = StringField(meta, "name");
  std::string component = name + "-predictor";
  const Json& pred = Field(Field(isvc, "spec"), "predictor");

  const Json& min = Field(pred, "minReplicas");
  int64_t min_replicas = min.is_number_integer() ? std::max<int64_t>(1, min.get<int64_t>()) : 1;
  const Json& max = Field(pred, "maxReplicas");
  int64_t max_replicas =
      std::max<int64_t>(max.is_number_integer() ? max.get<int64_t>() : 0, min_replicas);

  Json labels = Field(pred, "labels").is_object() ? pred["labels"] : Json::object();
  labels["serving.kserve.io/inferenceservice"] = name;
  labels["component"] = "predictor";
  labels["app"] = "isvc." + component;
  Json hpa_meta = {{"name", component},
                   {"namespace", StringField(meta, "namespace")},
                   {"labels", labels},
                   {"ownerReferences", Json::array({ControllerRef(isvc)})}};
  // The annotations KServe copies onto the component (the autoscaler class among them, which it
  // compares to decide on updates).
  Json annotations = Field(meta, "annotations").is_object() ? meta["annotations"] : Json::object();
  annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  if (Field(pred, "annotations").is_object()) annotations.update(pred["annotations"]);
  if (!annotations.empty()) hpa_meta["annotations"] = annotations;

  const Json& behavior = Field(Field(pred, "autoScaling"), "behavior");
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata", hpa_meta},
          {"spec",
           {{"scaleTargetRef",
             {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", component}}},
            {"minReplicas", min_replicas},
            {"maxReplicas", max_replicas},
            {"metrics", HpaMetrics(pred)},
            {"behavior", behavior.is_object() ? behavior : Json::object()}}}};
}

}  // namespace skiff::controllers::inferenceservice
