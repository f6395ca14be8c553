// Tests for JobSet run classification, status counting and success/failure
// policies.
#include "controllers/jobset/policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::jobset {
namespace {

ChildJob Job(std::string rjob, int idx, ChildState state, int64_t attempt = 0) {
  ChildJob j;
  j.name = "js-" + rjob + "-" + std::to_string(idx);
  j.replicated_job = std::move(rjob);
  j.state = state;
  j.restart_attempt = attempt;
  return j;
}

JobSetSpecView Spec() {
  JobSetSpecView s;
  s.name = "js";
  s.replicated_jobs = {{"leader", 1, {}}, {"workers", 2, {}}};
  return s;
}

TEST(Policy, ClassifiesByRestartAttempt) {
  std::vector<ChildJob> jobs = {
      Job("workers", 0, ChildState::kFailed, 0), Job("workers", 1, ChildState::kActive, 1),
      Job("leader", 0, ChildState::kSucceeded, 1), Job("workers", 0, ChildState::kActive, -1)};
  Children c = Classify(jobs, 1);
  ASSERT_EQ(c.previous.size(), 2u);  // attempt 0 and an unparsable label
  ASSERT_EQ(c.active.size(), 1u);
  ASSERT_EQ(c.succeeded.size(), 1u);
  EXPECT_TRUE(c.failed.empty());
}

TEST(Policy, ReplicatedJobStatusesInSpecOrder) {
  std::vector<ChildJob> jobs = {Job("workers", 0, ChildState::kActive),
                                Job("workers", 1, ChildState::kActive),
                                Job("leader", 0, ChildState::kSucceeded)};
  jobs[0].parallelism = 2;
  jobs[0].ready = 2;
  jobs[0].active = 2;
  jobs[1].parallelism = 2;
  jobs[1].completions = 1;
  jobs[1].ready = 0;
  jobs[1].succeeded = 1;  // min(parallelism, completions) = 1 pod: ready
  jobs[1].suspended = true;
  auto s = ReplicatedJobStatuses(Spec(), Classify(jobs, 0));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (ReplicatedJobStatus{"leader", 0, 1, 0, 0, 0}));
  EXPECT_EQ(s[1], (ReplicatedJobStatus{"workers", 2, 0, 0, 1, 1}));
}

TEST(Policy, SuccessAllAnyAndTargets) {
  JobSetSpecView spec = Spec();
  std::vector<ChildJob> jobs = {Job("workers", 0, ChildState::kSucceeded),
                                Job("workers", 1, ChildState::kSucceeded),
                                Job("leader", 0, ChildState::kActive)};
  EXPECT_FALSE(SuccessPolicyMet(spec, Classify(jobs, 0)));  // All: leader still running
  spec.success_targets = {"workers"};
  EXPECT_TRUE(SuccessPolicyMet(spec, Classify(jobs, 0)));
  spec.success_targets = {"leader"};
  spec.success_operator = "Any";
  EXPECT_FALSE(SuccessPolicyMet(spec, Classify(jobs, 0)));
  jobs[2].state = ChildState::kSucceeded;
  EXPECT_TRUE(SuccessPolicyMet(spec, Classify(jobs, 0)));
  spec.success_targets.clear();
  spec.success_operator = "All";
  EXPECT_TRUE(SuccessPolicyMet(spec, Classify(jobs, 0)));
}

TEST(Policy, NoFailurePolicyFailsWithFirstFailedJob) {
  std::vector<ChildJob> jobs = {Job("workers", 1, ChildState::kFailed),
                                Job("workers", 0, ChildState::kFailed)};
  jobs[0].failure_time = SystemTime(std::chrono::seconds(20));
  jobs[1].failure_time = SystemTime(std::chrono::seconds(10));
  FailureDecision d = DecideFailure(Spec(), {}, Classify(jobs, 0));
  EXPECT_TRUE(d.fail);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.reason, "FailedJobs");
  EXPECT_EQ(d.message,
            "jobset failed due to one or more job failures (first "
            "failed job: js-workers-0)");
}

TEST(Policy, MaxRestarts) {
  JobSetSpecView spec = Spec();
  spec.has_failure_policy = true;
  spec.max_restarts = 2;
  std::vector<ChildJob> jobs = {Job("workers", 0, ChildState::kFailed, 1)};
  JobSetStatusView st{1, 1};
  FailureDecision d = DecideFailure(spec, st, Classify(jobs, 1));
  EXPECT_TRUE(d.restart);
  EXPECT_TRUE(d.count_towards_max);
  EXPECT_EQ(d.reason, "RestartJobSetFailurePolicyAction");
  st = {2, 2};
  jobs[0].restart_attempt = 2;
  d = DecideFailure(spec, st, Classify(jobs, 2));
  EXPECT_TRUE(d.fail);
  EXPECT_EQ(d.reason, "ReachedMaxRestarts");
  EXPECT_EQ(d.message,
            "jobset failed due to reaching max number of restarts "
            "(first failed job: js-workers-0)");
}

