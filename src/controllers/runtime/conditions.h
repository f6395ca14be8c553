// Kubernetes-style status conditions (apimachinery's meta.SetStatusCondition) and small helpers
// every controller needs: owner references, resource quantities of pod specs.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace skiff::controllers {

struct Condition {
  std::string type{};
  std::string status{};  // "True", "False", "Unknown"
  std::string reason{};
  std::string message{};
  int64_t observed_generation = -1;  // < 0: not written
};

// Sets `cond` in the array `*conditions` (created when null). lastTransitionTime moves only when
// the status changes; reason, message and observedGeneration are updated in place. Returns true
// when anything changed. `now` is RFC 3339. Some kinds (Job, Pod) also carry lastProbeTime /
// lastUpdateTime: pass `extra_time_field` to stamp it on every change.
bool SetCondition(Json* conditions, const Condition& cond, std::string_view now,
                  std::string_view extra_time_field = "");
// nullptr when absent.
const Json* FindCondition(const Json& conditions, std::string_view type);
bool IsConditionTrue(const Json& conditions, std::string_view type);

// An ownerReference with controller=true and blockOwnerDeletion=true pointing at `owner`.
Json ControllerRef(const Json& owner);
// The controlling ownerReference of `object`, or nullptr.
const Json* GetControllerOf(const Json& object);
bool IsControlledBy(const Json& object, std::string_view owner_uid);

// Now, RFC 3339 (seconds), from the system clock.
std::string NowRfc3339();

}  // namespace skiff::controllers
