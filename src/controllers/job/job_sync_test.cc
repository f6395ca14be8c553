// Tests for PlanSync: which pods a Job sync creates or deletes and how it ends.
#include "controllers/job/job_sync.h"

#include <gtest/gtest.h>

namespace skiff::controllers::job {
namespace {

using std::chrono::seconds;

const SystemTime kNow(seconds(1'700'000'000));

PodView Pod(std::string name, std::string phase, int64_t index = -1, int age_s = 60) {
  PodView p;
  p.name = std::move(name);
  p.phase = std::move(phase);
  p.index = index;
  p.created = kNow - seconds(age_s);
  p.finished = kNow - seconds(age_s / 2);
  return p;
}

SyncInput Indexed(int32_t completions, int32_t parallelism) {
  SyncInput in;
  in.ns = "ns";
  in.name = "j";
  in.spec.completion_mode = CompletionMode::kIndexed;
  in.spec.completions = completions;
  in.spec.parallelism = parallelism;
  in.now = kNow;
  in.prior.start_time = kNow - seconds(100);
  return in;
}

SyncInput NonIndexed(std::optional<int32_t> completions, int32_t parallelism) {
  SyncInput in = Indexed(0, parallelism);
  in.spec.completion_mode = CompletionMode::kNonIndexed;
  in.spec.completions = completions;
  return in;
}

TEST(PlanSync, IndexedStartsLowestIndexesUpToParallelism) {
  SyncInput in = Indexed(4, 2);
  in.prior.start_time.reset();
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.create_indexes, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(p.outcome, Outcome::kRunning);
  EXPECT_TRUE(p.set_start_time);
  EXPECT_EQ(p.active, 0);
}

TEST(PlanSync, IndexedFillsOnlyMissingIndexes) {
  SyncInput in = Indexed(4, 2);
  in.pods = {Pod("j-0-a", "Succeeded", 0), Pod("j-1-b", "Running", 1)};
  in.pods[1].ready = true;
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.create_indexes, (std::vector<int64_t>{2}));
  EXPECT_EQ(p.completed_indexes, "0");
  EXPECT_EQ(p.succeeded, 1);
  EXPECT_EQ(p.active, 1);
  EXPECT_EQ(p.ready, 1);
  EXPECT_TRUE(p.delete_pods.empty());
}

TEST(PlanSync, IndexedInFlightCreateIsNotRepeated) {
  SyncInput in = Indexed(4, 2);
  in.pods = {Pod("j-0-a", "Succeeded", 0), Pod("j-1-b", "Running", 1)};
  in.in_flight.create_indexes = {2};
  SyncPlan p = PlanSync(in);
  EXPECT_TRUE(p.create_indexes.empty());
  EXPECT_EQ(p.active, 2);  // the in-flight pod counts as active
}

TEST(PlanSync, IndexedCompletedIndexesFromStatusSurvivePodDeletion) {
  SyncInput in = Indexed(4, 2);
  in.prior.completed_indexes = "0-1";
  in.prior.succeeded = 2;
  in.pods = {Pod("j-2-a", "Succeeded", 2)};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.completed_indexes, "0-2");
  EXPECT_EQ(p.succeeded, 3);
  EXPECT_EQ(p.create_indexes, (std::vector<int64_t>{3}));
}

TEST(PlanSync, IndexedCompletesWhenAllIndexesSucceeded) {
  SyncInput in = Indexed(4, 2);
  in.prior.completed_indexes = "0-2";
  in.pods = {Pod("j-3-a", "Succeeded", 3)};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kSucceeding);
  EXPECT_EQ(p.reason, "CompletionsReached");
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.completed_indexes, "0-3");
  EXPECT_TRUE(p.create_indexes.empty());
}

