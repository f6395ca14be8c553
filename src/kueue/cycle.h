// Folder-private: the state of one scheduling cycle (cursors over the ClusterQueues' pending
// queues, nominated entries, reservations) and the Cycle that runs it. Split over
// cycle.cc (interleaving and decisions), cycle_snapshot.cc and cycle_report.cc.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kueue/flavor_assigner.h"
#include "kueue/preemptor.h"
#include "kueue/scheduler_state.h"

namespace skiff::kueue::internal {

using SteadyClock = std::chrono::steady_clock;

// Adds the lifetime of the timer to a CycleStats phase.
class PhaseTimer {
 public:
  explicit PhaseTimer(int64_t& sink) : sink_(sink), start_(SteadyClock::now()) {}
  ~PhaseTimer() {
    sink_ +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start_).count();
  }

 private:
  int64_t& sink_;
  SteadyClock::time_point start_;
};

// A workload nominated for admission or preemption.
struct Entry {
  WorkloadInfo* w = nullptr;
  Assignment a;
  std::vector<Target> targets;
  // With no targets: fits once this many of this cycle's victims (in its cohort tree) stop.
  int waits_for = 0;
  int64_t version = -1;  // tree version it was computed at

  bool CanPreempt() const { return !targets.empty() || waits_for > 0; }
};

// Capacity held back in the current cohort tree for the rest of the cycle.
struct Reservation {
  int node = -1;
  int cq = -1;
  // Held for a preemptor without candidates: only other queues are kept out of it.
  bool unreclaimable = false;
  Usage usage;
  bool applied = true;
};

// The cursor over one ClusterQueue's pending workloads.
struct Head {
  int cq = -1;
  PendingQueue::iterator it;
  PendingQueue::iterator end;
  bool strict = false;
  bool done = false;
  std::optional<Entry> entry;
  std::unordered_map<uint64_t, Outcome*> failed_shapes;  // this cycle, BestEffortFIFO
};

// One scheduling cycle over the held model. Single use: construct, Run once.
class Cycle {
 public:
  Cycle(SchedulerState& state, SystemTime now) : s_(state), now_(now) {}
  CycleResult Run();

 private:
  void BuildSnapshot();
  void BuildCq(const ClusterQueue& spec, int node);
  void RunTree(const std::vector<int>& tree_cqs);
  void ClassicLoop(std::vector<Head>& heads);
  void FairLoop(std::vector<Head>& heads, int root);
  int Tournament(std::vector<Head>& heads, int root);

  // Flavor assignment, partial admission and victims for `w` in queue `cq`.
  Entry Nominate(WorkloadInfo* w, int cq);
  Entry NominateWith(WorkloadInfo* w, int cq);
  // Brings a stale entry up to date: cheaply when its Fit assignment provably stands,
  // otherwise by nominating again. False when the workload was settled (NoFit).
  bool Refresh(Head& h);
  Assignment Assign(WorkloadInfo* w, int cq, const std::vector<int32_t>* counts);
  // Fills e.targets (or e.waits_for) for a Preempt-mode assignment.
  void Targets(Entry& e, int cq);
  void AdvanceHead(Head& h);
  bool Settle(Head& h, Entry& e);
  void Process(Head& h);
  void Pass(Head& h, bool attempted);
  void Admit(Head& h, Entry& e);
  void Issue(Head& h, Entry& e);
  void ReserveUnreclaimable(int cq, const Assignment& a);
  // Takes matching reservations out of the snapshot; Resume puts them back.
  template <typename Pred>
  std::vector<int> Suspend(Pred pred);
  void Resume(const std::vector<int>& suspended);

  Outcome* NewOutcome(std::string reason, std::string message);
  void SetOutcome(WorkloadInfo* w, Outcome* o) {
    w->outcome = o;
    w->outcome_cycle = s_.cycle;
  }
  void Report();

  SchedulerState& s_;
  SystemTime now_;
  CycleResult result_;
  std::unique_ptr<Snapshot> snap_;
  std::vector<CqInfo> cqs_;
  std::unordered_map<std::string_view, int> cq_index_;
  std::vector<std::vector<int>> cqs_in_tree_;  // by root node
  std::unique_ptr<Preemptor> preemptor_;
  std::unique_ptr<FlavorAssigner> assigner_;
  std::deque<Outcome> outcomes_;
  std::vector<std::pair<WorkloadInfo*, Admission>> admitted_now_;
  std::vector<Reservation> reservations_;  // in the current tree
  std::vector<WorkloadInfo*> victims_;     // chosen in this cycle
  int64_t version_ = 0;
};

}  // namespace skiff::kueue::internal
