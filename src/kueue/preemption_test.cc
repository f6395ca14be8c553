// Preemption scenarios: priority within a ClusterQueue, reclaiming lent quota in a cohort with
// a minimal victim set, borrowWithinCohort thresholds, and one decision per workload and cycle.
#include <gtest/gtest.h>

#include "kueue/scheduler.h"
#include "kueue/test_util.h"

namespace skiff::kueue {
namespace {

using namespace skiff::kueue::testing;  // NOLINT: test helpers

TEST(PreemptionTest, HigherPriorityPreemptsWithinTheQueueOnceAndIsAdmittedWhenTheVictimStops) {
  Scheduler s;
  s.UpsertFlavor({.name = "default-flavor"});
  ClusterQueue cq = Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}});
  cq.preemption.within_cluster_queue = WithinClusterQueuePolicy::kLowerPriority;
  s.UpsertClusterQueue(cq);
  s.UpsertWorkload(
      Admitted(Job("low", "cq", 0, {Pods(1, {{kGpu, 4 * kUnit}})}, 10), "default-flavor", 0));
  s.UpsertWorkload(Job("peer", "cq", 1, {Pods(1, {{kGpu, 4 * kUnit}})}, 10));
  s.UpsertWorkload(Job("high", "cq", 5, {Pods(1, {{kGpu, 4 * kUnit}})}, 100));

  CycleResult r = s.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  ASSERT_EQ(r.preemptions.size(), 1u);
  EXPECT_EQ(r.preemptions[0].victim_key, "ns/low");
  EXPECT_EQ(r.preemptions[0].victim_cluster_queue, "cq");
  EXPECT_EQ(r.preemptions[0].preemptor_key, "ns/high");
  EXPECT_EQ(r.preemptions[0].reason, PreemptionReason::kInClusterQueue);
  EXPECT_EQ(r.preemptions[0].message,
            "Preempted to accommodate a workload (UID: uid-high) due to prioritization in the "
            "ClusterQueue");
  Pending high = FindPending(r, "ns/high");
  EXPECT_EQ(high.reason, "WaitingForPreemptedWorkloads");
  EXPECT_EQ(high.message,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor default-flavor, 4 more needed. Pending the preemption of 1 "
            "workload(s)");
  // Equal priority does not preempt.
  EXPECT_EQ(FindPending(r, "ns/peer").reason, "WaitingForQuota");
  EXPECT_TRUE(s.FindWorkload("ns/low")->evicted);

  // The victim still holds its quota: nothing is admitted and nothing preempted again.
  r = s.Schedule(At(11));
  EXPECT_TRUE(r.admissions.empty());
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_EQ(FindPending(r, "ns/high").reason, "WaitingForPreemptedWorkloads");

  s.DeleteWorkload("ns/low");  // the caller saw it stop
  r = s.Schedule(At(12));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/high"}));
}

TEST(PreemptionTest, LowerOrNewerEqualPriorityPreemptsNewerPeers) {
  Scheduler s;
  s.UpsertFlavor({.name = "default-flavor"});
  ClusterQueue cq = Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}});
  cq.preemption.within_cluster_queue = WithinClusterQueuePolicy::kLowerOrNewerEqualPriority;
  s.UpsertClusterQueue(cq);
  // Requeued later than the pending one was created: newer, so it may be preempted.
  s.UpsertWorkload(
      Admitted(Job("newer", "cq", 50, {Pods(1, {{kGpu, 4 * kUnit}})}, 5), "default-flavor", 50));
  s.UpsertWorkload(Job("older", "cq", 10, {Pods(1, {{kGpu, 4 * kUnit}})}, 5));
  CycleResult r = s.Schedule(At(60));
  EXPECT_EQ(VictimKeys(r), (std::vector<std::string>{"ns/newer"}));
}

class ReclaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.UpsertFlavor({.name = "default-flavor"});
    for (const char* name : {"a", "b"}) {
      ClusterQueue cq = Queue(name, "research", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}});
      cq.preemption.reclaim_within_cohort = ReclaimWithinCohortPolicy::kAny;
      s_.UpsertClusterQueue(cq);
    }
  }
  Scheduler s_;
};

