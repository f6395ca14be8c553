// Pod facts every controller needs: phase and readiness tests, and the effective resource
// requests the scheduler and Kueue count (kube's resourcehelper.PodRequests).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/json.h"

namespace skiff::controllers {

// Resource name -> milli-units ("cpu" 500 = 0.5 cores; "memory" in milli-bytes; GPUs x1000).
using ResourceList = std::map<std::string, int64_t>;

bool IsPodTerminating(const Json& pod);  // metadata.deletionTimestamp set
bool IsPodTerminal(const Json& pod);     // phase Succeeded or Failed
// Not terminal and not terminating: counts toward a controller's replicas.
bool IsPodActive(const Json& pod);
bool IsPodReady(const Json& pod);  // condition Ready=True
// Ready for at least `min_ready_seconds` at `now_s` (unix seconds).
bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now_s);

// max(sum over containers, max over init containers) + overhead, with requests defaulting to
// limits per resource, as the scheduler computes it.
ResourceList PodRequests(const Json& pod);
// Parses a resources map ({"cpu": "2", "memory": "1Gi"}) into milli-units; bad values skipped.
ResourceList ParseResourceList(const Json& resources);
// "2", "1500m", "1Gi"-style canonical strings back.
std::string FormatResource(const std::string& name, int64_t milli);

}  // namespace skiff::controllers
