// Folder-private: assigns a flavor per resource group to each pod set of a workload, walking
// the ClusterQueue's flavors in order with flavor fungibility, node labels and taints, and
// upstream's quota checks and messages (pkg/scheduler/flavorassigner).
#pragma once

#include <cstdint>
#include <vector>

#include "kueue/internal.h"
#include "kueue/preemptor.h"
#include "kueue/scheduler.h"

namespace skiff::kueue::internal {

class FlavorAssigner {
 public:
  FlavorAssigner(Snapshot& snapshot, const std::vector<CqInfo>& cqs, Preemptor& preemptor,
                 const Interner& resources, const Interner& flavors)
      : snapshot_(snapshot),
        cqs_(cqs),
        preemptor_(preemptor),
        resources_(resources),
        flavors_(flavors) {}

  // Assigns flavors for workload `w` in queue `cq`, with pod counts `counts` (null = the pod
  // sets' full counts). Stops at the first pod set that cannot get flavors (gang: all or none).
  Assignment Assign(const WorkloadInfo& w, int cq, const std::vector<int32_t>* counts);

 private:
  struct GroupResult;
  GroupResult FindFlavor(const WorkloadInfo& w, int ps, int cq, int group,
                         const std::vector<std::pair<int, int64_t>>& requests,
                         const Usage& assumed);

  Snapshot& snapshot_;
  const std::vector<CqInfo>& cqs_;
  Preemptor& preemptor_;
  const Interner& resources_;
  const Interner& flavors_;
};

// Whether the pod set may run on the flavor; empty, or upstream's reason ("untolerated taint
// {key value NoSchedule <nil>} in flavor x", "flavor x doesn't match node affinity").
std::string CheckFlavor(const PodSet& pod_set, const ResourceFlavor& flavor);

}  // namespace skiff::kueue::internal