TEST_F(ReclaimTest, IdleQuotaIsBorrowedAndReclaimedWhenItsOwnerNeedsIt) {
  for (int i = 0; i < 4; ++i) {
    s_.UpsertWorkload(Job("a" + std::to_string(i), "a", i, {Pods(1, {{kGpu, 2 * kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(r.admissions.size(), 4u);  // 4 of its own + 4 borrowed from b
  EXPECT_EQ(r.cluster_queues[0].flavors_usage[0].resources[0].borrowed, 4 * kUnit);

  s_.UpsertWorkload(Job("b0", "b", 20, {Pods(1, {{kGpu, 4 * kUnit}})}));
  r = s_.Schedule(At(21));
  EXPECT_TRUE(r.admissions.empty());
  ASSERT_EQ(r.preemptions.size(), 2u);
  for (const PreemptionDecision& p : r.preemptions) {
    EXPECT_EQ(p.reason, PreemptionReason::kInCohortReclamation);
    EXPECT_EQ(p.preemptor_key, "ns/b0");
    EXPECT_EQ(p.victim_cluster_queue, "a");
    EXPECT_EQ(p.message,
              "Preempted to accommodate a workload (UID: uid-b0) due to reclamation within the "
              "cohort");
  }
  // All four were admitted at the same time, so the order falls back to uid.
  EXPECT_EQ(VictimKeys(r), (std::vector<std::string>{"ns/a0", "ns/a1"}));

  s_.DeleteWorkload("ns/a0");
  s_.DeleteWorkload("ns/a1");
  r = s_.Schedule(At(22));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/b0"}));
}

TEST_F(ReclaimTest, FillBackKeepsOnlyTheVictimsThatAreNeeded) {
  // Most recently admitted first: a-small (1), then a-big (4), then a-mid (3).
  s_.UpsertWorkload(
      Admitted(Job("a-mid", "a", 0, {Pods(1, {{kGpu, 3 * kUnit}})}), "default-flavor", 1));
  s_.UpsertWorkload(
      Admitted(Job("a-big", "a", 0, {Pods(1, {{kGpu, 4 * kUnit}})}), "default-flavor", 2));
  s_.UpsertWorkload(
      Admitted(Job("a-small", "a", 0, {Pods(1, {{kGpu, 1 * kUnit}})}), "default-flavor", 3));
  s_.UpsertWorkload(Job("b0", "b", 20, {Pods(1, {{kGpu, 4 * kUnit}})}));
  CycleResult r = s_.Schedule(At(21));
  // Removing a-small then a-big makes room; a-small alone is not needed once a-big goes.
  EXPECT_EQ(VictimKeys(r), (std::vector<std::string>{"ns/a-big"}));
}

TEST_F(ReclaimTest, QueueNotBorrowingIsNotAVictimOfReclaim) {
  s_.UpsertWorkload(
      Admitted(Job("a0", "a", 0, {Pods(1, {{kGpu, 4 * kUnit}})}), "default-flavor", 1));
  s_.UpsertWorkload(Job("b0", "b", 20, {Pods(1, {{kGpu, 6 * kUnit}})}));
  CycleResult r = s_.Schedule(At(21));
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_EQ(FindPending(r, "ns/b0").message,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor default-flavor, 2 more needed");
}

TEST(BorrowWithinCohortTest, PreemptsWhileBorrowingOnlyBelowTheThreshold) {
  Scheduler s;
  s.UpsertFlavor({.name = "default-flavor"});
  ClusterQueue a = Queue("a", "c", {kGpu}, {{"default-flavor", {Quota(kGpu, 0)}}});
  ClusterQueue b = Queue("b", "c", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}});
  s.UpsertClusterQueue(Queue("idle", "c", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}}));
  b.preemption.reclaim_within_cohort = ReclaimWithinCohortPolicy::kLowerPriority;
  b.preemption.borrow_within_cohort = BorrowWithinCohortPolicy::kLowerPriority;
  b.preemption.borrow_within_cohort_max_priority_threshold = 50;
  s.UpsertClusterQueue(a);
  s.UpsertClusterQueue(b);
  // a runs only on borrowed quota: one workload above the threshold, two below.
  s.UpsertWorkload(Admitted(Job("a-important", "a", 0, {Pods(1, {{kGpu, 2 * kUnit}})}, 80),
                            "default-flavor", 1));
  s.UpsertWorkload(
      Admitted(Job("a-cheap", "a", 0, {Pods(1, {{kGpu, 2 * kUnit}})}, 10), "default-flavor", 2));
  s.UpsertWorkload(
      Admitted(Job("a-cheap2", "a", 0, {Pods(1, {{kGpu, 2 * kUnit}})}, 10), "default-flavor", 3));
  // b wants 6: more than its nominal 4, so it must borrow while preempting.
  s.UpsertWorkload(Job("b-big", "b", 20, {Pods(1, {{kGpu, 6 * kUnit}})}, 100));
  CycleResult r = s.Schedule(At(21));
  EXPECT_EQ(VictimKeys(r), (std::vector<std::string>{"ns/a-cheap", "ns/a-cheap2"}));
  for (const PreemptionDecision& p : r.preemptions) {
    EXPECT_EQ(p.reason, PreemptionReason::kInCohortReclaimWhileBorrowing);
  }
}

TEST(PreemptionTest, PreemptorsOfOneCycleShareNoVictimAndReuseWhatTheVictimsFree) {
  Scheduler s;
  s.UpsertFlavor({.name = "default-flavor"});
  ClusterQueue cq = Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, 12)}}});
  cq.preemption.within_cluster_queue = WithinClusterQueuePolicy::kLowerPriority;
  s.UpsertClusterQueue(cq);
  s.UpsertWorkload(
      Admitted(Job("low-a", "cq", 0, {Pods(1, {{kGpu, 8 * kUnit}})}, 0), "default-flavor", 1));
  s.UpsertWorkload(
      Admitted(Job("low-b", "cq", 0, {Pods(1, {{kGpu, 4 * kUnit}})}, 0), "default-flavor", 0));
  for (int i = 1; i <= 4; ++i) {
    s.UpsertWorkload(Job("p" + std::to_string(i), "cq", i, {Pods(1, {{kGpu, 4 * kUnit}})}, 10));
  }
  CycleResult r = s.Schedule(At(10));
  // p1 evicts low-a (most recently admitted); p2 fits in what low-a frees beyond p1's share;
  // p3 takes the other candidate; p4 has nothing left to preempt.
  ASSERT_EQ(r.preemptions.size(), 2u);
  EXPECT_EQ(r.preemptions[0].preemptor_key, "ns/p1");
  EXPECT_EQ(r.preemptions[0].victim_key, "ns/low-a");
  EXPECT_EQ(r.preemptions[1].preemptor_key, "ns/p3");
  EXPECT_EQ(r.preemptions[1].victim_key, "ns/low-b");
  const std::string waiting =
      "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu "
      "in flavor default-flavor, 4 more needed. Pending the preemption of 1 workload(s)";
  EXPECT_EQ(FindPending(r, "ns/p1").message, waiting);
  EXPECT_EQ(FindPending(r, "ns/p2").reason, "WaitingForPreemptedWorkloads");
  EXPECT_EQ(FindPending(r, "ns/p4").reason, "WaitingForQuota");

  // The victims still run: the same plan holds and nothing new is issued.
  r = s.Schedule(At(11));
  EXPECT_TRUE(r.preemptions.empty());
  EXPECT_TRUE(r.admissions.empty());

  s.DeleteWorkload("ns/low-a");
  s.DeleteWorkload("ns/low-b");
  r = s.Schedule(At(12));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/p1", "ns/p2", "ns/p3"}));
}

}  // namespace
}  // namespace skiff::kueue
