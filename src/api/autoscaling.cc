// HorizontalPodAutoscaler conversion, defaulting and validation (kube's pkg/apis/autoscaling).
#include "api/autoscaling.h"

#include <nlohmann/json.hpp>
#include <string>

#include "api/quantity.h"

namespace skiff::api {
namespace {

const Json& At(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Str(const Json& obj, const char* key) {
  const Json& v = At(obj, key);
  return v.is_string() ? v.get<std::string>() : "";
}

std::string VersionOf(const Json& obj) {
  std::string api = Str(obj, "apiVersion");
  auto slash = api.find('/');
  return slash == std::string::npos ? api : api.substr(slash + 1);
}

// Copies obj[key] into out[out_key] when present and not null.
void CopyIf(const Json& obj, const char* key, Json& out, const char* out_key) {
  const Json& v = At(obj, key);
  if (!v.is_null()) out[out_key] = v;
}

bool IsCpuUtilization(const Json& metric) {
  const Json& r = At(metric, "resource");
  return Str(metric, "type") == "Resource" && Str(r, "name") == "cpu" &&
         At(At(r, "target"), "averageUtilization").is_number_integer();
}

// v2 MetricSpec -> v1 MetricSpec (the shape the metrics annotation holds).
Json MetricSpecToV1(const Json& m) {
  std::string type = Str(m, "type");
  Json out = {{"type", type}};
  if (type == "Resource" || type == "ContainerResource") {
    const char* key = type == "Resource" ? "resource" : "containerResource";
    const Json& src = At(m, key);
    const Json& t = At(src, "target");
    Json r = {{"name", Str(src, "name")}};
    if (type == "ContainerResource") r["container"] = Str(src, "container");
    CopyIf(t, "averageUtilization", r, "targetAverageUtilization");
    CopyIf(t, "averageValue", r, "targetAverageValue");
    out[key] = r;
  } else if (type == "Pods") {
    const Json& src = At(m, "pods");
    Json p = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(At(src, "metric"), "selector", p, "selector");
    CopyIf(At(src, "target"), "averageValue", p, "targetAverageValue");
    out["pods"] = p;
  } else if (type == "Object") {
    const Json& src = At(m, "object");
    Json o = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(src, "describedObject", o, "target");
    CopyIf(At(src, "metric"), "selector", o, "selector");
    CopyIf(At(src, "target"), "value", o, "targetValue");
    CopyIf(At(src, "target"), "averageValue", o, "averageValue");
    out["object"] = o;
  } else if (type == "External") {
    const Json& src = At(m, "external");
    Json e = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(At(src, "metric"), "selector", e, "metricSelector");
    CopyIf(At(src, "target"), "value", e, "targetValue");
    CopyIf(At(src, "target"), "averageValue", e, "targetAverageValue");
    out["external"] = e;
  }
  return out;
}

Json MetricSpecToV2(const Json& m) {
  std::string type = Str(m, "type");
  Json out = {{"type", type}};
  if (type == "Resource" || type == "ContainerResource") {
    const char* key = type == "Resource" ? "resource" : "containerResource";
    const Json& src = At(m, key);
    Json t = Json::object();
    if (At(src, "targetAverageUtilization").is_null()) {
      t["type"] = "AverageValue";
    } else {
      t["type"] = "Utilization";
    }
    CopyIf(src, "targetAverageUtilization", t, "averageUtilization");
    CopyIf(src, "targetAverageValue", t, "averageValue");
    Json r = {{"name", Str(src, "name")}, {"target", t}};
    if (type == "ContainerResource") r["container"] = Str(src, "container");
    out[key] = r;
  } else if (type == "Pods") {
    const Json& src = At(m, "pods");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "selector", metric, "selector");
    Json t = {{"type", "AverageValue"}};
    CopyIf(src, "targetAverageValue", t, "averageValue");
    out["pods"] = {{"metric", metric}, {"target", t}};
  } else if (type == "Object") {
    const Json& src = At(m, "object");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "selector", metric, "selector");
    Json t = {{"type", At(src, "averageValue").is_null() ? "Value" : "AverageValue"}};
    CopyIf(src, "targetValue", t, "value");
    CopyIf(src, "averageValue", t, "averageValue");
    Json o = {{"metric", metric}, {"target", t}};
    CopyIf(src, "target", o, "describedObject");
    out["object"] = o;
  } else if (type == "External") {
    const Json& src = At(m, "external");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "metricSelector", metric, "selector");
    Json t = {{"type", At(src, "targetValue").is_null() ? "AverageValue" : "Value"}};
    CopyIf(src, "targetValue", t, "value");
    CopyIf(src, "targetAverageValue", t, "averageValue");
    out["external"] = {{"metric", metric}, {"target", t}};
  }
  return out;
}