TEST(Policy, FailurePolicyRules) {
  JobSetSpecView spec = Spec();
  spec.has_failure_policy = true;
  spec.max_restarts = 0;
  FailurePolicyRule fail_leader{"r0", "FailJobSet", {}, {}, {"leader"}};
  FailurePolicyRule ignore_backoff{"r1",
                                   "RestartJobSetAndIgnoreMaxRestarts",
                                   {"BackoffLimitExceeded"},
                                   {"exit code [0-9]+"},
                                   {}};
  spec.failure_rules = {fail_leader, ignore_backoff};
  std::vector<ChildJob> jobs = {Job("workers", 0, ChildState::kFailed)};
  jobs[0].failure_reason = "BackoffLimitExceeded";
  jobs[0].failure_message = "pod failed with exit code 3";
  FailureDecision d = DecideFailure(spec, {}, Classify(jobs, 0));
  EXPECT_TRUE(d.restart);
  EXPECT_FALSE(d.count_towards_max);
  jobs[0].failure_message = "deadline";  // pattern no longer matches: default RestartJobSet
  d = DecideFailure(spec, {}, Classify(jobs, 0));
  EXPECT_TRUE(d.fail);
  EXPECT_EQ(d.reason, "ReachedMaxRestarts");  // maxRestarts 0
  jobs.push_back(Job("leader", 0, ChildState::kFailed));
  d = DecideFailure(spec, {}, Classify(jobs, 0));
  EXPECT_EQ(d.reason, "FailJobSetFailurePolicyAction");
  EXPECT_EQ(d.message,
            "applying FailJobSet failure policy action (first "
            "failed job: js-leader-0)");
}

TEST(Policy, DependsOn) {
  JobSetSpecView spec = Spec();
  spec.replicated_jobs[1].depends_on = {{"leader", "Ready"}};
  std::vector<ReplicatedJobStatus> st = {{"leader", 0, 0, 0, 1, 0}, {"workers"}};
  EXPECT_FALSE(DependenciesReached(spec, spec.replicated_jobs[1], st));
  st[0].ready = 1;
  EXPECT_TRUE(DependenciesReached(spec, spec.replicated_jobs[1], st));
  spec.replicated_jobs[1].depends_on = {{"leader", "Complete"}};
  EXPECT_FALSE(DependenciesReached(spec, spec.replicated_jobs[1], st));
  st[0].succeeded = 1;
  EXPECT_TRUE(DependenciesReached(spec, spec.replicated_jobs[1], st));
  EXPECT_TRUE(DependenciesReached(spec, spec.replicated_jobs[0], st));
}

TEST(JobSetView, WebhookDefaultsAndChildParsing) {
  Json js = ParseJson(R"({"metadata": {"name": "js", "namespace": "ns"},
                          "spec": {"replicatedJobs": [{"name": "w"}], "suspend": true}})")
                .value();
  JobSetSpecView v = ParseJobSet(js);
  EXPECT_TRUE(v.dns_hostnames);
  EXPECT_TRUE(v.publish_not_ready);
  EXPECT_EQ(v.subdomain, "js");
  EXPECT_EQ(v.success_operator, "All");
  EXPECT_FALSE(v.has_failure_policy);
  EXPECT_TRUE(v.suspend);
  ASSERT_EQ(v.replicated_jobs.size(), 1u);
  EXPECT_EQ(v.replicated_jobs[0].replicas, 1);

  Json job = ParseJson(R"({"metadata": {"name": "js-w-0", "labels": {
      "jobset.sigs.k8s.io/replicatedjob-name": "w", "jobset.sigs.k8s.io/restart-attempt": "3"}},
    "spec": {"parallelism": "bad"},
    "status": {"ready": 1, "conditions": [
      {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "m",
       "lastTransitionTime": "2025-01-02T03:04:05Z"}]}})")
                 .value();
  ChildJob c = ParseChildJob(job);
  EXPECT_EQ(c.replicated_job, "w");
  EXPECT_EQ(c.restart_attempt, 3);
  EXPECT_EQ(c.parallelism, 1);  // bad type → default, no throw
  EXPECT_EQ(c.state, ChildState::kFailed);
  EXPECT_EQ(c.failure_reason, "BackoffLimitExceeded");
  EXPECT_EQ(c.ready, 1);
}

}  // namespace
}  // namespace skiff::controllers::jobset
