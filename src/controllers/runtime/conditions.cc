// Conditions and owner-reference helpers shared by every controller.
#include "controllers/runtime/conditions.h"

#include <nlohmann/json.hpp>

#include "base/time.h"

namespace skiff::controllers {

bool SetCondition(Json* conditions, const Condition& cond, std::string_view now,
                  std::string_view extra_time_field) {
  if (!conditions->is_array()) {
    *conditions = Json::array();
  }
  for (Json& c : *conditions) {
    if (!c.is_object() || c.value("type", "") != cond.type) {
      continue;
    }
    bool changed = false;
    if (c.value("status", "") != cond.status) {
      c["status"] = cond.status;
      c["lastTransitionTime"] = std::string(now);
      changed = true;
    }
    if (c.value("reason", "") != cond.reason) {
      c["reason"] = cond.reason;
      changed = true;
    }
    if (c.value("message", "") != cond.message) {
      c["message"] = cond.message;
      changed = true;
    }
    if (cond.observed_generation >= 0 &&
        c.value("observedGeneration", int64_t{-1}) != cond.observed_generation) {
      c["observedGeneration"] = cond.observed_generation;
      changed = true;
    }
    if (changed && !extra_time_field.empty()) {
      c[std::string(extra_time_field)] = std::string(now);
    }
    return changed;
  }
  Json c = {{"type", cond.type}, {"status", cond.status}, {"lastTransitionTime", now}};
  if (!cond.reason.empty()) c["reason"] = cond.reason;
  if (!cond.message.empty()) c["message"] = cond.message;
  if (cond.observed_generation >= 0) c["observedGeneration"] = cond.observed_generation;
  if (!extra_time_field.empty()) c[std::string(extra_time_field)] = std::string(now);
  conditions->push_back(std::move(c));
  return true;
}

const Json* FindCondition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (const Json& c : conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const Json& conditions, std::string_view type) {
  const Json* c = FindCondition(conditions, type);
  return c && c->value("status", "") == "True";
}

Json ControllerRef(const Json& owner) {
  const Json& meta = owner["metadata"];
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", meta.value("name", "")},
          {"uid", meta.value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

const Json* GetControllerOf(const Json& object) {
  if (!object.contains("metadata")) return nullptr;
  const Json& meta = object["metadata"];
  auto it = meta.find("ownerReferences");
  if (it == meta.end() || !it->is_array()) return nullptr;
  for (const Json& ref : *it) {
    if (ref.is_object() && ref.value("controller", false)) return &ref;
  }
  return nullptr;
}

bool IsControlledBy(const Json& object, std::string_view owner_uid) {
  const Json* ref = GetControllerOf(object);
  return ref && ref->value("uid", "") == owner_uid;
}

std::string NowRfc3339() { return FormatRfc3339(std::chrono::system_clock::now()); }

}  // namespace skiff::controllers