Json MetricStatusToV1(const Json& m) {
  std::string type = Str(m, "type");
  Json out = {{"type", type}};
  if (type == "Resource" || type == "ContainerResource") {
    const char* key = type == "Resource" ? "resource" : "containerResource";
    const Json& src = At(m, key);
    Json r = {{"name", Str(src, "name")}};
    if (type == "ContainerResource") r["container"] = Str(src, "container");
    CopyIf(At(src, "current"), "averageUtilization", r, "currentAverageUtilization");
    r["currentAverageValue"] = At(At(src, "current"), "averageValue").is_null()
                                   ? Json("0")
                                   : At(At(src, "current"), "averageValue");
    out[key] = r;
  } else if (type == "Pods") {
    const Json& src = At(m, "pods");
    Json p = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(At(src, "metric"), "selector", p, "selector");
    CopyIf(At(src, "current"), "averageValue", p, "currentAverageValue");
    out["pods"] = p;
  } else if (type == "Object") {
    const Json& src = At(m, "object");
    Json o = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(src, "describedObject", o, "target");
    CopyIf(At(src, "metric"), "selector", o, "selector");
    CopyIf(At(src, "current"), "value", o, "currentValue");
    CopyIf(At(src, "current"), "averageValue", o, "averageValue");
    out["object"] = o;
  } else if (type == "External") {
    const Json& src = At(m, "external");
    Json e = {{"metricName", Str(At(src, "metric"), "name")}};
    CopyIf(At(src, "metric"), "selector", e, "metricSelector");
    CopyIf(At(src, "current"), "value", e, "currentValue");
    CopyIf(At(src, "current"), "averageValue", e, "currentAverageValue");
    out["external"] = e;
  }
  return out;
}

Json MetricStatusToV2(const Json& m) {
  std::string type = Str(m, "type");
  Json out = {{"type", type}};
  if (type == "Resource" || type == "ContainerResource") {
    const char* key = type == "Resource" ? "resource" : "containerResource";
    const Json& src = At(m, key);
    Json cur = Json::object();
    CopyIf(src, "currentAverageUtilization", cur, "averageUtilization");
    CopyIf(src, "currentAverageValue", cur, "averageValue");
    Json r = {{"name", Str(src, "name")}, {"current", cur}};
    if (type == "ContainerResource") r["container"] = Str(src, "container");
    out[key] = r;
  } else if (type == "Pods") {
    const Json& src = At(m, "pods");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "selector", metric, "selector");
    Json cur = Json::object();
    CopyIf(src, "currentAverageValue", cur, "averageValue");
    out["pods"] = {{"metric", metric}, {"current", cur}};
  } else if (type == "Object") {
    const Json& src = At(m, "object");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "selector", metric, "selector");
    Json cur = Json::object();
    CopyIf(src, "currentValue", cur, "value");
    CopyIf(src, "averageValue", cur, "averageValue");
    Json o = {{"metric", metric}, {"current", cur}};
    CopyIf(src, "target", o, "describedObject");
    out["object"] = o;
  } else if (type == "External") {
    const Json& src = At(m, "external");
    Json metric = {{"name", Str(src, "metricName")}};
    CopyIf(src, "metricSelector", metric, "selector");
    Json cur = Json::object();
    CopyIf(src, "currentValue", cur, "value");
    CopyIf(src, "currentAverageValue", cur, "averageValue");
    out["external"] = {{"metric", metric}, {"current", cur}};
  }
  return out;
}

