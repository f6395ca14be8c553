// Folder-private: chooses preemption victims (upstream pkg/scheduler/preemption): classic
// withinClusterQueue / reclaimWithinCohort / borrowWithinCohort with remove-until-fit then
// fill-back, and fair-sharing strategies when enabled.
#pragma once

#include <utility>
#include <vector>

#include "kueue/internal.h"
#include "kueue/scheduler.h"

namespace skiff::kueue::internal {

class Preemptor {
 public:
  // `cqs_in_tree[root node]` lists the indices (into `cqs`) of the queues of that cohort tree.
  Preemptor(Snapshot& snapshot, const std::vector<CqInfo>& cqs,
            const std::vector<std::vector<int>>& cqs_in_tree, const SchedulerOptions& options)
      : snapshot_(snapshot), cqs_(cqs), cqs_in_tree_(cqs_in_tree), options_(options) {}

  // Victims whose removal lets `request` (the preemptor's flavor-resource usage) fit in queue
  // `cq`; empty when none. `preempt_frs` are the flavor-resources that need preemption. The
  // search sees the world after this cycle's earlier preemptions: their victims are gone (and
  // not candidates again) while their preemptors' reserved usage stays. The snapshot is left as
  // found.
  std::vector<Target> GetTargets(const WorkloadInfo& preemptor, int cq, const Usage& request,
                                 const std::vector<int>& preempt_frs);

  // The flavor assigner's oracle: whether preempting for `value` of `fr` is possible, and the
  // borrowing height after it (upstream preemption_oracle.go).
  std::pair<PMode, int> Simulate(const WorkloadInfo& preemptor, int cq, int fr, int64_t value);

  // Whether the queue may preempt while it would be borrowing (flavor assigner).
  bool CanPreemptWhileBorrowing(int cq) const;

  // Where time spent choosing victims is added (nanoseconds); may be null.
  void set_time_sink(int64_t* sink) { time_sink_ = sink; }
  // The victims chosen so far in this cycle.
  void set_cycle_victims(const std::vector<WorkloadInfo*>* victims) { victims_ = victims; }
  // Whether the last GetTargets found that the request fits, without new victims, once this
  // cycle's victims are gone (it then returned no targets).
  bool fits_after_victims() const { return fits_after_victims_; }

 private:
  class VictimsGone;
  std::vector<Target> Search(const WorkloadInfo& preemptor, int cq, const Usage& request,
                             const std::vector<int>& preempt_frs);
  std::vector<WorkloadInfo*> FindCandidates(const WorkloadInfo& preemptor, int cq,
                                            const std::vector<int>& frs) const;
  bool CqIsBorrowing(int cq, const std::vector<int>& frs) const;
  bool WorkloadFits(const Usage& request, int cq, bool allow_borrowing) const;
  bool QueueUnderNominal(int cq, const std::vector<int>& frs) const;
  std::vector<Target> Minimal(const Usage& request, int cq,
                              const std::vector<WorkloadInfo*>& candidates,
                              const std::vector<int>& frs, bool allow_borrowing,
                              const int32_t* borrow_below_priority);
  std::vector<Target> FairPreemptions(const WorkloadInfo& preemptor, int cq, const Usage& request,
                                      const std::vector<WorkloadInfo*>& candidates,
                                      const std::vector<int>& frs,
                                      const int32_t* borrow_below_priority);
  std::vector<Target> FillBack(std::vector<Target> targets, const Usage& request, int cq,
                               bool allow_borrowing);
  void Remove(const WorkloadInfo& w) { snapshot_.RemoveUsage(cqs_[w.cycle_cq].node, w.usage); }
  void Add(const WorkloadInfo& w) { snapshot_.AddUsage(cqs_[w.cycle_cq].node, w.usage); }

  Snapshot& snapshot_;
  const std::vector<CqInfo>& cqs_;
  const std::vector<std::vector<int>>& cqs_in_tree_;
  const SchedulerOptions& options_;
  int64_t* time_sink_ = nullptr;
  const std::vector<WorkloadInfo*>* victims_ = nullptr;
  int depth_ = 0;  // only the outermost call is timed
  bool fits_after_victims_ = false;
};

}  // namespace skiff::kueue::internal
