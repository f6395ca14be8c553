// Running a cycle end to end, and reporting it: assumed admissions applied to the held model,
// positions and reasons of pending workloads, ClusterQueue status.
#include <algorithm>
#include <limits>

#include "kueue/cycle.h"

namespace skiff::kueue::internal {

void Cycle::Report() {
  PhaseTimer t(result_.stats.commit_ns);
  for (auto& [w, admission] : admitted_now_) {
    s_.Unindex(w);
    w->wl.admission = std::move(admission);
    w->wl.quota_reserved_time = now_;
    w->wl.evicted = false;
    w->assumed = true;
    s_.Prepare(*w);
    s_.Index(w);
  }
  if (s_.options.report_pending) {
    size_t total = 0;
    for (const auto& [cq_name, queue] : s_.queues) {
      total += queue.size();
    }
    result_.pending.reserve(total);
    auto index_of = [&](Outcome* o) {
      if (o->index < 0) {
        o->index = static_cast<int32_t>(result_.pending_reasons.size());
        result_.pending_reasons.push_back({o->reason, o->message});
      }
      return o->index;
    };
    for (const auto& [cq_name, queue] : s_.queues) {
      Outcome* not_found = nullptr;
      if (cq_index_.find(cq_name) == cq_index_.end()) {
        not_found = NewOutcome("Misconfigured", "ClusterQueue " + cq_name + " not found");
      }
      int64_t position = 0;
      std::unordered_map<std::string_view, int64_t> lq_positions;
      for (WorkloadInfo* w : queue) {
        PendingWorkload& p = result_.pending.emplace_back();
        p.workload_key = w->wl.key;
        p.cluster_queue = cq_name;
        p.position_in_cluster_queue = position++;
        p.position_in_local_queue = lq_positions[w->wl.local_queue]++;
        Outcome* o = not_found;
        if (o == nullptr && w->outcome_cycle == s_.cycle) {
          o = w->outcome;
        }
        if (o != nullptr) {
          p.reason = index_of(o);
        }
        if (w->wl.requeue_at && *w->wl.requeue_at > now_ &&
            (!result_.next_requeue_at || *w->wl.requeue_at < *result_.next_requeue_at)) {
          result_.next_requeue_at = w->wl.requeue_at;
        }
      }
    }
  }
  for (const CqInfo& info : cqs_) {
    ClusterQueueStatus st;
    st.name = info.spec->name;
    st.active = info.active;
    st.reason = info.reason;
    st.message = info.message;
    if (auto it = s_.queues.find(st.name); it != s_.queues.end()) {
      st.pending_workloads = static_cast<int64_t>(it->second.size());
    }
    if (auto it = s_.admitted.find(st.name); it != s_.admitted.end()) {
      st.reserving_workloads = static_cast<int64_t>(it->second.size());
    }
    const Node& node = snap_->node(info.node);
    for (const GroupInfo& g : info.groups) {
      for (const FlavorOption& option : g.flavors) {
        FlavorUsage fu;
        fu.name = s_.flavor_names.Name(option.flavor);
        for (size_t r = 0; r < g.resources.size(); ++r) {
          int fr = option.frs[r];
          fu.resources.push_back({s_.resources.Name(g.resources[r]), node.usage[fr],
                                  std::max<int64_t>(0, node.usage[fr] - node.nominal[fr])});
        }
        st.flavors_usage.push_back(std::move(fu));
      }
    }
    if (s_.options.fair_sharing) {
      Drs drs = snap_->DominantResourceShare(info.node);
      if (drs.value != std::numeric_limits<int64_t>::max()) {
        st.weighted_share = drs.precise;
      }
    }
    result_.cluster_queues.push_back(std::move(st));
  }
}

CycleResult Cycle::Run() {
  ++s_.cycle;
  {
    PhaseTimer t(result_.stats.snapshot_ns);
    BuildSnapshot();
  }
  preemptor_ = std::make_unique<Preemptor>(*snap_, cqs_, cqs_in_tree_, s_.options);
  preemptor_->set_time_sink(&result_.stats.preemption_ns);
  preemptor_->set_cycle_victims(&victims_);
  assigner_ =
      std::make_unique<FlavorAssigner>(*snap_, cqs_, *preemptor_, s_.resources, s_.flavor_names);
  // Cohort trees share no quota, so each is scheduled on its own, in name order.
  std::vector<int> roots;
  for (int n = 0; n < snap_->size(); ++n) {
    if (snap_->node(n).parent < 0 && !cqs_in_tree_[n].empty()) {
      roots.push_back(n);
    }
  }
  std::sort(roots.begin(), roots.end(),
            [&](int a, int b) { return snap_->node(a).name < snap_->node(b).name; });
  for (int root : roots) {
    RunTree(cqs_in_tree_[root]);
  }
  Report();
  return std::move(result_);
}

CycleResult RunCycle(SchedulerState& state, SystemTime now) {
  Cycle cycle(state, now);
  return cycle.Run();
}
}  // namespace skiff::kueue::internal