TEST(PlanSync, IndexedDeletesDuplicatesBadAndCompletedIndexes) {
  SyncInput in = Indexed(3, 3);
  in.prior.completed_indexes = "0";
  in.pods = {Pod("old-1", "Running", 1, 100), Pod("dup-1", "Running", 1, 10),
             Pod("done-0", "Running", 0), Pod("bad", "Running", -1), Pod("far", "Running", 7)};
  SyncPlan p = PlanSync(in);
  std::vector<std::string> want{"dup-1", "done-0", "bad", "far"};
  std::sort(p.delete_pods.begin(), p.delete_pods.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(p.delete_pods, want);
  EXPECT_EQ(p.create_indexes, (std::vector<int64_t>{2}));
  EXPECT_EQ(p.active, 1);
  EXPECT_EQ(p.terminating, 4);
}

TEST(PlanSync, NonIndexedCreatesMinOfRemainingAndParallelism) {
  SyncInput in = NonIndexed(3, 5);
  EXPECT_EQ(PlanSync(in).create_count, 3);
  in.pods = {Pod("a", "Succeeded"), Pod("b", "Running")};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.create_count, 1);
  EXPECT_EQ(p.succeeded, 1);
  in.in_flight.creates = 1;
  EXPECT_EQ(PlanSync(in).create_count, 0);
}

TEST(PlanSync, NonIndexedScalesDownPendingFirst) {
  SyncInput in = NonIndexed(10, 1);
  in.pods = {Pod("running", "Running"), Pod("pending", "Pending")};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.delete_pods, (std::vector<std::string>{"pending"}));
  EXPECT_EQ(p.active, 1);
  EXPECT_EQ(p.terminating, 1);
}

TEST(PlanSync, WorkQueueCompletesAfterFirstSuccessWhenOthersFinish) {
  SyncInput in = NonIndexed(std::nullopt, 2);
  EXPECT_EQ(PlanSync(in).create_count, 2);
  in.pods = {Pod("a", "Succeeded"), Pod("b", "Running")};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.create_count, 0);  // no new pods once one succeeded
  EXPECT_EQ(p.outcome, Outcome::kRunning);
  in.pods[1].phase = "Succeeded";
  EXPECT_EQ(PlanSync(in).outcome, Outcome::kSucceeding);
}

TEST(PlanSync, BackoffLimitExceededFailsAndStopsActivePods) {
  SyncInput in = NonIndexed(1, 1);
  in.spec.backoff_limit = 1;
  in.pods = {Pod("f1", "Failed"), Pod("r", "Running")};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kRunning);  // 1 failure is within backoffLimit 1
  in.pods.push_back(Pod("f2", "Failed"));
  p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kFailing);
  EXPECT_EQ(p.reason, "BackoffLimitExceeded");
  EXPECT_EQ(p.message, "Job has reached the specified backoff limit");
  EXPECT_EQ(p.failed, 2);
  EXPECT_EQ(p.delete_pods, (std::vector<std::string>{"r"}));
  EXPECT_FALSE(p.terminal);  // Failed waits until the running pod is gone
  in.pods.pop_back();
  in.pods.pop_back();
  in.pods.push_back(Pod("f2", "Failed"));
  in.prior.failure_target = true;
  in.prior.failure_reason = "BackoffLimitExceeded";
  p = PlanSync(in);
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.reason, "BackoffLimitExceeded");
}

TEST(PlanSync, BackoffLimitZeroFailsOnFirstFailure) {
  SyncInput in = NonIndexed(1, 1);
  in.spec.backoff_limit = 0;
  in.pods = {Pod("f1", "Failed")};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kFailing);
  EXPECT_TRUE(p.terminal);
}

TEST(PlanSync, OnFailureContainerRestartsCountTowardsBackoffLimit) {
  SyncInput in = NonIndexed(1, 1);
  in.spec.restart_policy = "OnFailure";
  in.spec.backoff_limit = 2;
  in.pods = {Pod("r", "Running")};
  in.pods[0].containers.push_back({"main", 1, false, 0, std::nullopt});
  EXPECT_EQ(PlanSync(in).outcome, Outcome::kRunning);
  in.pods[0].containers[0].restart_count = 2;
  EXPECT_EQ(PlanSync(in).reason, "BackoffLimitExceeded");
}

TEST(PlanSync, FailureBackoffDelaysReplacement) {
  SyncInput in = NonIndexed(1, 1);
  in.pods = {Pod("f1", "Failed")};
  in.pods[0].finished = kNow - seconds(4);
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.create_count, 0);
  EXPECT_EQ(p.requeue_after, seconds(6));
  in.pods[0].finished = kNow - seconds(11);
  EXPECT_EQ(PlanSync(in).create_count, 1);
}

