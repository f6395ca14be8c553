// Parsing the HPA spec and pod facts.
#include "controllers/hpa/hpa_view.h"

#include <nlohmann/json.hpp>

#include "api/autoscaling.h"
#include "api/quantity.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::hpa {
namespace {

StatusOr<std::optional<int64_t>> MilliOf(const Json& v, const std::string& field) {
  if (v.is_null()) return std::optional<int64_t>();
  auto q = api::QuantityFromJson(v);
  if (!q.ok()) return InvalidArgument(field + ": " + q.status().message());
  return std::optional<int64_t>(q->MilliValue());
}

std::optional<int32_t> Int32Of(const Json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  return static_cast<int32_t>(v.get<int64_t>());
}

StatusOr<MetricTarget> TargetOf(const Json& t, const std::string& path) {
  MetricTarget out;
  out.type = StringField(t, "type");
  out.average_utilization = Int32Of(Field(t, "averageUtilization"));
  SKIFF_ASSIGN_OR_RETURN(out.average_value_milli,
                         MilliOf(Field(t, "averageValue"), path + ".averageValue"));
  SKIFF_ASSIGN_OR_RETURN(out.value_milli, MilliOf(Field(t, "value"), path + ".value"));
  return out;
}

ScalingRules RulesOf(const Json& r) {
  ScalingRules out;
  out.stabilization_window_seconds = Int32Of(Field(r, "stabilizationWindowSeconds"));
  out.select_policy = StringField(r, "selectPolicy", "Max");
  for (const Json& p : Field(r, "policies")) {
    out.policies.push_back({.type = StringField(p, "type"),
                            .value = Int32Of(Field(p, "value")).value_or(0),
                            .period_seconds = Int32Of(Field(p, "periodSeconds")).value_or(0)});
  }
  return out;
}

int64_t RequestOf(const Json& container, const std::string& resource, bool* found) {
  const Json& res = Field(container, "resources");
  for (const char* list : {"requests", "limits"}) {
    const Json& v = Field(Field(res, list), resource.c_str());
    if (v.is_null()) continue;
    auto q = api::QuantityFromJson(v);
    if (!q.ok()) continue;
    *found = true;
    return q->MilliValue();
  }
  *found = false;
  return 0;
}

}  // namespace

StatusOr<HpaSpec> ParseHpaSpec(const Json& hpa) {
  Json obj = hpa;
  obj["apiVersion"] = "autoscaling/v2";
  api::DefaultHorizontalPodAutoscaler(obj);
  const Json& spec = Field(obj, "spec");
  HpaSpec out;
  const Json& ref = Field(spec, "scaleTargetRef");
  out.target_api_version = StringField(ref, "apiVersion");
  out.target_kind = StringField(ref, "kind");
  out.target_name = StringField(ref, "name");
  out.min_replicas = Int32Of(Field(spec, "minReplicas")).value_or(1);
  out.max_replicas = Int32Of(Field(spec, "maxReplicas")).value_or(0);
  const Json& metrics = Field(spec, "metrics");
  for (size_t i = 0; metrics.is_array() && i < metrics.size(); ++i) {
    const Json& m = metrics[i];
    std::string path = "spec.metrics[" + std::to_string(i) + "]";
    MetricSpec ms;
    ms.type = StringField(m, "type");
    const char* key = ms.type == "Resource"            ? "resource"
                      : ms.type == "ContainerResource" ? "containerResource"
                      : ms.type == "Pods"              ? "pods"
                      : ms.type == "Object"            ? "object"
                      : ms.type == "External"          ? "external"
                                                       : "";
    const Json& src = Field(m, key);
    ms.resource = StringField(src, "name");
    ms.container = StringField(src, "container");
    SKIFF_ASSIGN_OR_RETURN(ms.target, TargetOf(Field(src, "target"), path + ".target"));
    out.metrics.push_back(std::move(ms));
  }
  const Json& behavior = Field(spec, "behavior");
  if (behavior.is_object()) {
    out.behavior = Behavior{.scale_up = RulesOf(Field(behavior, "scaleUp")),
                            .scale_down = RulesOf(Field(behavior, "scaleDown"))};
  }
  return out;
}

PodFacts PodFactsOf(const Json& pod, const std::string& resource, const std::string& container) {
  PodFacts f;
  const Json& meta = Field(pod, "metadata");
  const Json& status = Field(pod, "status");
  f.name = StringField(meta, "name");
  f.phase = StringField(status, "phase");
  f.deleting = !Field(meta, "deletionTimestamp").is_null();
  if (auto t = ParseRfc3339(StringField(status, "startTime")); t.ok()) f.start_time = *t;
  for (const Json& c : Field(status, "conditions")) {
    if (StringField(c, "type") != "Ready") continue;
    f.has_ready_condition = true;
    f.ready = StringField(c, "status") == "True";
    if (auto t = ParseRfc3339(StringField(c, "lastTransitionTime")); t.ok()) {
      f.ready_transition = *t;
    }
  }
  const Json& spec = Field(pod, "spec");
  std::vector<const Json*> containers;
  for (const Json& c : Field(spec, "containers")) containers.push_back(&c);
  // Sidecars (restartable init containers) run alongside and count, as upstream counts them.
  for (const Json& c : Field(spec, "initContainers")) {
    if (StringField(c, "restartPolicy") == "Always") containers.push_back(&c);
  }
  int64_t sum = 0;
  for (const Json* c : containers) {
    std::string name = StringField(*c, "name");
    if (!container.empty() && container != name) continue;
    bool found = false;
    sum += RequestOf(*c, resource, &found);
    if (!found) {
      f.missing_request =
          "missing request for " + resource + " in container " + name + " of Pod " + f.name;
      return f;
    }
  }
  f.request_milli = sum;
  return f;
}

}  // namespace skiff::controllers::hpa