Json& Annotations(Json& obj) {
  Json& meta = obj["metadata"];
  if (!meta.is_object()) meta = Json::object();
  Json& ann = meta["annotations"];
  if (!ann.is_object()) ann = Json::object();
  return ann;
}

// Removes `key` from the annotations and returns it parsed (null when absent).
StatusOr<Json> TakeAnnotation(Json& obj, const char* key) {
  Json& meta = obj["metadata"];
  if (!meta.is_object() || !At(meta, "annotations").is_object()) return Json();
  Json& ann = meta["annotations"];
  if (!ann.contains(key)) return Json();
  Json value = ann[key];
  ann.erase(key);
  if (ann.empty()) meta.erase("annotations");
  if (!value.is_string()) return Json();
  auto parsed = ParseJson(value.get<std::string>());
  if (!parsed.ok()) {
    return InvalidArgument(std::string("annotation ") + key + ": " + parsed.status().message());
  }
  return std::move(*parsed);
}

void ToV1(Json& obj) {
  Json spec = At(obj, "spec").is_object() ? obj["spec"] : Json::object();
  Json status = At(obj, "status").is_object() ? obj["status"] : Json();
  Json v1spec = Json::object();
  for (const char* k : {"scaleTargetRef", "minReplicas", "maxReplicas"}) CopyIf(spec, k, v1spec, k);
  Json others = Json::array();
  for (const Json& m : At(spec, "metrics").is_array() ? spec["metrics"] : Json::array()) {
    if (IsCpuUtilization(m)) {
      if (!v1spec.contains("targetCPUUtilizationPercentage")) {
        v1spec["targetCPUUtilizationPercentage"] = m["resource"]["target"]["averageUtilization"];
      }
      continue;
    }
    others.push_back(MetricSpecToV1(m));
  }
  if (!others.empty()) Annotations(obj)[kHpaMetricSpecsAnnotation] = DumpJson(others);
  if (At(spec, "behavior").is_object()) {
    Annotations(obj)[kHpaBehaviorAnnotation] = DumpJson(spec["behavior"]);
  }
  obj["spec"] = v1spec;
  if (status.is_null()) return;
  Json v1status = Json::object();
  for (const char* k :
       {"observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"}) {
    CopyIf(status, k, v1status, k);
  }
  if (!v1status.contains("currentReplicas")) v1status["currentReplicas"] = 0;
  if (!v1status.contains("desiredReplicas")) v1status["desiredReplicas"] = 0;
  const Json& current = At(status, "currentMetrics");
  if (current.is_array() && !current.empty()) {
    Json v1metrics = Json::array();
    for (const Json& m : current) {
      const Json& r = At(m, "resource");
      if (Str(m, "type") == "Resource" && Str(r, "name") == "cpu" &&
          !v1status.contains("currentCPUUtilizationPercentage")) {
        CopyIf(At(r, "current"), "averageUtilization", v1status, "currentCPUUtilizationPercentage");
      }
      v1metrics.push_back(MetricStatusToV1(m));
    }
    Annotations(obj)[kHpaMetricStatusesAnnotation] = DumpJson(v1metrics);
  }
  const Json& conds = At(status, "conditions");
  if (conds.is_array() && !conds.empty()) {
    Annotations(obj)[kHpaConditionsAnnotation] = DumpJson(conds);
  }
  obj["status"] = v1status;
}

