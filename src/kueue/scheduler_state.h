// Folder-private: what a Scheduler holds between cycles (objects, per-ClusterQueue ordered
// pending queues, admitted sets, interned names), and the cycle entry point.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kueue/internal.h"
#include "kueue/scheduler.h"

namespace skiff::kueue::internal {

// Heap order of a ClusterQueue (kueue.md §3 "Queues"): higher priority, older queue-order
// time, then uid (and key, so the order is total).
struct QueueOrder {
  bool operator()(const WorkloadInfo* a, const WorkloadInfo* b) const {
    if (a->wl.priority != b->wl.priority) {
      return a->wl.priority > b->wl.priority;
    }
    if (a->wl.queue_order_time != b->wl.queue_order_time) {
      return a->wl.queue_order_time < b->wl.queue_order_time;
    }
    if (a->wl.uid != b->wl.uid) {
      return a->wl.uid < b->wl.uid;
    }
    return a->wl.key < b->wl.key;
  }
};

using PendingQueue = std::set<WorkloadInfo*, QueueOrder>;

struct SchedulerState {
  SchedulerOptions options;
  std::map<std::string, ResourceFlavor, std::less<>> flavors;
  std::map<std::string, Cohort, std::less<>> cohorts;
  std::map<std::string, ClusterQueue, std::less<>> cluster_queues;
  std::unordered_map<std::string, std::unique_ptr<WorkloadInfo>> workloads;
  // Pending, active workloads by the ClusterQueue they name (which may not exist yet).
  std::map<std::string, PendingQueue, std::less<>> queues;
  // Workloads holding quota, by the ClusterQueue of their admission.
  std::map<std::string, std::unordered_set<WorkloadInfo*>, std::less<>> admitted;
  Interner resources;
  Interner flavor_names;
  FlavorResources frs;
  int64_t cycle = 0;

  void Index(WorkloadInfo* w);
  void Unindex(WorkloadInfo* w);
  // Interns the workload's requests and computes its shape and held usage.
  void Prepare(WorkloadInfo& w);
};

CycleResult RunCycle(SchedulerState& state, SystemTime now);

}  // namespace skiff::kueue::internal
