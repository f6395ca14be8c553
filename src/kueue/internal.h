// Folder-private types shared by the scheduling cycle, the flavor assigner and the preemptor:
// workloads with interned requests, ClusterQueues resolved against the quota tree, and
// flavor assignments.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kueue/snapshot.h"
#include "kueue/types.h"

namespace skiff::kueue::internal {

struct PodSetInfo {
  int32_t count = 1;
  int32_t min_count = 1;
  std::vector<std::pair<int, int64_t>> requests;  // per pod, by resource id, sorted
};

// What a cycle answers for a workload it did not admit (shared by equivalent workloads).
struct Outcome {
  std::string reason;
  std::string message;
  int32_t index = -1;  // in CycleResult::pending_reasons once reported
};

// A workload as the scheduler holds it.
struct WorkloadInfo {
  Workload wl;
  std::vector<PodSetInfo> pod_sets;
  uint64_t shape = 0;  // equal for workloads whose pod sets would be assigned identically
  Usage usage;         // quota held while admitted
  bool assumed = false;
  int cycle_cq = -1;           // per cycle: index of the holding ClusterQueue (admitted workloads)
  bool victim = false;         // per cycle: chosen as a preemption target in this cycle
  Outcome* outcome = nullptr;  // valid when outcome_cycle is the current cycle
  int64_t outcome_cycle = -1;
};

// Upstream's candidate order (preemption/common/ordering.go): evicted first, other queues
// before the preemptor's own, lower priority, most recently admitted, uid.
bool CandidateBefore(const WorkloadInfo* a, const WorkloadInfo* b, int preemptor_cq);

struct FlavorOption {
  int flavor = -1;                       // flavor id
  const ResourceFlavor* spec = nullptr;  // null when the flavor does not exist
  std::vector<int> frs;                  // flavor-resource id per covered resource
};

struct GroupInfo {
  std::vector<int> resources;  // covered resource ids
  std::vector<FlavorOption> flavors;
};

// A ClusterQueue resolved for one cycle.
struct CqInfo {
  const ClusterQueue* spec = nullptr;
  int node = -1;  // in the snapshot
  bool active = true;
  std::string reason;
  std::string message;
  std::vector<GroupInfo> groups;
  std::vector<std::pair<int, int>> group_of_resource;  // resource id -> group, sorted
  int pods_resource = -1;               // resource id of "pods" when a group covers it
  std::vector<WorkloadInfo*> admitted;  // holding quota at the start of the cycle

  int GroupOf(int resource) const;
};

enum class Mode { kNoFit = 0, kPreempt = 1, kFit = 2 };  // upstream FlavorAssignmentMode

// Finer than Mode while walking flavors (upstream granularMode.preemptionMode).
enum class PMode { kNoFit = 0, kNoCandidates, kPreempt, kReclaim, kFit };

struct PodSetResult {
  int32_t count = 0;
  std::vector<std::pair<int, int>> flavors;  // resource id -> flavor id
  std::vector<std::string> reasons;          // why not Fit (sorted when rendered)
  Mode mode = Mode::kFit;
};

struct Assignment {
  std::vector<PodSetResult> pod_sets;
  int borrowing = 0;  // height of the smallest subtree providing the quota; 0 = own quota
  Usage usage;        // total request per flavor-resource
  std::vector<int> preempt_frs;                // flavor-resources assigned in Preempt mode, sorted
  std::vector<std::pair<int, int>> fr_borrow;  // borrowing height per assigned flavor-resource
  Mode mode = Mode::kNoFit;
  std::string no_fit_reason;  // "WaitingForQuota", "ExceedsMaxQuota", "NoMatchingFlavor"
  // "couldn't assign flavors to pod set <name>: <reasons>; ..." for pod sets not Fit.
  std::string Message(const Workload& wl) const;
};

struct Target {
  WorkloadInfo* workload = nullptr;
  PreemptionReason reason = PreemptionReason::kInClusterQueue;
};

const char* HumanReadableReason(PreemptionReason reason);

}  // namespace skiff::kueue::internal
