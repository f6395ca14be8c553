// Fair sharing: the admission tournament evens out two equal-weight queues over successive
// cycles, and DRS-based preemption takes back borrowed quota.
#include <gtest/gtest.h>

#include <deque>

#include "kueue/scheduler.h"
#include "kueue/test_util.h"

namespace skiff::kueue {
namespace {

using namespace skiff::kueue::testing;  // NOLINT: test helpers

// Two queues without quota of their own share a cohort's 10 CPUs. Queue a fills the cohort
// first; then b's workloads arrive, and every cycle the two oldest running workloads finish.
// Returns {running in a, running in b} after `cycles` such cycles.
std::pair<int, int> Simulate(bool fair_sharing, int cycles) {
  Scheduler s({.fair_sharing = fair_sharing});
  s.UpsertFlavor({.name = "default-flavor"});
  Cohort cohort{.name = "c"};
  cohort.resource_groups.push_back({{"cpu"}, {{"default-flavor", {Quota("cpu", 10)}}}});
  s.UpsertCohort(cohort);
  s.UpsertClusterQueue(Queue("a", "c", {"cpu"}, {{"default-flavor", {Quota("cpu", 0)}}}));
  s.UpsertClusterQueue(Queue("b", "c", {"cpu"}, {{"default-flavor", {Quota("cpu", 0)}}}));
  for (int i = 0; i < 20; ++i) {
    s.UpsertWorkload(Job("a" + std::to_string(i), "a", i, {Pods(1, {{"cpu", kUnit}})}));
  }
  std::deque<std::string> running;  // in admission order
  int a = 0;
  int b = 0;
  auto run = [&](int t) {
    for (const AdmissionDecision& d : s.Schedule(At(t)).admissions) {
      running.push_back(d.workload_key);
      (d.admission.cluster_queue == "a" ? a : b)++;
    }
  };
  run(50);
  EXPECT_EQ(a, 10);
  for (int i = 0; i < 20; ++i) {
    s.UpsertWorkload(Job("b" + std::to_string(i), "b", 100 + i, {Pods(1, {{"cpu", kUnit}})}));
  }
  for (int c = 0; c < cycles; ++c) {
    for (int k = 0; k < 2; ++k) {
      const std::string key = running.front();
      running.pop_front();
      (s.FindWorkload(key)->cluster_queue == "a" ? a : b)--;
      s.DeleteWorkload(key);
    }
    run(200 + c);
  }
  return {a, b};
}

TEST(FairSharingTest, TwoEqualWeightQueuesConvergeToAnEvenSplit) {
  EXPECT_EQ(Simulate(true, 1), std::make_pair(8, 2));  // freed quota goes to the lower share
  EXPECT_EQ(Simulate(true, 3), std::make_pair(5, 5));
  EXPECT_EQ(Simulate(true, 8), std::make_pair(5, 5));  // and stays even
}

TEST(FairSharingTest, WithoutFairSharingTheOlderQueueKeepsTheCohort) {
  EXPECT_EQ(Simulate(false, 3), std::make_pair(10, 0));
}

TEST(FairSharingTest, PreemptsBorrowedQuotaByShare) {
  Scheduler s({.fair_sharing = true});
  s.UpsertFlavor({.name = "default-flavor"});
  for (const char* name : {"a", "b"}) {
    ClusterQueue cq = Queue(name, "c", {"cpu"}, {{"default-flavor", {Quota("cpu", 5)}}});
    cq.preemption.reclaim_within_cohort = ReclaimWithinCohortPolicy::kAny;
    s.UpsertClusterQueue(cq);
  }
  for (int i = 0; i < 10; ++i) {
    s.UpsertWorkload(Admitted(Job("a" + std::to_string(i), "a", i, {Pods(1, {{"cpu", kUnit}})}),
                              "default-flavor", i));
  }
  s.UpsertWorkload(Job("b0", "b", 20, {Pods(1, {{"cpu", 3 * kUnit}})}));
  CycleResult r = s.Schedule(At(30));
  // The most recently admitted of a's borrowed workloads go first.
  EXPECT_EQ(VictimKeys(r), (std::vector<std::string>{"ns/a7", "ns/a8", "ns/a9"}));
  for (const PreemptionDecision& p : r.preemptions) {
    EXPECT_EQ(p.reason, PreemptionReason::kInCohortFairSharing);
  }
  ASSERT_EQ(r.cluster_queues.size(), 2u);
  ASSERT_TRUE(r.cluster_queues[0].weighted_share.has_value());
  EXPECT_DOUBLE_EQ(*r.cluster_queues[0].weighted_share, 500.0);  // 5 borrowed of 10 lendable
  EXPECT_DOUBLE_EQ(*r.cluster_queues[1].weighted_share, 0.0);
}

}  // namespace
}  // namespace skiff::kueue
