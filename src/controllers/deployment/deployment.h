// The Deployment controller: one ReplicaSet per pod template (named <deployment>-<hash>, label
// pod-template-hash), RollingUpdate (maxSurge/maxUnavailable) and Recreate strategies, revision
// annotations and history cleanup, and the status `kubectl rollout status` reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::deployment {

// kube's pod-template-hash: FNV-32a of the template, written in the safe alphabet.
std::string TemplateHash(const Json& pod_template);

// An int-or-percent field (maxSurge "25%", maxUnavailable 1) resolved against `total`;
// percentages round up for surge and down for unavailability, as kube does.
int64_t ResolveIntOrPercent(const Json& value, int64_t total, bool round_up, int64_t fallback);

// One ReplicaSet as the rolling algorithm sees it.
struct RsState {
  std::string name;
  int64_t replicas = 0;   // spec.replicas
  int64_t available = 0;  // status.availableReplicas
  bool is_new = false;
};

// How many replicas the new ReplicaSet should have now (kube's NewRSNewReplicas).
int64_t NewRsReplicas(int64_t desired, int64_t max_surge, const std::vector<RsState>& all,
                      const RsState& new_rs);

// Target spec.replicas for each old ReplicaSet (same order as `old`, oldest first) after one
// rolling step (kube's reconcileOldReplicaSets: unhealthy replicas first, then scale-down bounded
// by minimum availability).
std::vector<int64_t> ScaleDownOld(int64_t desired, int64_t max_unavailable,
                                  const std::vector<RsState>& old, const RsState* new_rs);

Status Register(Manager* manager);

}  // namespace skiff::controllers::deployment
