// Scheduler: holds the model between cycles and keeps the per-ClusterQueue queues ordered.
#include "kueue/scheduler.h"

#include <functional>

#include "kueue/scheduler_state.h"

namespace skiff::kueue {

using internal::SchedulerState;
using internal::WorkloadInfo;

const char* PreemptionReasonName(PreemptionReason reason) {
  switch (reason) {
    case PreemptionReason::kInClusterQueue:
      return "InClusterQueue";
    case PreemptionReason::kInCohortReclamation:
      return "InCohortReclamation";
    case PreemptionReason::kInCohortFairSharing:
      return "InCohortFairSharing";
    case PreemptionReason::kInCohortReclaimWhileBorrowing:
      return "InCohortReclaimWhileBorrowing";
  }
  return "";
}

namespace internal {

namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  // boost::hash_combine on 64 bits.
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 12) + (h >> 4));
}

uint64_t HashString(uint64_t h, const std::string& s) {
  return Mix(h, std::hash<std::string>{}(s));
}

uint64_t HashTolerations(uint64_t h, const std::vector<Toleration>& tolerations) {
  for (const Toleration& t : tolerations) {
    h = HashString(h, t.key);
    h = Mix(h, static_cast<uint64_t>(t.op));
    h = HashString(h, t.value);
    h = Mix(h, t.effect ? static_cast<uint64_t>(*t.effect) + 1 : 0);
  }
  return Mix(h, tolerations.size());
}

}  // namespace

void SchedulerState::Prepare(WorkloadInfo& w) {
  w.pod_sets.clear();
  w.usage.clear();
  uint64_t h = 0;
  for (const PodSet& ps : w.wl.pod_sets) {
    PodSetInfo info;
    info.count = ps.count;
    info.min_count = ps.min_count ? std::min(*ps.min_count, ps.count) : ps.count;
    for (const auto& [name, milli] : ps.requests) {
      info.requests.emplace_back(resources.Intern(name), milli);
    }
    std::sort(info.requests.begin(), info.requests.end());
    // The shape covers everything the flavor walk and its messages depend on.
    h = HashString(h, ps.name);
    h = Mix(h, static_cast<uint64_t>(info.count));
    h = Mix(h, static_cast<uint64_t>(info.min_count));
    for (const auto& [res, milli] : info.requests) {
      h = Mix(Mix(h, static_cast<uint64_t>(res)), static_cast<uint64_t>(milli));
    }
    for (const auto& [k, v] : ps.node_selector) {
      h = HashString(HashString(h, k), v);
    }
    for (const NodeSelectorTerm& term : ps.required_node_affinity) {
      for (const NodeSelectorRequirement& r : term.match_expressions) {
        h = Mix(HashString(h, r.key), static_cast<uint64_t>(r.op));
        for (const std::string& v : r.values) {
          h = HashString(h, v);
        }
      }
      h = Mix(h, term.match_expressions.size());
    }
    h = HashTolerations(h, ps.tolerations);
    w.pod_sets.push_back(std::move(info));
  }
  w.shape = Mix(h, w.wl.pod_sets.size());

  if (!w.wl.admission) {
    return;
  }
  for (const PodSetAssignment& psa : w.wl.admission->pod_set_assignments) {
    auto flavor_of = [&](const std::string& resource) -> int {
      auto it = psa.flavors.find(resource);
      return it == psa.flavors.end() ? -1 : flavor_names.Intern(it->second);
    };
    if (!psa.resource_usage.empty()) {
      for (const auto& [name, total] : psa.resource_usage) {
        if (int f = flavor_of(name); f >= 0) {
          AddTo(w.usage, frs.Intern(f, resources.Intern(name)), total);
        }
      }
      continue;
    }
    const PodSet* spec = nullptr;
    for (const PodSet& ps : w.wl.pod_sets) {
      if (ps.name == psa.name) {
        spec = &ps;
      }
    }
    if (spec == nullptr) {
      continue;
    }
    for (const auto& [name, per_pod] : spec->requests) {
      if (int f = flavor_of(name); f >= 0) {
        AddTo(w.usage, frs.Intern(f, resources.Intern(name)), per_pod * psa.count);
      }
    }
    if (spec->requests.count("pods") == 0) {
      if (int f = flavor_of("pods"); f >= 0) {
        AddTo(w.usage, frs.Intern(f, resources.Intern("pods")), int64_t{psa.count} * 1000);
      }
    }
  }
}