TEST(PlanSync, DeletedPodsThatFailDoNotCount) {
  SyncInput in = NonIndexed(1, 1);
  in.spec.backoff_limit = 0;
  in.pods = {Pod("killed", "Failed")};
  in.pods[0].deleting = true;
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kRunning);
  EXPECT_EQ(p.failed, 0);
  EXPECT_EQ(p.create_count, 1);
}

TEST(PlanSync, ActiveDeadline) {
  SyncInput in = NonIndexed(1, 1);
  in.pods = {Pod("r", "Running")};
  in.spec.active_deadline_seconds = 160;
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kRunning);
  EXPECT_EQ(p.requeue_after, seconds(60) + std::chrono::milliseconds(1));
  in.spec.active_deadline_seconds = 100;
  p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kFailing);
  EXPECT_EQ(p.reason, "DeadlineExceeded");
  EXPECT_EQ(p.message, "Job was active longer than specified deadline");
  EXPECT_EQ(p.delete_pods, (std::vector<std::string>{"r"}));
}

TEST(PlanSync, PodFailurePolicyFailJobAndIgnore) {
  SyncInput in = NonIndexed(2, 2);
  FailurePolicyRule ignore;
  ignore.action = FailurePolicyAction::kIgnore;
  ignore.on_exit_codes = OnExitCodes{"", true, {3}};
  FailurePolicyRule fail;
  fail.action = FailurePolicyAction::kFailJob;
  fail.on_exit_codes = OnExitCodes{"", true, {42}};
  in.spec.pod_failure_rules = {ignore, fail};
  in.spec.backoff_limit = 0;
  in.pods = {Pod("ign", "Failed")};
  in.pods[0].containers.push_back({"main", 0, true, 3, std::nullopt});
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome,
            Outcome::kRunning);  // ignored: not counted even with backoffLimit 0
  EXPECT_EQ(p.failed, 0);
  in.pods.push_back(Pod("boom", "Failed"));
  in.pods[1].containers.push_back({"main", 0, true, 42, std::nullopt});
  p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kFailing);
  EXPECT_EQ(p.reason, "PodFailurePolicy");
  EXPECT_EQ(p.message,
            "Container main for pod ns/boom failed with exit code "
            "42 matching FailJob rule at "
            "index 1");
}

TEST(PlanSync, SuspendDeletesActivePodsAndResumeRestartsClock) {
  SyncInput in = Indexed(4, 2);
  in.spec.suspend = true;
  in.pods = {Pod("j-0-a", "Running", 0), Pod("j-1-b", "Pending", 1)};
  SyncPlan p = PlanSync(in);
  EXPECT_TRUE(p.suspended);
  EXPECT_EQ(p.delete_pods.size(), 2u);
  EXPECT_TRUE(p.create_indexes.empty());
  EXPECT_EQ(p.active, 0);
  EXPECT_EQ(p.terminating, 2);
  // Deadline does not run while suspended.
  in.spec.active_deadline_seconds = 1;
  EXPECT_EQ(PlanSync(in).outcome, Outcome::kRunning);

  in.spec.suspend = false;
  in.spec.active_deadline_seconds.reset();
  in.pods.clear();
  in.prior.suspended = true;
  p = PlanSync(in);
  EXPECT_TRUE(p.resumed);
  EXPECT_FALSE(p.suspended);
  EXPECT_EQ(p.create_indexes, (std::vector<int64_t>{0, 1}));
}

TEST(PlanSync, InFlightDeletesAreTerminatingNotActive) {
  SyncInput in = NonIndexed(5, 2);
  in.pods = {Pod("a", "Running"), Pod("b", "Running")};
  in.in_flight.deletes = {"b"};
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.active, 1);
  EXPECT_EQ(p.terminating, 1);
  EXPECT_EQ(p.create_count, 1);
}

TEST(PlanSync, SuccessWaitsForInFlightCreates) {
  SyncInput in = NonIndexed(1, 1);
  in.pods = {Pod("a", "Succeeded")};
  in.in_flight.creates = 1;
  SyncPlan p = PlanSync(in);
  EXPECT_EQ(p.outcome, Outcome::kSucceeding);
  EXPECT_FALSE(p.terminal);
}

}  // namespace
}  // namespace skiff::controllers::job
