// Victim selection, after upstream pkg/scheduler/preemption/preemption.go (classic and fair).
#include "kueue/preemptor.h"

#include <algorithm>
#include <chrono>

namespace skiff::kueue::internal {

namespace {

bool UsesAny(const WorkloadInfo& w, const std::vector<int>& frs) {
  for (const auto& [fr, v] : w.usage) {
    if (v > 0 && std::binary_search(frs.begin(), frs.end(), fr)) {
      return true;
    }
  }
  return false;
}

Usage Negated(const Usage& usage) {
  Usage out = usage;
  for (auto& [fr, v] : out) {
    v = -v;
  }
  return out;
}

bool ApplyStrategy(FairSharingStrategy s, int64_t preemptor_new, int64_t preemptee_old,
                   int64_t preemptee_new) {
  if (s == FairSharingStrategy::kLessThanOrEqualToFinalShare) {
    return preemptor_new <= preemptee_new;  // rule S2-a
  }
  return preemptor_new < preemptee_old;  // rule S2-b
}

// A ClusterQueue with candidates, ordered by share for fair preemption.
struct CandidateCq {
  int cq = -1;
  int64_t share = 0;
  std::vector<WorkloadInfo*> workloads;
};

// Max-heap by share; a handful of queues, so a vector with a linear scan.
class CqHeap {
 public:
  void Push(CandidateCq c) {
    for (const CandidateCq& e : items_) {
      if (e.cq == c.cq) {
        return;
      }
    }
    items_.push_back(std::move(c));
  }
  bool empty() const { return items_.empty(); }
  CandidateCq Pop() {
    size_t best = 0;
    for (size_t i = 1; i < items_.size(); ++i) {
      if (items_[i].share > items_[best].share) {
        best = i;
      }
    }
    CandidateCq out = std::move(items_[best]);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(best));
    return out;
  }

 private:
  std::vector<CandidateCq> items_;
};

// Adds the time of the outermost timed call to `sink`.
class ScopedTimer {
 public:
  ScopedTimer(int64_t* sink, int& depth) : sink_(depth++ == 0 ? sink : nullptr), depth_(depth) {
    if (sink_ != nullptr) {
      start_ = std::chrono::steady_clock::now();
    }
  }
  ~ScopedTimer() {
    --depth_;
    if (sink_ != nullptr) {
      *sink_ += std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - start_)
                    .count();
    }
  }

