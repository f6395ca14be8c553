// The in-memory model the Kueue scheduling core works on (flavors, cohorts, ClusterQueues,
// Workloads) and what one scheduling cycle decides (admissions, preemptions, pending reasons).
// Plain typed structs: controllers translate API objects into these; nothing here is JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace skiff::kueue {

// Resource amounts are int64 milli-units ("2" -> 2000, "500m" -> 500, "1Gi" -> 1073741824000),
// keyed by resource name ("cpu", "memory", "nvidia.com/gpu", "pods").
using ResourceList = std::map<std::string, int64_t>;

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

// Kubernetes toleration semantics: kExists with an empty key tolerates every taint; a missing
// effect matches every effect.
struct Toleration {
  enum class Operator { kEqual, kExists };
  std::string key;
  Operator op = Operator::kEqual;
  std::string value;
  std::optional<TaintEffect> effect;
};

// One requirement of a required node-affinity term.
struct NodeSelectorRequirement {
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  std::string key;
  Operator op = Operator::kIn;
  std::vector<std::string> values;
};

// A required node-affinity term: its requirements are ANDed; terms are ORed.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
};

struct ResourceFlavor {
  std::string name;
  std::map<std::string, std::string> node_labels;
  std::vector<Taint> node_taints;
  std::vector<Toleration> tolerations;  // added to admitted pods; also tolerate node_taints
};

// Quota of one resource in one flavor. Limits are only meaningful inside a cohort;
// nullopt = unlimited.
struct ResourceQuota {
  std::string name;
  int64_t nominal = 0;
  std::optional<int64_t> borrowing_limit;
  std::optional<int64_t> lending_limit;
};

struct FlavorQuotas {
  std::string name;  // ResourceFlavor name
  std::vector<ResourceQuota> resources;
};

// Flavors in preference order; each flavor lists the covered resources.
struct ResourceGroup {
  std::vector<std::string> covered_resources;
  std::vector<FlavorQuotas> flavors;
};

enum class QueueingStrategy { kBestEffortFIFO, kStrictFIFO };
enum class WithinClusterQueuePolicy { kNever, kLowerPriority, kLowerOrNewerEqualPriority };
enum class ReclaimWithinCohortPolicy { kNever, kLowerPriority, kAny };
enum class BorrowWithinCohortPolicy { kNever, kLowerPriority };
// v1beta2 MayStopSearch == v1beta1 Borrow / Preempt.
enum class FungibilityPolicy { kMayStopSearch, kTryNextFlavor };
enum class StopPolicy { kNone, kHold, kHoldAndDrain };

struct PreemptionPolicy {
  WithinClusterQueuePolicy within_cluster_queue = WithinClusterQueuePolicy::kNever;
  ReclaimWithinCohortPolicy reclaim_within_cohort = ReclaimWithinCohortPolicy::kNever;
  BorrowWithinCohortPolicy borrow_within_cohort = BorrowWithinCohortPolicy::kNever;
  // Only workloads with priority <= threshold may be preempted while borrowing.
  std::optional<int32_t> borrow_within_cohort_max_priority_threshold;
};

struct FlavorFungibility {
  FungibilityPolicy when_can_borrow = FungibilityPolicy::kMayStopSearch;
  FungibilityPolicy when_can_preempt = FungibilityPolicy::kTryNextFlavor;
};

struct ClusterQueue {
  std::string name;
  std::string cohort;  // empty = no cohort (no borrowing or lending)
  QueueingStrategy queueing_strategy = QueueingStrategy::kBestEffortFIFO;
  std::vector<ResourceGroup> resource_groups;
  PreemptionPolicy preemption;
  FlavorFungibility flavor_fungibility;
  double fair_sharing_weight = 1.0;  // 0 = any borrowing makes its share infinite
  StopPolicy stop_policy = StopPolicy::kNone;
  // Set by the caller when the queue is inactive for a reason the core cannot see, e.g. reason
  // "AdmissionCheckNotFound" with message "references missing AdmissionCheck(s): x" (it becomes
  // "Can't admit new workloads: <message>."). Missing flavors and stop policies are detected
  // here.
  std::string inactive_reason;
  std::string inactive_message;
};

// A cohort object. Cohorts named only by a ClusterQueue or a child exist implicitly as roots
// without quota.
struct Cohort {
  std::string name;
  std::string parent;                          // empty = root
  std::vector<ResourceGroup> resource_groups;  // quota owned by the cohort itself
  double fair_sharing_weight = 1.0;
};

struct PodSet {
  std::string name = "main";
  int32_t count = 1;
  std::optional<int32_t> min_count;  // partial admission: admit as few as this
  ResourceList requests;             // per pod
  std::map<std::string, std::string> node_selector;
  std::vector<NodeSelectorTerm> required_node_affinity;  // ORed terms; empty = none
  std::vector<Toleration> tolerations;
};

// Flavors and count granted to one pod set (Workload status.admission.podSetAssignments[]).
struct PodSetAssignment {
  std::string name;
  std::map<std::string, std::string> flavors;  // resource -> flavor
  ResourceList resource_usage;                 // total for the pod set (per pod x count)
  int32_t count = 0;
};

