// Pod phase/readiness tests and resource request arithmetic.
#include "controllers/runtime/pods.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "base/time.h"
#include "controllers/runtime/conditions.h"

namespace skiff::controllers {

bool IsPodTerminating(const Json& pod) {
  return pod.contains("metadata") && pod["metadata"].contains("deletionTimestamp") &&
         !pod["metadata"]["deletionTimestamp"].is_null();
}

bool IsPodTerminal(const Json& pod) {
  if (!pod.contains("status") || !pod["status"].is_object()) return false;
  std::string phase = pod["status"].value("phase", "");
  return phase == "Succeeded" || phase == "Failed";
}

bool IsPodActive(const Json& pod) { return !IsPodTerminal(pod) && !IsPodTerminating(pod); }

bool IsPodReady(const Json& pod) {
  if (!pod.contains("status") || !pod["status"].is_object()) return false;
  auto it = pod["status"].find("conditions");
  return it != pod["status"].end() && IsConditionTrue(*it, "Ready");
}

bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now_s) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  const Json* c = FindCondition(pod["status"]["conditions"], "Ready");
  auto t = ParseRfc3339(c->value("lastTransitionTime", ""));
  if (!t.ok()) return true;
  int64_t since = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
  return now_s - since >= min_ready_seconds;
}

ResourceList ParseResourceList(const Json& resources) {
  ResourceList out;
  if (!resources.is_object()) return out;
  for (auto it = resources.begin(); it != resources.end(); ++it) {
    auto q = api::QuantityFromJson(it.value());
    if (q.ok()) out[it.key()] = q->MilliValue();
  }
  return out;
}

namespace {
ResourceList ContainerRequests(const Json& c) {
  ResourceList req;
  if (!c.is_object() || !c.contains("resources") || !c["resources"].is_object()) return req;
  const Json& res = c["resources"];
  if (res.contains("limits")) req = ParseResourceList(res["limits"]);
  if (res.contains("requests")) {
    for (const auto& [k, v] : ParseResourceList(res["requests"])) req[k] = v;
  }
  return req;
}
}  // namespace

ResourceList PodRequests(const Json& pod) {
  ResourceList total;
  if (!pod.contains("spec") || !pod["spec"].is_object()) return total;
  const Json& spec = pod["spec"];
  if (spec.contains("containers") && spec["containers"].is_array()) {
    for (const Json& c : spec["containers"]) {
      for (const auto& [k, v] : ContainerRequests(c)) total[k] += v;
    }
  }
  if (spec.contains("initContainers") && spec["initContainers"].is_array()) {
    for (const Json& c : spec["initContainers"]) {
      for (const auto& [k, v] : ContainerRequests(c)) total[k] = std::max(total[k], v);
    }
  }
  if (spec.contains("overhead")) {
    for (const auto& [k, v] : ParseResourceList(spec["overhead"])) total[k] += v;
  }
  return total;
}

std::string FormatResource(const std::string& name, int64_t milli) {
  api::QuantityFormat f = name == "memory" || name == "ephemeral-storage"
                              ? api::QuantityFormat::kBinarySI
                              : api::QuantityFormat::kDecimalSI;
  return api::Quantity::FromMilli(milli, f).ToString();
}

}  // namespace skiff::controllers
