// Kueue's scheduling core: decides, from the in-memory model, which pending Workloads get quota
// (and which flavors), which admitted Workloads to preempt, and why the rest wait. Unlike
// upstream, one cycle admits every workload that fits (kueue#14477); see docs/kueue.md.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "kueue/types.h"

namespace skiff::kueue {

enum class FairSharingStrategy { kLessThanOrEqualToFinalShare, kLessThanInitialShare };

struct SchedulerOptions {
  // Fair sharing (config fairSharing): tournament admission and DRS-based preemption.
  bool fair_sharing = false;
  std::vector<FairSharingStrategy> fair_sharing_strategies = {
      FairSharingStrategy::kLessThanOrEqualToFinalShare,
      FairSharingStrategy::kLessThanInitialShare};
  // PartialAdmission: pod sets with min_count shrink to the largest count that fits.
  bool partial_admission = true;
  // true: every workload that fits is admitted in one cycle (Skiff). false: upstream's one
  // attempt per ClusterQueue per cycle, kept for comparison in tests and benchmarks.
  bool admit_all_that_fit = true;
  // Once a workload of a BestEffortFIFO queue cannot be admitted, later workloads of that queue
  // with identical pod sets get the same answer without a new flavor walk this cycle
  // (upstream's SchedulingEquivalenceHashing). Quota never frees up within a cycle, so the
  // answer cannot change.
  bool equivalence_skipping = true;
  // Fill CycleResult::pending (positions and messages for every pending workload).
  bool report_pending = true;
};

// Holds the model between cycles with per-ClusterQueue ordered queues, so a cycle costs one
// pass over the pending workloads plus a flavor walk per workload it must decide (identical
// workloads that cannot be admitted share one). Not thread-safe: one owner calls the mutators
// and Schedule.
//
// Admissions and preemptions decided by Schedule are applied to the held model at once
// ("assumed", as upstream's cache does), so the next cycle does not decide them again before
// the caller's updates arrive: an admitted workload keeps its assumed admission when upserted
// without one (call ForgetAssumed if applying it failed); a victim is marked evicted and keeps
// holding quota until the caller upserts it without admission or deletes it.
class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void UpsertFlavor(ResourceFlavor flavor);
  void DeleteFlavor(std::string_view name);
  void UpsertCohort(Cohort cohort);
  void DeleteCohort(std::string_view name);
  void UpsertClusterQueue(ClusterQueue cluster_queue);
  void DeleteClusterQueue(std::string_view name);
  // Replaces the workload with the same key (finished workloads should be deleted).
  void UpsertWorkload(Workload workload);
  void DeleteWorkload(std::string_view key);
  // Drops an assumed admission that the caller could not apply; the workload is pending again.
  void ForgetAssumed(std::string_view key);

  // Runs one scheduling cycle at `now`.
  CycleResult Schedule(SystemTime now);

  // The held copy of a workload (with assumed admission/eviction), or null.
  const Workload* FindWorkload(std::string_view key) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The whole model for a one-shot cycle.
struct Model {
  std::vector<ResourceFlavor> flavors;
  std::vector<Cohort> cohorts;
  std::vector<ClusterQueue> cluster_queues;
  std::vector<Workload> workloads;  // pending and admitted
};

// One cycle over `model` (builds a Scheduler, runs Schedule once).
CycleResult Schedule(const Model& model, SystemTime now, const SchedulerOptions& options = {});

}  // namespace skiff::kueue
