// Admission scenarios: quota, gang, queueing strategies, flavors, limits, partial admission,
// inactive queues, and admitting every workload that fits in one cycle.
#include "kueue/scheduler.h"

#include <gtest/gtest.h>

#include "kueue/test_util.h"

namespace skiff::kueue {
namespace {

using namespace skiff::kueue::testing;  // NOLINT: test helpers

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { s_.UpsertFlavor({.name = "default-flavor"}); }
  void GpuQueue(int64_t gpus, QueueingStrategy strategy = QueueingStrategy::kBestEffortFIFO) {
    ClusterQueue cq = Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, gpus)}}});
    cq.queueing_strategy = strategy;
    s_.UpsertClusterQueue(cq);
  }
  Scheduler s_;
};

TEST_F(SchedulerTest, ThreeFourGpuJobsInEightGpusAdmitTwoThenTheThirdAfterOneFinishes) {
  GpuQueue(8);
  for (int i = 0; i < 3; ++i) {
    s_.UpsertWorkload(Job("job-" + std::to_string(i), "cq", i, {Pods(1, {{kGpu, 4 * kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/job-0", "ns/job-1"}));
  ASSERT_EQ(r.admissions[0].admission.pod_set_assignments.size(), 1u);
  const PodSetAssignment& psa = r.admissions[0].admission.pod_set_assignments[0];
  EXPECT_EQ(psa.flavors.at(kGpu), "default-flavor");
  EXPECT_EQ(psa.count, 1);
  EXPECT_EQ(psa.resource_usage.at(kGpu), 4 * kUnit);
  Pending p = FindPending(r, "ns/job-2");
  EXPECT_TRUE(p.evaluated);
  EXPECT_EQ(p.reason, "WaitingForQuota");
  EXPECT_EQ(p.message,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor default-flavor, 4 more needed");
  EXPECT_EQ(p.position_in_cluster_queue, 0);
  ASSERT_EQ(r.cluster_queues.size(), 1u);
  EXPECT_EQ(r.cluster_queues[0].reserving_workloads, 2);
  EXPECT_EQ(r.cluster_queues[0].pending_workloads, 1);
  EXPECT_EQ(r.cluster_queues[0].flavors_usage[0].resources[0].total, 8 * kUnit);

  // The assumed admissions hold quota until the caller reports otherwise.
  r = s_.Schedule(At(11));
  EXPECT_TRUE(r.admissions.empty());
  ASSERT_NE(s_.FindWorkload("ns/job-0"), nullptr);
  ASSERT_TRUE(s_.FindWorkload("ns/job-0")->admission.has_value());

  s_.DeleteWorkload("ns/job-0");  // finished
  r = s_.Schedule(At(12));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/job-2"}));
  EXPECT_TRUE(r.pending.empty());
}

TEST_F(SchedulerTest, GangNeedingSixWhenFourAreFreeAdmitsNothing) {
  GpuQueue(8);
  s_.UpsertWorkload(
      Admitted(Job("running", "cq", 0, {Pods(1, {{kGpu, 4 * kUnit}})}), "default-flavor", 0));
  s_.UpsertWorkload(
      Job("gang", "cq", 1,
          {Pods(1, {{kGpu, 3 * kUnit}}, "launcher"), Pods(1, {{kGpu, 3 * kUnit}}, "worker")}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  Pending p = FindPending(r, "ns/gang");
  // The first pod set fits on its own; the second, counted after it, does not.
  EXPECT_EQ(p.message,
            "couldn't assign flavors to pod set worker: insufficient unused quota for "
            "nvidia.com/gpu in flavor default-flavor, 2 more needed");
  EXPECT_EQ(r.cluster_queues[0].flavors_usage[0].resources[0].total, 4 * kUnit);
}

TEST_F(SchedulerTest, WorkloadLargerThanAnyQuotaStaysPendingAndEquivalentsReuseTheAnswer) {
  GpuQueue(8);
  for (int i = 0; i < 5; ++i) {
    s_.UpsertWorkload(Job("huge-" + std::to_string(i), "cq", i, {Pods(2, {{kGpu, 8 * kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  ASSERT_EQ(r.pending.size(), 5u);
  // One shared answer for the five.
  ASSERT_EQ(r.pending_reasons.size(), 1u);
  EXPECT_EQ(r.pending_reasons[0].reason, "ExceedsMaxQuota");
  EXPECT_EQ(r.pending_reasons[0].message,
            "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in "
            "flavor default-flavor, previously considered podsets requests (0) + current "
            "podset request (16) > maximum capacity (8)");
  for (const PendingWorkload& p : r.pending) {
    EXPECT_EQ(p.reason, 0);
  }
  EXPECT_EQ(r.stats.evaluated, 1);
  EXPECT_EQ(r.stats.skipped_equivalent, 4);
}

TEST_F(SchedulerTest, ResourceNotInTheQueueIsReported) {
  GpuQueue(8);
  s_.UpsertWorkload(Job("cpu", "cq", 0, {Pods(1, {{"cpu", 500}})}));
  CycleResult r = s_.Schedule(At(10));
  Pending p = FindPending(r, "ns/cpu");
  EXPECT_EQ(p.reason, "NoMatchingFlavor");
  EXPECT_EQ(p.message,
            "couldn't assign flavors to pod set main: resource cpu unavailable in ClusterQueue");
}

TEST_F(SchedulerTest, AdmitsEveryWorkloadThatFitsInOneCycleUnlikeUpstream) {
  ClusterQueue cq = Queue("cq", "", {"cpu"}, {{"default-flavor", {Quota("cpu", 100)}}});
  s_.UpsertClusterQueue(cq);
  for (int i = 0; i < 500; ++i) {
    s_.UpsertWorkload(Job("w" + std::to_string(i), "cq", i, {Pods(1, {{"cpu", kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(1000));
  ASSERT_EQ(r.admissions.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(r.admissions[i].workload_key, "ns/w" + std::to_string(i));
  }
  EXPECT_EQ(FindPending(r, "ns/w100").position_in_cluster_queue, 0);
  EXPECT_EQ(FindPending(r, "ns/w499").position_in_cluster_queue, 399);
  EXPECT_EQ(FindPending(r, "ns/w499").position_in_local_queue, 399);
  // Identical pending workloads are settled by one flavor walk.
  EXPECT_LE(r.stats.evaluated, 102);

  for (int i = 0; i < 100; ++i) {
    s_.DeleteWorkload("ns/w" + std::to_string(i));
  }
  r = s_.Schedule(At(1001));
  ASSERT_EQ(r.admissions.size(), 100u);
  EXPECT_EQ(r.admissions.front().workload_key, "ns/w100");
  EXPECT_EQ(r.admissions.back().workload_key, "ns/w199");

  // Upstream's one attempt per ClusterQueue per cycle, for comparison.
  Model model;
  model.flavors = {{.name = "default-flavor"}};
  model.cluster_queues = {cq};
  for (int i = 0; i < 500; ++i) {
    model.workloads.push_back(Job("w" + std::to_string(i), "cq", i, {Pods(1, {{"cpu", kUnit}})}));
  }
  EXPECT_EQ(Schedule(model, At(1000), {.admit_all_that_fit = false}).admissions.size(), 1u);
  EXPECT_EQ(Schedule(model, At(1000)).admissions.size(), 100u);
}

TEST_F(SchedulerTest, BestEffortFifoSkipsAHeadThatDoesNotFit) {
  GpuQueue(4);
  s_.UpsertWorkload(Job("w1", "cq", 1, {Pods(1, {{kGpu, 3 * kUnit}})}));
  s_.UpsertWorkload(Job("w2", "cq", 2, {Pods(1, {{kGpu, 2 * kUnit}})}));
  s_.UpsertWorkload(Job("w3", "cq", 3, {Pods(1, {{kGpu, 1 * kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/w1", "ns/w3"}));
  EXPECT_TRUE(FindPending(r, "ns/w2").evaluated);
}

TEST_F(SchedulerTest, StrictFifoBlocksBehindTheHeadButHigherPriorityJumpsAhead) {
  GpuQueue(4, QueueingStrategy::kStrictFIFO);
  s_.UpsertWorkload(Job("w1", "cq", 1, {Pods(1, {{kGpu, 3 * kUnit}})}));
  s_.UpsertWorkload(Job("w2", "cq", 2, {Pods(1, {{kGpu, 2 * kUnit}})}));
  s_.UpsertWorkload(Job("w3", "cq", 3, {Pods(1, {{kGpu, 1 * kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/w1"}));
  EXPECT_TRUE(FindPending(r, "ns/w2").evaluated);
  EXPECT_EQ(FindPending(r, "ns/w2").reason, "WaitingForQuota");
  EXPECT_FALSE(FindPending(r, "ns/w3").evaluated);  // never looked at

  // A newer workload with higher priority is ahead of w2 in the heap.
  s_.UpsertWorkload(Job("urgent", "cq", 20, {Pods(1, {{kGpu, 1 * kUnit}})}, 100));
  r = s_.Schedule(At(21));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/urgent"}));
  EXPECT_EQ(FindPending(r, "ns/w2").position_in_cluster_queue, 0);
}

TEST_F(SchedulerTest, RequeueBackoffHoldsAWorkloadUntilItsTime) {
  GpuQueue(4);
  Workload w = Job("backoff", "cq", 1, {Pods(1, {{kGpu, kUnit}})});
  w.requeue_at = At(60);
  s_.UpsertWorkload(w);
  CycleResult r = s_.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  EXPECT_FALSE(FindPending(r, "ns/backoff").evaluated);
  ASSERT_TRUE(r.next_requeue_at.has_value());
  EXPECT_EQ(*r.next_requeue_at, At(60));
  EXPECT_EQ(AdmittedKeys(s_.Schedule(At(60))), (std::vector<std::string>{"ns/backoff"}));
}

TEST_F(SchedulerTest, FlavorFungibilityMovesToTheNextFlavorWhenTheFirstIsFull) {
  s_.UpsertFlavor({.name = "on-demand"});
  s_.UpsertFlavor({.name = "spot"});
  s_.UpsertClusterQueue(
      Queue("cq", "", {kGpu}, {{"on-demand", {Quota(kGpu, 4)}}, {"spot", {Quota(kGpu, 4)}}}));
  s_.UpsertWorkload(Job("a", "cq", 1, {Pods(1, {{kGpu, 4 * kUnit}})}));
  s_.UpsertWorkload(Job("b", "cq", 2, {Pods(1, {{kGpu, 4 * kUnit}})}));
  s_.UpsertWorkload(Job("c", "cq", 3, {Pods(1, {{kGpu, 4 * kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  ASSERT_EQ(r.admissions.size(), 2u);
  EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].flavors.at(kGpu), "on-demand");
  EXPECT_EQ(r.admissions[1].admission.pod_set_assignments[0].flavors.at(kGpu), "spot");
  EXPECT_EQ(FindPending(r, "ns/c").message,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor on-demand, 4 more needed, insufficient unused quota for "
            "nvidia.com/gpu in flavor spot, 4 more needed");
}

TEST_F(SchedulerTest, PodsResourceCountsPods) {
  s_.UpsertClusterQueue(Queue("cq", "", {"cpu", "pods"},
                              {{"default-flavor", {Quota("cpu", 100), Quota("pods", 3)}}}));
  for (int i = 0; i < 4; ++i) {
    s_.UpsertWorkload(Job("w" + std::to_string(i), "cq", i, {Pods(1, {{"cpu", 100}})}));
  }
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(r.admissions.size(), 3u);
  EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].resource_usage.at("pods"), kUnit);
  EXPECT_EQ(FindPending(r, "ns/w3").message,
            "couldn't assign flavors to pod set main: insufficient unused quota for pods in "
            "flavor default-flavor, 1 more needed");
}

TEST_F(SchedulerTest, NodeLabelsAndTaintsFilterFlavors) {
  s_.UpsertFlavor({.name = "on-demand", .node_labels = {{"cloud/capacity", "on-demand"}}});
  s_.UpsertFlavor({.name = "spot",
                   .node_labels = {{"cloud/capacity", "spot"}},
                   .node_taints = {{"spot", "true", TaintEffect::kNoSchedule}}});
  s_.UpsertClusterQueue(
      Queue("cq", "", {kGpu}, {{"on-demand", {Quota(kGpu, 4)}}, {"spot", {Quota(kGpu, 4)}}}));
  // Asks for spot by selector and tolerates its taint.
  PodSet wants_spot = Pods(1, {{kGpu, 2 * kUnit}});
  wants_spot.node_selector = {{"cloud/capacity", "spot"}, {"unrelated", "x"}};
  wants_spot.tolerations = {{.key = "spot", .op = Toleration::Operator::kExists}};
  s_.UpsertWorkload(Job("spot-job", "cq", 1, {wants_spot}));
  // Fills on-demand, then cannot use spot without a toleration.
  s_.UpsertWorkload(Job("a", "cq", 2, {Pods(1, {{kGpu, 4 * kUnit}})}));
  s_.UpsertWorkload(Job("b", "cq", 3, {Pods(1, {{kGpu, 2 * kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/spot-job", "ns/a"}));
  EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].flavors.at(kGpu), "spot");
  EXPECT_EQ(r.admissions[1].admission.pod_set_assignments[0].flavors.at(kGpu), "on-demand");
  EXPECT_EQ(FindPending(r, "ns/b").message,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor on-demand, 2 more needed, untolerated taint {spot true "
            "NoSchedule <nil>} in flavor spot");

  PodSet affinity = Pods(1, {{kGpu, kUnit}});
  affinity.required_node_affinity = {
      {{{"cloud/capacity", NodeSelectorRequirement::Operator::kIn, {"reserved"}}}}};
  s_.UpsertWorkload(Job("reserved", "cq", 4, {affinity}));
  r = s_.Schedule(At(11));
  EXPECT_EQ(FindPending(r, "ns/reserved").reason, "NoMatchingFlavor");
}

TEST_F(SchedulerTest, PartialAdmissionTakesTheLargestCountThatFits) {
  s_.UpsertClusterQueue(Queue("cq", "", {"cpu"}, {{"default-flavor", {Quota("cpu", 6)}}}));
  PodSet elastic = Pods(10, {{"cpu", kUnit}});
  elastic.min_count = 4;
  s_.UpsertWorkload(Job("elastic", "cq", 1, {elastic}));
  PodSet rigid = Pods(10, {{"cpu", kUnit}});
  rigid.min_count = 8;
  s_.UpsertWorkload(Job("rigid", "cq", 2, {rigid}));
  CycleResult r = s_.Schedule(At(10));
  ASSERT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/elastic"}));
  EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].count, 6);
  EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].resource_usage.at("cpu"), 6 * kUnit);
  EXPECT_EQ(FindPending(r, "ns/rigid").reason, "ExceedsMaxQuota");
  // The held usage is the admitted count, not the requested one.
  EXPECT_EQ(r.cluster_queues[0].flavors_usage[0].resources[0].total, 6 * kUnit);
}

TEST_F(SchedulerTest, QueueWithMissingFlavorIsInactive) {
  s_.UpsertClusterQueue(
      Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}, {"ghost", {Quota(kGpu, 4)}}}));
  s_.UpsertWorkload(Job("w", "cq", 1, {Pods(1, {{kGpu, kUnit}})}));
  s_.UpsertWorkload(Job("lost", "no-such-cq", 1, {Pods(1, {{kGpu, kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  ASSERT_EQ(r.cluster_queues.size(), 1u);
  EXPECT_FALSE(r.cluster_queues[0].active);
  EXPECT_EQ(r.cluster_queues[0].reason, "FlavorNotFound");
  EXPECT_EQ(r.cluster_queues[0].message,
            "Can't admit new workloads: references missing ResourceFlavor(s): ghost.");
  EXPECT_EQ(FindPending(r, "ns/w").reason, "Suspended");
  EXPECT_EQ(FindPending(r, "ns/w").message, "ClusterQueue cq is inactive");
  EXPECT_EQ(FindPending(r, "ns/lost").message, "ClusterQueue no-such-cq not found");

  s_.UpsertFlavor({.name = "ghost"});
  r = s_.Schedule(At(11));
  EXPECT_TRUE(r.cluster_queues[0].active);
  EXPECT_EQ(r.cluster_queues[0].reason, "Ready");
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/w"}));
}

TEST_F(SchedulerTest, StoppedQueueHoldsWorkloads) {
  ClusterQueue cq = Queue("cq", "", {kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}});
  cq.stop_policy = StopPolicy::kHold;
  s_.UpsertClusterQueue(cq);
  s_.UpsertWorkload(Job("w", "cq", 1, {Pods(1, {{kGpu, kUnit}})}));
  CycleResult r = s_.Schedule(At(10));
  EXPECT_TRUE(r.admissions.empty());
  EXPECT_EQ(r.cluster_queues[0].reason, "Stopped");
  EXPECT_EQ(r.cluster_queues[0].message, "Can't admit new workloads: is stopped.");
}

TEST_F(SchedulerTest, ForgetAssumedMakesTheWorkloadPendingAgain) {
  GpuQueue(4);
  s_.UpsertWorkload(Job("w", "cq", 1, {Pods(1, {{kGpu, 4 * kUnit}})}));
  ASSERT_EQ(s_.Schedule(At(10)).admissions.size(), 1u);
  // A stale update without the admission keeps the assumed one.
  s_.UpsertWorkload(Job("w", "cq", 1, {Pods(1, {{kGpu, 4 * kUnit}})}));
  EXPECT_TRUE(s_.Schedule(At(11)).admissions.empty());
  s_.ForgetAssumed("ns/w");
  EXPECT_EQ(s_.Schedule(At(12)).admissions.size(), 1u);
}

class CohortTest : public ::testing::Test {
 protected:
  void SetUp() override { s_.UpsertFlavor({.name = "default-flavor"}); }
  Scheduler s_;
};

TEST_F(CohortTest, BorrowingLimitAndLendingLimitBoundWhatMovesBetweenQueues) {
  s_.UpsertClusterQueue(Queue("a", "research", {kGpu}, {{"default-flavor", {Quota(kGpu, 4, 2)}}}));
  s_.UpsertClusterQueue(
      Queue("b", "research", {kGpu}, {{"default-flavor", {Quota(kGpu, 4, std::nullopt, 1)}}}));
  for (int i = 0; i < 6; ++i) {
    s_.UpsertWorkload(Job("a" + std::to_string(i), "a", i, {Pods(1, {{kGpu, kUnit}})}));
  }
  s_.UpsertWorkload(Job("a-huge", "a", 10, {Pods(1, {{kGpu, 6 * kUnit}})}));
  CycleResult r = s_.Schedule(At(20));
  // b lends only 1 of its 4, so a reaches 5 (its borrowing limit would allow 6).
  EXPECT_EQ(r.admissions.size(), 5u);
  EXPECT_EQ(FindPending(r, "ns/a-huge").message,
            "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in "
            "flavor default-flavor, previously considered podsets requests (0) + current podset "
            "request (6) > maximum capacity (5)");
  const ClusterQueueStatus& a = r.cluster_queues[0];
  EXPECT_EQ(a.flavors_usage[0].resources[0].total, 5 * kUnit);
  EXPECT_EQ(a.flavors_usage[0].resources[0].borrowed, 1 * kUnit);

  // b keeps the 3 it does not lend.
  for (int i = 0; i < 4; ++i) {
    s_.UpsertWorkload(Job("b" + std::to_string(i), "b", 30 + i, {Pods(1, {{kGpu, kUnit}})}));
  }
  r = s_.Schedule(At(40));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/b0", "ns/b1", "ns/b2"}));
}

TEST_F(CohortTest, QueuesInACohortInterleaveByBorrowingThenPriorityThenAge) {
  s_.UpsertClusterQueue(Queue("a", "c", {"cpu"}, {{"default-flavor", {Quota("cpu", 2)}}}));
  s_.UpsertClusterQueue(Queue("b", "c", {"cpu"}, {{"default-flavor", {Quota("cpu", 2)}}}));
  // a's workloads are older, but b's first two fit in b's own quota, which goes first.
  for (int i = 0; i < 4; ++i) {
    s_.UpsertWorkload(Job("a" + std::to_string(i), "a", i, {Pods(1, {{"cpu", kUnit}})}));
    s_.UpsertWorkload(Job("b" + std::to_string(i), "b", 10 + i, {Pods(1, {{"cpu", kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(20));
  EXPECT_EQ(AdmittedKeys(r), (std::vector<std::string>{"ns/a0", "ns/a1", "ns/b0", "ns/b1"}));
}

TEST_F(CohortTest, WhenCanBorrowTryNextFlavorPrefersAFlavorWithoutBorrowing) {
  s_.UpsertFlavor({.name = "reserved"});
  s_.UpsertFlavor({.name = "shared"});
  // The lender owns "reserved" quota the other queue may borrow.
  s_.UpsertClusterQueue(Queue("lender", "c", {kGpu}, {{"reserved", {Quota(kGpu, 8)}}}));
  for (FungibilityPolicy policy :
       {FungibilityPolicy::kMayStopSearch, FungibilityPolicy::kTryNextFlavor}) {
    ClusterQueue cq =
        Queue("team", "c", {kGpu}, {{"reserved", {Quota(kGpu, 0)}}, {"shared", {Quota(kGpu, 4)}}});
    cq.flavor_fungibility.when_can_borrow = policy;
    s_.UpsertClusterQueue(cq);
    s_.UpsertWorkload(Job("w", "team", 1, {Pods(1, {{kGpu, 2 * kUnit}})}));
    CycleResult r = s_.Schedule(At(10));
    ASSERT_EQ(r.admissions.size(), 1u);
    EXPECT_EQ(r.admissions[0].admission.pod_set_assignments[0].flavors.at(kGpu),
              policy == FungibilityPolicy::kMayStopSearch ? "reserved" : "shared");
    s_.DeleteWorkload("ns/w");
  }
}

TEST_F(CohortTest, HierarchicalCohortQuotaIsShared) {
  Cohort root{.name = "org"};
  root.resource_groups.push_back({{kGpu}, {{"default-flavor", {Quota(kGpu, 4)}}}});
  s_.UpsertCohort(root);
  s_.UpsertCohort({.name = "team", .parent = "org"});
  s_.UpsertClusterQueue(Queue("a", "team", {kGpu}, {{"default-flavor", {Quota(kGpu, 2)}}}));
  for (int i = 0; i < 8; ++i) {
    s_.UpsertWorkload(Job("a" + std::to_string(i), "a", i, {Pods(1, {{kGpu, kUnit}})}));
  }
  CycleResult r = s_.Schedule(At(20));
  EXPECT_EQ(r.admissions.size(), 6u);  // 2 own + 4 from the root cohort
}

}  // namespace
}  // namespace skiff::kueue