Status ToV2(Json& obj) {
  Json spec = At(obj, "spec").is_object() ? obj["spec"] : Json::object();
  Json status = At(obj, "status").is_object() ? obj["status"] : Json();
  SKIFF_ASSIGN_OR_RETURN(Json others, TakeAnnotation(obj, kHpaMetricSpecsAnnotation));
  SKIFF_ASSIGN_OR_RETURN(Json behavior, TakeAnnotation(obj, kHpaBehaviorAnnotation));
  SKIFF_ASSIGN_OR_RETURN(Json statuses, TakeAnnotation(obj, kHpaMetricStatusesAnnotation));
  SKIFF_ASSIGN_OR_RETURN(Json conditions, TakeAnnotation(obj, kHpaConditionsAnnotation));
  Json v2spec = Json::object();
  for (const char* k : {"scaleTargetRef", "minReplicas", "maxReplicas"}) CopyIf(spec, k, v2spec, k);
  Json metrics = Json::array();
  if (others.is_array()) {
    for (const Json& m : others) metrics.push_back(MetricSpecToV2(m));
  }
  const Json& cpu = At(spec, "targetCPUUtilizationPercentage");
  if (cpu.is_number_integer()) {
    metrics.push_back(
        {{"type", "Resource"},
         {"resource",
          {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", cpu}}}}}});
  }
  // autoscaling/v1 implied 80% CPU in the controller; v2 states it (kube's conversion does too).
  if (metrics.empty()) {
    metrics.push_back(
        {{"type", "Resource"},
         {"resource",
          {{"name", "cpu"},
           {"target",
            {{"type", "Utilization"}, {"averageUtilization", kHpaDefaultCpuUtilization}}}}}});
  }
  v2spec["metrics"] = metrics;
  if (behavior.is_object()) v2spec["behavior"] = behavior;
  obj["spec"] = v2spec;
  if (status.is_null()) return Status::Ok();
  Json v2status = Json::object();
  for (const char* k :
       {"observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"}) {
    CopyIf(status, k, v2status, k);
  }
  if (statuses.is_array()) {
    Json current = Json::array();
    for (const Json& m : statuses) current.push_back(MetricStatusToV2(m));
    v2status["currentMetrics"] = current;
  } else if (At(status, "currentCPUUtilizationPercentage").is_number_integer()) {
    v2status["currentMetrics"] = Json::array(
        {{{"type", "Resource"},
          {"resource",
           {{"name", "cpu"},
            {"current", {{"averageUtilization", status["currentCPUUtilizationPercentage"]}}}}}}});
  }
  if (conditions.is_array()) v2status["conditions"] = conditions;
  obj["status"] = v2status;
  return Status::Ok();
}

Json MergeRules(const Json& rules, Json defaults) {
  if (!rules.is_object()) return defaults;
  for (const char* k : {"selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"}) {
    if (!At(rules, k).is_null()) defaults[k] = rules[k];
  }
  return defaults;
}

void ValidateTarget(const Json& target, const std::string& path, bool resource,
                    std::vector<StatusCause>& causes) {
  std::string type = Str(target, "type");
  auto positive_quantity = [&](const char* key) {
    const Json& v = At(target, key);
    auto q = QuantityFromJson(v);
    if (v.is_null()) {
      causes.push_back({"FieldValueRequired",
                        std::string("Required value: must set either a target raw value or a "
                                    "target utilization"),
                        path + "." + key});
    } else if (!q.ok() || q->Sign() <= 0) {
      causes.push_back({"FieldValueInvalid", "Invalid value: must be positive", path + "." + key});
    }
  };
  if (type == "Utilization") {
    if (!resource) {
      causes.push_back({"FieldValueNotSupported",
                        "Unsupported value: \"Utilization\": supported values: \"AverageValue\", "
                        "\"Value\"",
                        path + ".type"});
      return;
    }
    const Json& u = At(target, "averageUtilization");
    if (!u.is_number_integer()) {
      causes.push_back({"FieldValueRequired", "Required value: must set averageUtilization",
                        path + ".averageUtilization"});
    } else if (u.get<int64_t>() <= 0) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + u.dump() + ": must be greater than 0",
                        path + ".averageUtilization"});
    }
  } else if (type == "AverageValue") {
    positive_quantity("averageValue");
  } else if (type == "Value" && !resource) {
    positive_quantity("value");
  } else {
    causes.push_back({type.empty() ? "FieldValueRequired" : "FieldValueNotSupported",
                      type.empty() ? "Required value: must specify a metric target type"
                                   : "Unsupported value: \"" + type + "\"",
                      path + ".type"});
  }
}

void ValidateRules(const Json& rules, const std::string& path, std::vector<StatusCause>& causes) {
  if (!rules.is_object()) return;
  std::string select = Str(rules, "selectPolicy");
  if (!At(rules, "selectPolicy").is_null() && select != "Max" && select != "Min" &&
      select != "Disabled") {
    causes.push_back(
        {"FieldValueNotSupported",
         "Unsupported value: \"" + select + "\": supported values: \"Disabled\", \"Max\", \"Min\"",
         path + ".selectPolicy"});
  }
  const Json& window = At(rules, "stabilizationWindowSeconds");
  if (window.is_number_integer() && (window.get<int64_t>() < 0 || window.get<int64_t>() > 3600)) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: " + window.dump() + ": must be less than or equal to 3600",
                      path + ".stabilizationWindowSeconds"});
  }
  const Json& policies = At(rules, "policies");
  if (policies.is_array() && policies.empty() && select != "Disabled") {
    causes.push_back({"FieldValueRequired", "Required value: must specify at least one Policy",
                      path + ".policies"});
  }
  for (size_t i = 0; policies.is_array() && i < policies.size(); ++i) {
    std::string p = path + ".policies[" + std::to_string(i) + "]";
    std::string type = Str(policies[i], "type");
    if (type != "Pods" && type != "Percent") {
      causes.push_back(
          {"FieldValueNotSupported",
           "Unsupported value: \"" + type + "\": supported values: \"Percent\", \"Pods\"",
           p + ".type"});
    }
    const Json& value = At(policies[i], "value");
    if (!value.is_number_integer() || value.get<int64_t>() <= 0) {
      causes.push_back(
          {"FieldValueInvalid", "Invalid value: must be greater than zero", p + ".value"});
    }
    const Json& period = At(policies[i], "periodSeconds");
    if (!period.is_number_integer() || period.get<int64_t>() <= 0 || period.get<int64_t>() > 1800) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: must be greater than zero and less than or equal to 1800",
                        p + ".periodSeconds"});
    }
  }
}

}  // namespace