void SchedulerState::Index(WorkloadInfo* w) {
  if (w->wl.admission) {
    admitted[w->wl.admission->cluster_queue].insert(w);
  } else if (w->wl.active) {
    queues[w->wl.cluster_queue].insert(w);
  }
}

void SchedulerState::Unindex(WorkloadInfo* w) {
  if (w->wl.admission) {
    auto it = admitted.find(w->wl.admission->cluster_queue);
    if (it != admitted.end()) {
      it->second.erase(w);
      if (it->second.empty()) {
        admitted.erase(it);
      }
    }
  } else if (w->wl.active) {
    auto it = queues.find(w->wl.cluster_queue);
    if (it != queues.end()) {
      it->second.erase(w);
      if (it->second.empty()) {
        queues.erase(it);
      }
    }
  }
}

}  // namespace internal

struct Scheduler::State : SchedulerState {};

Scheduler::Scheduler(SchedulerOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}

Scheduler::~Scheduler() = default;

void Scheduler::UpsertFlavor(ResourceFlavor flavor) {
  std::string name = flavor.name;
  state_->flavors.insert_or_assign(std::move(name), std::move(flavor));
}

void Scheduler::DeleteFlavor(std::string_view name) {
  if (auto it = state_->flavors.find(name); it != state_->flavors.end()) {
    state_->flavors.erase(it);
  }
}

void Scheduler::UpsertCohort(Cohort cohort) {
  std::string name = cohort.name;
  state_->cohorts.insert_or_assign(std::move(name), std::move(cohort));
}

void Scheduler::DeleteCohort(std::string_view name) {
  if (auto it = state_->cohorts.find(name); it != state_->cohorts.end()) {
    state_->cohorts.erase(it);
  }
}

void Scheduler::UpsertClusterQueue(ClusterQueue cluster_queue) {
  std::string name = cluster_queue.name;
  state_->cluster_queues.insert_or_assign(std::move(name), std::move(cluster_queue));
}

void Scheduler::DeleteClusterQueue(std::string_view name) {
  if (auto it = state_->cluster_queues.find(name); it != state_->cluster_queues.end()) {
    state_->cluster_queues.erase(it);
  }
}

void Scheduler::UpsertWorkload(Workload workload) {
  auto& slot = state_->workloads[workload.key];
  if (slot) {
    state_->Unindex(slot.get());
    // An update that predates our admission must not drop it (see the class comment).
    if (slot->assumed && slot->wl.uid == workload.uid && !workload.admission) {
      workload.admission = std::move(slot->wl.admission);
      workload.quota_reserved_time = slot->wl.quota_reserved_time;
    } else {
      slot->assumed = false;
    }
  } else {
    slot = std::make_unique<WorkloadInfo>();
  }
  slot->wl = std::move(workload);
  state_->Prepare(*slot);
  state_->Index(slot.get());
}

void Scheduler::DeleteWorkload(std::string_view key) {
  auto it = state_->workloads.find(std::string(key));
  if (it == state_->workloads.end()) {
    return;
  }
  state_->Unindex(it->second.get());
  state_->workloads.erase(it);
}

void Scheduler::ForgetAssumed(std::string_view key) {
  auto it = state_->workloads.find(std::string(key));
  if (it == state_->workloads.end() || !it->second->assumed) {
    return;
  }
  WorkloadInfo* w = it->second.get();
  state_->Unindex(w);
  w->assumed = false;
  w->wl.admission.reset();
  state_->Prepare(*w);
  state_->Index(w);
}

const Workload* Scheduler::FindWorkload(std::string_view key) const {
  auto it = state_->workloads.find(std::string(key));
  return it == state_->workloads.end() ? nullptr : &it->second->wl;
}

CycleResult Scheduler::Schedule(SystemTime now) { return internal::RunCycle(*state_, now); }

CycleResult Schedule(const Model& model, SystemTime now, const SchedulerOptions& options) {
  Scheduler scheduler(options);
  for (const ResourceFlavor& f : model.flavors) {
    scheduler.UpsertFlavor(f);
  }
  for (const Cohort& c : model.cohorts) {
    scheduler.UpsertCohort(c);
  }
  for (const ClusterQueue& cq : model.cluster_queues) {
    scheduler.UpsertClusterQueue(cq);
  }
  for (const Workload& w : model.workloads) {
    scheduler.UpsertWorkload(w);
  }
  return scheduler.Schedule(now);
}

}  // namespace skiff::kueue