 private:
  int64_t* sink_;
  int& depth_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

bool CandidateBefore(const WorkloadInfo* a, const WorkloadInfo* b, int preemptor_cq) {
  if (a->wl.evicted != b->wl.evicted) {
    return a->wl.evicted;
  }
  bool a_in = a->cycle_cq == preemptor_cq;
  bool b_in = b->cycle_cq == preemptor_cq;
  if (a_in != b_in) {
    return !a_in;
  }
  if (a->wl.priority != b->wl.priority) {
    return a->wl.priority < b->wl.priority;
  }
  if (a->wl.quota_reserved_time != b->wl.quota_reserved_time) {
    return a->wl.quota_reserved_time > b->wl.quota_reserved_time;
  }
  if (a->wl.uid != b->wl.uid) {
    return a->wl.uid < b->wl.uid;
  }
  return a->wl.key < b->wl.key;
}

const char* HumanReadableReason(PreemptionReason reason) {
  switch (reason) {
    case PreemptionReason::kInClusterQueue:
      return "prioritization in the ClusterQueue";
    case PreemptionReason::kInCohortReclamation:
      return "reclamation within the cohort";
    case PreemptionReason::kInCohortFairSharing:
      return "fair sharing within the cohort";
    case PreemptionReason::kInCohortReclaimWhileBorrowing:
      return "reclamation within the cohort while borrowing";
  }
  return "";
}

bool Preemptor::CanPreemptWhileBorrowing(int cq) const {
  const PreemptionPolicy& p = cqs_[cq].spec->preemption;
  return p.borrow_within_cohort != BorrowWithinCohortPolicy::kNever ||
         (options_.fair_sharing && p.reclaim_within_cohort != ReclaimWithinCohortPolicy::kNever);
}

bool Preemptor::CqIsBorrowing(int cq, const std::vector<int>& frs) const {
  int node = cqs_[cq].node;
  if (!snapshot_.HasParent(node)) {
    return false;
  }
  for (int fr : frs) {
    if (snapshot_.Borrowing(node, fr)) {
      return true;
    }
  }
  return false;
}

bool Preemptor::WorkloadFits(const Usage& request, int cq, bool allow_borrowing) const {
  int node = cqs_[cq].node;
  for (const auto& [fr, v] : request) {
    if (!allow_borrowing && snapshot_.BorrowingWith(node, fr, v)) {
      return false;
    }
    if (v > snapshot_.Available(node, fr)) {
      return false;
    }
  }
  return true;
}

bool Preemptor::QueueUnderNominal(int cq, const std::vector<int>& frs) const {
  const Node& node = snapshot_.node(cqs_[cq].node);
  for (int fr : frs) {
    if (node.usage[fr] >= node.nominal[fr]) {
      return false;
    }
  }
  return true;
}

std::vector<WorkloadInfo*> Preemptor::FindCandidates(const WorkloadInfo& preemptor, int cq,
                                                     const std::vector<int>& frs) const {
  std::vector<WorkloadInfo*> out;
  const CqInfo& info = cqs_[cq];
  const PreemptionPolicy& policy = info.spec->preemption;
  int32_t prio = preemptor.wl.priority;
  if (policy.within_cluster_queue != WithinClusterQueuePolicy::kNever) {
    bool newer_equal =
        policy.within_cluster_queue == WithinClusterQueuePolicy::kLowerOrNewerEqualPriority;
    for (WorkloadInfo* w : info.admitted) {
      if (w->victim || w->wl.priority > prio) {
        continue;
      }
      if (w->wl.priority == prio &&
          !(newer_equal && preemptor.wl.queue_order_time < w->wl.queue_order_time)) {
        continue;
      }
      if (UsesAny(*w, frs)) {
        out.push_back(w);
      }
    }
  }
  if (snapshot_.HasParent(info.node) &&
      policy.reclaim_within_cohort != ReclaimWithinCohortPolicy::kNever) {
    bool only_lower = policy.reclaim_within_cohort == ReclaimWithinCohortPolicy::kLowerPriority;
    for (int other : cqs_in_tree_[snapshot_.node(info.node).root]) {
      if (other == cq || !CqIsBorrowing(other, frs)) {
        continue;  // only quota lent out can be reclaimed
      }
      for (WorkloadInfo* w : cqs_[other].admitted) {
        if (w->victim || (only_lower && w->wl.priority >= prio)) {
          continue;
        }
        if (UsesAny(*w, frs)) {
          out.push_back(w);
        }
      }
    }
  }
  return out;
}

std::vector<Target> Preemptor::FillBack(std::vector<Target> targets, const Usage& request, int cq,
                                        bool allow_borrowing) {
  // Walk the removed list backwards and keep out only the victims that are needed.
  for (int i = static_cast<int>(targets.size()) - 2; i >= 0; --i) {
    Add(*targets[i].workload);
    if (WorkloadFits(request, cq, allow_borrowing)) {
      targets[i] = targets.back();
      targets.pop_back();
    } else {
      Remove(*targets[i].workload);
    }
  }
  return targets;
}

std::vector<Target> Preemptor::Minimal(const Usage& request, int cq,
                                       const std::vector<WorkloadInfo*>& candidates,
                                       const std::vector<int>& frs, bool allow_borrowing,
                                       const int32_t* borrow_below_priority) {
  std::vector<Target> targets;
  bool fits = false;
  for (WorkloadInfo* w : candidates) {
    bool same_cq = w->cycle_cq == cq;
    PreemptionReason reason = PreemptionReason::kInClusterQueue;
    if (!same_cq && !CqIsBorrowing(w->cycle_cq, frs)) {
      continue;
    }
    if (!same_cq) {
      reason = PreemptionReason::kInCohortReclamation;
      if (borrow_below_priority != nullptr) {
        if (w->wl.priority >= *borrow_below_priority) {
          // Candidates are sorted by priority, so the last target added, which fill-back keeps,
          // is such a workload: the preemptor must then fit without borrowing.
          allow_borrowing = false;
        } else {
          reason = PreemptionReason::kInCohortReclaimWhileBorrowing;
        }
      }
    }
    Remove(*w);
    targets.push_back({w, reason});
    if (WorkloadFits(request, cq, allow_borrowing)) {
      fits = true;
      break;
    }
  }
  if (!fits) {
    for (const Target& t : targets) {
      Add(*t.workload);
    }
    return {};
  }
  targets = FillBack(std::move(targets), request, cq, allow_borrowing);
  for (const Target& t : targets) {
    Add(*t.workload);
  }
  return targets;
}

std::vector<Target> Preemptor::FairPreemptions(const WorkloadInfo& preemptor, int cq,
                                               const Usage& request,
                                               const std::vector<WorkloadInfo*>& candidates,
                                               const std::vector<int>& frs,
                                               const int32_t* borrow_below_priority) {
  const std::vector<FairSharingStrategy>& strategies = options_.fair_sharing_strategies;
  if (strategies.empty()) {
    return {};
  }
  auto heap_from = [&](const std::vector<WorkloadInfo*>& list, bool first_only) {
    std::vector<CandidateCq> groups;
    for (WorkloadInfo* w : list) {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const CandidateCq& g) { return g.cq == w->cycle_cq; });
      if (it == groups.end()) {
        groups.push_back(
            {w->cycle_cq, snapshot_.DominantResourceShare(cqs_[w->cycle_cq].node).value, {w}});
      } else if (!first_only) {
        it->workloads.push_back(w);
      }
    }
    CqHeap heap;
    for (CandidateCq& g : groups) {
      heap.Push(std::move(g));
    }
    return heap;
  };
  int node = cqs_[cq].node;
  CqHeap heap = heap_from(candidates, false);
  int64_t nominated_share = snapshot_.DominantResourceShare(node, request).value;
  std::vector<Target> targets;
  std::vector<WorkloadInfo*> retry;
  bool fits = false;
  while (!heap.empty() && !fits) {
    CandidateCq c = heap.Pop();
    if (c.cq == cq) {
      WorkloadInfo* w = c.workloads.front();
      Remove(*w);
      targets.push_back({w, PreemptionReason::kInClusterQueue});
      if (WorkloadFits(request, cq, true)) {
        fits = true;
        break;
      }
      nominated_share = snapshot_.DominantResourceShare(node, request).value;
      c.workloads.erase(c.workloads.begin());
      if (!c.workloads.empty()) {
        c.share = snapshot_.DominantResourceShare(cqs_[c.cq].node).value;
        heap.Push(std::move(c));
      }
      continue;
    }
    for (size_t i = 0; i < c.workloads.size(); ++i) {
      WorkloadInfo* w = c.workloads[i];
      bool below_threshold =
          borrow_below_priority != nullptr && w->wl.priority < *borrow_below_priority;
      int64_t new_cand_share =
          snapshot_.DominantResourceShare(cqs_[c.cq].node, Negated(w->usage)).value;
      bool strategy = ApplyStrategy(strategies[0], nominated_share, c.share, new_cand_share);
      if (!below_threshold && !strategy) {
        retry.push_back(w);
        continue;
      }
      Remove(*w);
      targets.push_back({w, strategy ? PreemptionReason::kInCohortFairSharing
                                     : PreemptionReason::kInCohortReclaimWhileBorrowing});
      if (WorkloadFits(request, cq, true)) {
        fits = true;
        break;
      }
      std::vector<WorkloadInfo*> rest(c.workloads.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                      c.workloads.end());
      if (!rest.empty() && CqIsBorrowing(c.cq, frs)) {
        heap.Push({c.cq, new_cand_share, std::move(rest)});
      }
      break;  // shares changed: pick the queue again
    }
  }
  if (!fits && strategies.size() > 1) {
    CqHeap second = heap_from(retry, true);
    while (!second.empty() && !fits) {
      CandidateCq c = second.Pop();
      if (ApplyStrategy(strategies[1], nominated_share, c.share, 0)) {
        WorkloadInfo* w = c.workloads.front();
        Remove(*w);
        targets.push_back({w, PreemptionReason::kInCohortFairSharing});
        fits = WorkloadFits(request, cq, true);
      }
    }
  }
  if (!fits) {
    for (const Target& t : targets) {
      Add(*t.workload);
    }
    return {};
  }
  targets = FillBack(std::move(targets), request, cq, true);
  for (const Target& t : targets) {
    Add(*t.workload);
  }
  return targets;
}

