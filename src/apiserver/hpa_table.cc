// kubectl's HorizontalPodAutoscaler columns.
#include "apiserver/hpa_table.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "api/quantity.h"

namespace skiff::apiserver {
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

// A quantity as Quantity.String() prints it.
std::string Qty(const Json& v) {
  auto q = api::QuantityFromJson(v);
  return q.ok() ? q->ToString() : "<unknown>";
}

std::string Percent(const Json& v) { return std::to_string(v.get<int64_t>()) + "%"; }

// One metric's "current/target" text.
std::string FormatMetric(const Json& spec, const Json* status) {
  std::string type = Str(spec, "type");
  auto current_of = [&](const char* key) -> const Json& {
    static const Json kNull;
    return status ? At(At(*status, key), "current") : kNull;
  };
  if (type == "External" || type == "Object") {
    const char* key = type == "External" ? "external" : "object";
    const Json& target = At(At(spec, key), "target");
    const Json& cur = current_of(key);
    if (!At(target, "averageValue").is_null()) {
      std::string c = At(cur, "averageValue").is_null() ? "<unknown>" : Qty(cur["averageValue"]);
      return c + "/" + Qty(target["averageValue"]) + " (avg)";
    }
    std::string c = At(cur, "value").is_null() ? "<unknown>" : Qty(cur["value"]);
    return c + "/" + Qty(At(target, "value"));
  }
  if (type == "Pods") {
    const Json& cur = current_of("pods");
    std::string c = At(cur, "averageValue").is_null() ? "<unknown>" : Qty(cur["averageValue"]);
    return c + "/" + Qty(At(At(At(spec, "pods"), "target"), "averageValue"));
  }
  if (type == "Resource" || type == "ContainerResource") {
    const char* key = type == "Resource" ? "resource" : "containerResource";
    const Json& src = At(spec, key);
    const Json& target = At(src, "target");
    const Json& cur = current_of(key);
    std::string name = Str(src, "name");
    if (!At(target, "averageValue").is_null()) {
      std::string c = At(cur, "averageValue").is_null() ? "<unknown>" : Qty(cur["averageValue"]);
      return name + ": " + c + "/" + Qty(target["averageValue"]);
    }
    std::string c = At(cur, "averageUtilization").is_number_integer()
                        ? Percent(cur["averageUtilization"])
                        : "<unknown>";
    std::string t = At(target, "averageUtilization").is_number_integer()
                        ? Percent(target["averageUtilization"])
                        : "<auto>";
    return name + ": " + c + "/" + t;
  }
  return "<unknown type>";
}

}  // namespace

std::string FormatHpaTargets(const Json& hpa) {
  const Json& spec = At(hpa, "spec");
  const Json& status = At(hpa, "status");
  if (At(spec, "targetCPUUtilizationPercentage").is_number_integer()) {
    const Json& cur = At(status, "currentCPUUtilizationPercentage");
    return "cpu: " + (cur.is_number_integer() ? Percent(cur) : std::string("<unknown>")) + "/" +
           Percent(spec["targetCPUUtilizationPercentage"]);
  }
  const Json& metrics = At(spec, "metrics");
  if (!metrics.is_array() || metrics.empty()) return "<none>";
  const Json& statuses = At(status, "currentMetrics");
  std::vector<std::string> list;
  for (size_t i = 0; i < metrics.size(); ++i) {
    const Json* st = statuses.is_array() && i < statuses.size() ? &statuses[i] : nullptr;
    list.push_back(FormatMetric(metrics[i], st));
  }
  constexpr size_t kMax = 2;
  std::string out;
  for (size_t i = 0; i < list.size() && i < kMax; ++i) out += (i ? ", " : "") + list[i];
  if (list.size() > kMax) out += " + " + std::to_string(list.size() - kMax) + " more...";
  return out;
}

Json HpaCells(const Json& hpa, const std::string& age) {
  const Json& spec = At(hpa, "spec");
  const Json& ref = At(spec, "scaleTargetRef");
  const Json& min = At(spec, "minReplicas");
  const Json& max = At(spec, "maxReplicas");
  const Json& current = At(At(hpa, "status"), "currentReplicas");
  return {Str(ref, "kind") + "/" + Str(ref, "name"),
          FormatHpaTargets(hpa),
          min.is_number_integer() ? std::to_string(min.get<int64_t>()) : "<unset>",
          max.is_number_integer() ? max.get<int64_t>() : 0,
          current.is_number_integer() ? current.get<int64_t>() : 0,
          age};
}

}  // namespace skiff::apiserver