Status ConvertHorizontalPodAutoscaler(std::string_view from, std::string_view to, Json& obj) {
  if (from == to) return Status::Ok();
  if (!obj.is_object()) return InvalidArgument("HorizontalPodAutoscaler is not an object");
  if (from == "v2" && to == "v1") {
    ToV1(obj);
    return Status::Ok();
  }
  if (from == "v1" && to == "v2") return ToV2(obj);
  return InvalidArgument("no conversion of HorizontalPodAutoscaler from " + std::string(from) +
                         " to " + std::string(to));
}

Json ScaleUpRulesWithDefaults(const Json& rules) {
  return MergeRules(
      rules,
      {{"stabilizationWindowSeconds", 0},
       {"selectPolicy", "Max"},
       {"policies", Json::array({{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}},
                                 {{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})}});
}

Json ScaleDownRulesWithDefaults(const Json& rules) {
  return MergeRules(
      rules,
      {{"selectPolicy", "Max"},
       {"policies", Json::array({{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})}});
}

void DefaultHorizontalPodAutoscaler(Json& obj) {
  if (!obj.is_object() || !At(obj, "spec").is_object()) return;
  Json& spec = obj["spec"];
  if (At(spec, "minReplicas").is_null()) spec["minReplicas"] = 1;
  if (VersionOf(obj) != "v2") return;
  if (!At(spec, "metrics").is_array() || spec["metrics"].empty()) {
    spec["metrics"] = Json::array(
        {{{"type", "Resource"},
          {"resource",
           {{"name", "cpu"},
            {"target",
             {{"type", "Utilization"}, {"averageUtilization", kHpaDefaultCpuUtilization}}}}}}});
  }
  if (At(spec, "behavior").is_object()) {
    Json& b = spec["behavior"];
    b["scaleUp"] = ScaleUpRulesWithDefaults(At(b, "scaleUp"));
    b["scaleDown"] = ScaleDownRulesWithDefaults(At(b, "scaleDown"));
  }
}

std::vector<StatusCause> ValidateHorizontalPodAutoscaler(const Json& obj) {
  std::vector<StatusCause> causes;
  const Json& spec = At(obj, "spec");
  if (!spec.is_object()) return causes;  // the schema reports a missing spec
  const Json& ref = At(spec, "scaleTargetRef");
  if (ref.is_object()) {
    for (const char* k : {"kind", "name"}) {
      if (Str(ref, k).empty()) {
        causes.push_back(
            {"FieldValueRequired", "Required value", std::string("spec.scaleTargetRef.") + k});
      }
    }
  }
  const Json& min = At(spec, "minReplicas");
  const Json& max = At(spec, "maxReplicas");
  if (min.is_number_integer() && min.get<int64_t>() < 1) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: " + min.dump() + ": must be greater than or equal to 1",
                      "spec.minReplicas"});
  }
  if (max.is_number_integer()) {
    if (max.get<int64_t>() < 1) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + max.dump() + ": must be greater than 0",
                        "spec.maxReplicas"});
    } else if (min.is_number_integer() && max.get<int64_t>() < min.get<int64_t>()) {
      causes.push_back(
          {"FieldValueInvalid",
           "Invalid value: " + max.dump() + ": must be greater than or equal to `minReplicas`",
           "spec.maxReplicas"});
    }
  }
  if (VersionOf(obj) == "v1") {
    const Json& cpu = At(spec, "targetCPUUtilizationPercentage");
    if (cpu.is_number_integer() && cpu.get<int64_t>() < 1) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + cpu.dump() + ": must be greater than or equal to 1",
                        "spec.targetCPUUtilizationPercentage"});
    }
    return causes;
  }
  const Json& metrics = At(spec, "metrics");
  for (size_t i = 0; metrics.is_array() && i < metrics.size(); ++i) {
    std::string path = "spec.metrics[" + std::to_string(i) + "]";
    const Json& m = metrics[i];
    std::string type = Str(m, "type");
    static const std::pair<const char*, const char*> kSources[] = {
        {"Resource", "resource"},
        {"ContainerResource", "containerResource"},
        {"Pods", "pods"},
        {"Object", "object"},
        {"External", "external"}};
    const char* key = nullptr;
    for (const auto& [t, k] : kSources) {
      if (type == t) key = k;
    }
    if (!key) {
      causes.push_back({"FieldValueNotSupported",
                        "Unsupported value: \"" + type +
                            "\": supported values: \"ContainerResource\", \"External\", "
                            "\"Object\", \"Pods\", \"Resource\"",
                        path + ".type"});
      continue;
    }
    const Json& src = At(m, key);
    if (!src.is_object()) {
      causes.push_back({"FieldValueRequired",
                        std::string("Required value: must populate information for the given "
                                    "metric source"),
                        path + "." + key});
      continue;
    }
    bool resource = type == "Resource" || type == "ContainerResource";
    if (resource && Str(src, "name").empty()) {
      causes.push_back({"FieldValueRequired", "Required value: must specify a resource name",
                        path + "." + key + ".name"});
    }
    ValidateTarget(At(src, "target"), path + "." + key + ".target", resource, causes);
  }
  const Json& behavior = At(spec, "behavior");
  ValidateRules(At(behavior, "scaleUp"), "spec.behavior.scaleUp", causes);
  ValidateRules(At(behavior, "scaleDown"), "spec.behavior.scaleDown", causes);
  return causes;
}

}  // namespace skiff::api