// Takes this cycle's victims out of the snapshot for the lifetime of the guard.
class Preemptor::VictimsGone {
 public:
  explicit VictimsGone(Preemptor& p) : p_(p) {
    if (p_.victims_ != nullptr) {
      for (const WorkloadInfo* v : *p_.victims_) {
        p_.Remove(*v);
      }
    }
  }
  ~VictimsGone() {
    if (p_.victims_ != nullptr) {
      for (auto it = p_.victims_->rbegin(); it != p_.victims_->rend(); ++it) {
        p_.Add(**it);
      }
    }
  }

 private:
  Preemptor& p_;
};

std::vector<Target> Preemptor::GetTargets(const WorkloadInfo& preemptor, int cq,
                                          const Usage& request,
                                          const std::vector<int>& preempt_frs) {
  ScopedTimer timer(time_sink_, depth_);
  VictimsGone gone(*this);
  return Search(preemptor, cq, request, preempt_frs);
}

std::vector<Target> Preemptor::Search(const WorkloadInfo& preemptor, int cq, const Usage& request,
                                      const std::vector<int>& preempt_frs) {
  fits_after_victims_ =
      victims_ != nullptr && !victims_->empty() && WorkloadFits(request, cq, true);
  if (fits_after_victims_) {
    return {};
  }
  std::vector<WorkloadInfo*> candidates = FindCandidates(preemptor, cq, preempt_frs);
  if (candidates.empty()) {
    return {};
  }
  std::sort(
      candidates.begin(), candidates.end(),
      [cq](const WorkloadInfo* a, const WorkloadInfo* b) { return CandidateBefore(a, b, cq); });
  std::vector<WorkloadInfo*> same_queue;
  for (WorkloadInfo* w : candidates) {
    if (w->cycle_cq == cq) {
      same_queue.push_back(w);
    }
  }
  // Only own-queue candidates: preempting them may go with borrowing.
  if (same_queue.size() == candidates.size()) {
    return Minimal(request, cq, candidates, preempt_frs, true, nullptr);
  }
  const PreemptionPolicy& policy = cqs_[cq].spec->preemption;
  bool borrow_within_cohort = policy.borrow_within_cohort != BorrowWithinCohortPolicy::kNever;
  int32_t threshold = preemptor.wl.priority;
  if (borrow_within_cohort && policy.borrow_within_cohort_max_priority_threshold &&
      *policy.borrow_within_cohort_max_priority_threshold < threshold) {
    threshold = *policy.borrow_within_cohort_max_priority_threshold + 1;
  }
  if (options_.fair_sharing) {
    return FairPreemptions(preemptor, cq, request, candidates, preempt_frs,
                           borrow_within_cohort ? &threshold : nullptr);
  }
  if (borrow_within_cohort) {
    // Workloads of other queues are preempted while borrowing only below the threshold, so they
    // cannot preempt the preemptor back once requeued.
    if (!QueueUnderNominal(cq, preempt_frs)) {
      std::vector<WorkloadInfo*> filtered;
      for (WorkloadInfo* w : candidates) {
        if (w->cycle_cq == cq || w->wl.priority < threshold) {
          filtered.push_back(w);
        }
      }
      candidates = std::move(filtered);
    }
    return Minimal(request, cq, candidates, preempt_frs, true, &threshold);
  }
  // Reclaim from the cohort only while the preemptor stays within its nominal quota.
  if (QueueUnderNominal(cq, preempt_frs)) {
    std::vector<Target> targets = Minimal(request, cq, candidates, preempt_frs, false, nullptr);
    if (!targets.empty()) {
      return targets;
    }
  }
  return Minimal(request, cq, same_queue, preempt_frs, true, nullptr);
}

std::pair<PMode, int> Preemptor::Simulate(const WorkloadInfo& preemptor, int cq, int fr,
                                          int64_t value) {
  ScopedTimer timer(time_sink_, depth_);
  VictimsGone gone(*this);
  Usage request = {{fr, value}};
  std::vector<int> frs = {fr};
  int node = cqs_[cq].node;
  std::vector<Target> targets = Search(preemptor, cq, request, frs);
  if (targets.empty()) {
    int borrow = snapshot_.HeightOfLowestSubtreeThatFits(node, fr, value).first;
    // Room that this cycle's preemptions are already making counts as preemption.
    return {fits_after_victims_ ? PMode::kPreempt : PMode::kNoCandidates, borrow};
  }
  for (const Target& t : targets) {
    Remove(*t.workload);
  }
  int borrow = snapshot_.HeightOfLowestSubtreeThatFits(node, fr, value).first;
  bool own = false;
  for (const Target& t : targets) {
    Add(*t.workload);
    own = own || t.workload->cycle_cq == cq;
  }
  return {own ? PMode::kPreempt : PMode::kReclaim, borrow};
}

}  // namespace skiff::kueue::internal