struct Admission {
  std::string cluster_queue;
  std::vector<PodSetAssignment> pod_set_assignments;
};

struct Workload {
  std::string key;  // "namespace/name"
  std::string uid;
  std::string cluster_queue;  // resolved from the LocalQueue by the caller
  std::string local_queue;    // "namespace/name" of the LocalQueue, for queue positions
  int32_t priority = 0;
  // Creation time, or the eviction/requeue time when requeued (kueue.md §3 "Queues").
  SystemTime queue_order_time{};
  std::vector<PodSet> pod_sets;
  // Set while the workload holds quota; it then counts as usage of admission->cluster_queue.
  std::optional<Admission> admission;
  SystemTime quota_reserved_time{};  // when the admission was made (preemption ordering)
  // Evicted=True while it still holds quota (its pods are stopping). Such workloads are
  // preferred victims and are never reported as preempted twice.
  bool evicted = false;
  bool active = true;                    // spec.active; inactive pending workloads are ignored
  std::optional<SystemTime> requeue_at;  // backoff: not considered before this time
};

// Why a preemption was decided (Workload condition Preempted reason).
enum class PreemptionReason {
  kInClusterQueue,
  kInCohortReclamation,
  kInCohortFairSharing,
  kInCohortReclaimWhileBorrowing,
};
const char* PreemptionReasonName(PreemptionReason reason);

struct AdmissionDecision {
  std::string workload_key;
  Admission admission;
};

struct PreemptionDecision {
  std::string victim_key;
  std::string victim_cluster_queue;
  std::string preemptor_key;
  PreemptionReason reason = PreemptionReason::kInClusterQueue;
  // "Preempted to accommodate a workload (UID: <uid>) due to <human readable reason>"
  std::string message;
};

// Why a pending workload was not admitted (its QuotaReserved=False condition). One entry is
// shared by all the workloads that got the same answer.
struct PendingReason {
  // "Pending", "WaitingForQuota", "ExceedsMaxQuota", "NoMatchingFlavor",
  // "WaitingForPreemptedWorkloads", "Suspended", "Misconfigured" (the fine-grained reasons of
  // upstream's UnadmittedWorkloadsObservability; older Kueue says "Pending" for all).
  std::string reason;
  std::string message;  // upstream's wording, e.g. "couldn't assign flavors to pod set main: ..."
};

// A pending workload after the cycle.
struct PendingWorkload {
  std::string workload_key;
  std::string cluster_queue;
  int64_t position_in_cluster_queue = 0;  // 0-based, in heap order among pending workloads
  int64_t position_in_local_queue = 0;
  // Index into CycleResult::pending_reasons, or -1 when the cycle did not look at the workload
  // (behind a blocking StrictFIFO head, in requeue backoff, or after the ClusterQueue's single
  // attempt in upstream mode): the caller should then keep the previous condition.
  int32_t reason = -1;
};

struct ResourceUsage {
  std::string name;
  int64_t total = 0;
  int64_t borrowed = 0;  // above nominal quota
};

struct FlavorUsage {
  std::string name;
  std::vector<ResourceUsage> resources;
};

struct ClusterQueueStatus {
  std::string name;
  bool active = true;
  std::string reason;   // "Ready", "FlavorNotFound", "Stopped", or the caller's reason
  std::string message;  // "Can admit new workloads" / "Can't admit new workloads: ..."
  int64_t pending_workloads = 0;
  int64_t reserving_workloads = 0;         // holding quota after the cycle
  std::vector<FlavorUsage> flavors_usage;  // after the cycle's admissions
  std::optional<double> weighted_share;    // fair sharing only; +inf shows as nullopt
};

// Where the cycle spent its time (steady clock), for benchmarks and metrics.
struct CycleStats {
  int64_t snapshot_ns = 0;           // quota tree and usage from admitted workloads
  int64_t ordering_ns = 0;           // picking the next head across queues, tournaments
  int64_t flavor_assignment_ns = 0;  // flavor walks, quota math, partial admission
  int64_t preemption_ns = 0;         // victim searches
  int64_t commit_ns = 0;             // applying decisions; positions and reasons of pending
  int64_t evaluated = 0;             // flavor assignments attempted
  int64_t skipped_equivalent = 0;    // settled by an identical workload's result
};

struct CycleResult {
  std::vector<AdmissionDecision> admissions;  // in decision order
  std::vector<PreemptionDecision> preemptions;
  std::vector<PendingWorkload> pending;  // every pending workload, by CQ name then position
  std::vector<PendingReason> pending_reasons;
  std::vector<ClusterQueueStatus> cluster_queues;  // sorted by name
  std::optional<SystemTime> next_requeue_at;  // earliest future requeue_at, to schedule a cycle
  CycleStats stats;

  // The reason of a pending workload, or null when it was not evaluated.
  const PendingReason* ReasonOf(const PendingWorkload& p) const {
    return p.reason < 0 ? nullptr : &pending_reasons[static_cast<size_t>(p.reason)];
  }
};

}  // namespace skiff::kueue
