// kueue_core_bench: scheduling-core throughput on deep queues (kueue#14477 scale): 100k pending
// workloads over 30 ClusterQueues in 5 cohorts, small/medium/large like upstream's
// test/performance/scheduler baseline. Prints JSON: decisions/s and where the time goes.
//
// Usage: kueue_core_bench [--workloads N] [--cycles N] [--only SCENARIO]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kueue/scheduler.h"

namespace {

using skiff::SystemTime;
using namespace skiff::kueue;  // NOLINT: benchmark

constexpr int64_t kUnit = 1000;
constexpr int64_t kGi = (int64_t{1} << 30) * kUnit;
constexpr int kCohorts = 5;
constexpr int kQueuesPerCohort = 6;

struct Scenario {
  const char* name;
  int64_t nominal_cpu;    // per ClusterQueue
  int64_t borrowing_cpu;  // per ClusterQueue
  bool fair_sharing = false;
  bool admit_all = true;
  // After the first cycle, this many urgent large workloads (priority 1000) arrive per queue,
  // so later cycles preempt running workloads.
  int urgent_per_queue = 0;
};

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Builds the model: per queue, workloads cycle small (1 CPU, prio 50), medium (5 CPU, prio
// 100), large (20 CPU, prio 200) in a 7:2:1 mix, as upstream's generator.yaml does.
void Load(Scheduler& s, const Scenario& sc, int workloads) {
  s.UpsertFlavor({.name = "default"});
  for (int c = 0; c < kCohorts; ++c) {
    for (int q = 0; q < kQueuesPerCohort; ++q) {
      ClusterQueue cq;
      cq.name = "cq-" + std::to_string(c) + "-" + std::to_string(q);
      cq.cohort = "cohort-" + std::to_string(c);
      // Memory is plentiful: CPU is the binding resource, memory is checked alongside.
      ResourceQuota cpu{.name = "cpu",
                        .nominal = sc.nominal_cpu * kUnit,
                        .borrowing_limit = sc.borrowing_cpu * kUnit};
      ResourceQuota memory{.name = "memory",
                           .nominal = 2 * sc.nominal_cpu * kGi,
                           .borrowing_limit = 2 * sc.borrowing_cpu * kGi};
      cq.resource_groups.push_back({{"cpu", "memory"}, {{"default", {cpu, memory}}}});
      cq.preemption.within_cluster_queue = WithinClusterQueuePolicy::kLowerPriority;
      cq.preemption.reclaim_within_cohort = ReclaimWithinCohortPolicy::kAny;
      s.UpsertClusterQueue(cq);
    }
  }
  const int queues = kCohorts * kQueuesPerCohort;
  auto base = SystemTime(std::chrono::seconds(1700000000));
  for (int i = 0; i < workloads; ++i) {
    int q = i % queues;
    int kind = (i / queues) % 10;  // 0-6 small, 7-8 medium, 9 large
    Workload w;
    w.key = "ns-" + std::to_string(q) + "/wl-" + std::to_string(i);
    w.uid = "uid-" + std::to_string(i);
    w.cluster_queue =
        "cq-" + std::to_string(q / kQueuesPerCohort) + "-" + std::to_string(q % kQueuesPerCohort);
    w.local_queue = "ns-" + std::to_string(q) + "/lq";
    w.queue_order_time = base + std::chrono::milliseconds(i);
    int64_t cpu = kind < 7 ? 1 : (kind < 9 ? 5 : 20);
    w.priority = kind < 7 ? 50 : (kind < 9 ? 100 : 200);
    PodSet ps;
    ps.count = 1;
    ps.requests = {{"cpu", cpu * kUnit}, {"memory", cpu * kGi}};
    w.pod_sets = {ps};
    s.UpsertWorkload(std::move(w));
  }
}

void Run(const Scenario& sc, int workloads, int cycles, bool last) {
  Scheduler s({.fair_sharing = sc.fair_sharing, .admit_all_that_fit = sc.admit_all});
  auto t0 = std::chrono::steady_clock::now();
  Load(s, sc, workloads);
  auto t1 = std::chrono::steady_clock::now();
  CycleStats total;
  int64_t admissions = 0;
  int64_t preemptions = 0;
  int64_t decided = 0;
  int64_t wall_ns = 0;
  int64_t first_cycle_admissions = 0;
  int64_t first_cycle_ns = 0;
  auto now = SystemTime(std::chrono::seconds(1700000000 + 3600));
  for (int c = 0; c < cycles; ++c) {
    auto start = std::chrono::steady_clock::now();
    CycleResult r = s.Schedule(now + std::chrono::seconds(c));
    int64_t ns = (std::chrono::steady_clock::now() - start).count();
    wall_ns += ns;
    if (c == 0) {
      first_cycle_admissions = static_cast<int64_t>(r.admissions.size());
      first_cycle_ns = ns;
    }
    admissions += static_cast<int64_t>(r.admissions.size());
    preemptions += static_cast<int64_t>(r.preemptions.size());
    decided += static_cast<int64_t>(r.admissions.size());
    for (const PendingWorkload& p : r.pending) {
      decided += p.reason >= 0 ? 1 : 0;
    }
    total.snapshot_ns += r.stats.snapshot_ns;
    total.ordering_ns += r.stats.ordering_ns;
    total.flavor_assignment_ns += r.stats.flavor_assignment_ns;
    total.preemption_ns += r.stats.preemption_ns;
    total.commit_ns += r.stats.commit_ns;
    total.evaluated += r.stats.evaluated;
    total.skipped_equivalent += r.stats.skipped_equivalent;
    if (c == 0 && sc.urgent_per_queue > 0) {
      const int queues = kCohorts * kQueuesPerCohort;
      for (int i = 0; i < sc.urgent_per_queue * queues; ++i) {
        int q = i % queues;
        Workload w;
        w.key = "urgent/wl-" + std::to_string(i);
        w.uid = "urgent-" + std::to_string(i);
        w.cluster_queue = "cq-" + std::to_string(q / kQueuesPerCohort) + "-" +
                          std::to_string(q % kQueuesPerCohort);
        w.local_queue = "urgent/lq";
        w.priority = 1000;
        w.queue_order_time = now;
        PodSet ps;
        ps.requests = {{"cpu", 20 * kUnit}, {"memory", 20 * kGi}};
        w.pod_sets = {ps};
        s.UpsertWorkload(std::move(w));
      }
      // Running workloads stay this time: the urgent ones must preempt them.
      continue;
    }
    // Jobs finish between cycles: admitted workloads and preemption victims go away.
    for (const AdmissionDecision& a : r.admissions) {
      s.DeleteWorkload(a.workload_key);
    }
    for (const PreemptionDecision& p : r.preemptions) {
      s.DeleteWorkload(p.victim_key);
    }
  }
  double secs = static_cast<double>(wall_ns) / 1e9;
  int64_t other = wall_ns - total.snapshot_ns - total.ordering_ns - total.flavor_assignment_ns -
                  total.preemption_ns - total.commit_ns;
  std::printf(
      "    {\"name\": \"%s\", \"workloads\": %d, \"cluster_queues\": %d, \"cohorts\": %d, "
      "\"cycles\": %d, \"load_ms\": %.1f, \"total_cycle_ms\": %.1f, \"mean_cycle_ms\": %.2f, "
      "\"first_cycle_ms\": %.2f, \"first_cycle_admissions\": %lld, \"admissions\": %lld, "
      "\"preemptions\": %lld, \"decisions\": %lld, \"admissions_per_s\": %.0f, "
      "\"decisions_per_s\": %.0f, \"flavor_walks\": %lld, \"skipped_equivalent\": %lld, "
      "\"phases_ms\": {\"snapshot\": %.1f, \"ordering\": %.1f, \"flavor_assignment\": %.1f, "
      "\"preemption\": %.1f, \"commit\": %.1f, \"other\": %.1f}}%s\n",
      sc.name, workloads, kCohorts * kQueuesPerCohort, kCohorts, cycles, Ms((t1 - t0).count()),
      Ms(wall_ns), Ms(wall_ns) / cycles, Ms(first_cycle_ns),
      static_cast<long long>(first_cycle_admissions), static_cast<long long>(admissions),
      static_cast<long long>(preemptions), static_cast<long long>(decided),
      static_cast<double>(admissions) / secs, static_cast<double>(decided) / secs,
      static_cast<long long>(total.evaluated), static_cast<long long>(total.skipped_equivalent),
      Ms(total.snapshot_ns), Ms(total.ordering_ns), Ms(total.flavor_assignment_ns),
      Ms(total.preemption_ns), Ms(total.commit_ns), Ms(other), last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv) {
  int workloads = 100000;
  int cycles = 10;
  const char* only = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--workloads") == 0) {
      workloads = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--cycles") == 0) {
      cycles = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--only") == 0) {
      only = argv[i + 1];
    }
  }
  const Scenario scenarios[] = {
      // upstream baseline quotas: 20 CPU nominal, 100 borrowing limit
      {"baseline_quota", 20, 100},
      {"baseline_quota_fair_sharing", 20, 100, true},
      {"baseline_quota_upstream_one_head_per_cq", 20, 100, false, false},
      // room for thousands of admissions per cycle
      {"large_quota", 2000, 10000},
      {"large_quota_fair_sharing", 2000, 10000, true},
      {"large_quota_upstream_one_head_per_cq", 2000, 10000, false, false},
      // running small workloads preempted by urgent large ones (withinClusterQueue)
      {"large_quota_preemption", 2000, 10000, false, true, 20},
  };
  std::printf("{\n  \"benchmark\": \"kueue_core\",\n  \"scenarios\": [\n");
  std::vector<const Scenario*> selected;
  for (const Scenario& sc : scenarios) {
    if (only == nullptr || std::strcmp(only, sc.name) == 0) {
      selected.push_back(&sc);
    }
  }
  for (size_t i = 0; i < selected.size(); ++i) {
    Run(*selected[i], workloads, cycles, i + 1 == selected.size());
  }
  std::printf("  ]\n}\n");
  return 0;
}
