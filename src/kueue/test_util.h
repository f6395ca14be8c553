// Folder-private test helpers: compact builders for flavors, queues and workloads.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "kueue/scheduler.h"

namespace skiff::kueue::testing {

constexpr int64_t kUnit = 1000;  // one whole unit in milli-units
inline const std::string kGpu = "nvidia.com/gpu";

inline SystemTime At(int seconds) { return SystemTime(std::chrono::seconds(1700000000 + seconds)); }

inline ResourceQuota Quota(std::string name, int64_t units,
                           std::optional<int64_t> borrowing_limit = std::nullopt,
                           std::optional<int64_t> lending_limit = std::nullopt) {
  ResourceQuota q;
  q.name = std::move(name);
  q.nominal = units * kUnit;
  if (borrowing_limit) {
    q.borrowing_limit = *borrowing_limit * kUnit;
  }
  if (lending_limit) {
    q.lending_limit = *lending_limit * kUnit;
  }
  return q;
}

// One resource group covering `covered`, with flavors in preference order.
inline ClusterQueue Queue(std::string name, std::string cohort, std::vector<std::string> covered,
                          std::vector<FlavorQuotas> flavors) {
  ClusterQueue cq;
  cq.name = std::move(name);
  cq.cohort = std::move(cohort);
  cq.resource_groups.push_back({std::move(covered), std::move(flavors)});
  return cq;
}

inline PodSet Pods(int32_t count, ResourceList per_pod, std::string name = "main") {
  PodSet ps;
  ps.name = std::move(name);
  ps.count = count;
  ps.requests = std::move(per_pod);
  return ps;
}

inline Workload Job(std::string name, std::string cq, int seconds, std::vector<PodSet> pod_sets,
                    int32_t priority = 0) {
  Workload w;
  w.key = "ns/" + name;
  w.uid = "uid-" + name;
  w.cluster_queue = std::move(cq);
  w.local_queue = "ns/lq";
  w.priority = priority;
  w.queue_order_time = At(seconds);
  w.pod_sets = std::move(pod_sets);
  return w;
}

// `w` as already holding quota in `flavor` for all its requests, since `seconds`.
inline Workload Admitted(Workload w, const std::string& flavor, int seconds) {
  Admission a;
  a.cluster_queue = w.cluster_queue;
  for (const PodSet& ps : w.pod_sets) {
    PodSetAssignment psa;
    psa.name = ps.name;
    psa.count = ps.count;
    for (const auto& [res, q] : ps.requests) {
      psa.flavors[res] = flavor;
    }
    a.pod_set_assignments.push_back(psa);
  }
  w.admission = a;
  w.quota_reserved_time = At(seconds);
  return w;
}

// A pending workload as a test sees it; evaluated == false leaves reason and message empty.
struct Pending {
  bool evaluated = false;
  std::string reason;
  std::string message;
  int64_t position_in_cluster_queue = -1;
  int64_t position_in_local_queue = -1;
};

inline Pending FindPending(const CycleResult& r, const std::string& key) {
  for (const PendingWorkload& p : r.pending) {
    if (p.workload_key == key) {
      Pending out;
      out.position_in_cluster_queue = p.position_in_cluster_queue;
      out.position_in_local_queue = p.position_in_local_queue;
      if (const PendingReason* reason = r.ReasonOf(p)) {
        out.evaluated = true;
        out.reason = reason->reason;
        out.message = reason->message;
      }
      return out;
    }
  }
  ADD_FAILURE() << key << " is not pending";
  return {};
}

inline std::vector<std::string> AdmittedKeys(const CycleResult& r) {
  std::vector<std::string> keys;
  for (const AdmissionDecision& a : r.admissions) {
    keys.push_back(a.workload_key);
  }
  return keys;
}

inline std::vector<std::string> VictimKeys(const CycleResult& r) {
  std::vector<std::string> keys;
  for (const PreemptionDecision& p : r.preemptions) {
    keys.push_back(p.victim_key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace skiff::kueue::testing
