// Tests for PyTorchJob status conditions (upstream pkg/util/status.go rules) and serialization.
#include "controllers/pytorchjob/job_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::pytorchjob {
namespace {

std::vector<std::string> Types(const JobStatus& s) {
  std::vector<std::string> out;
  for (const JobCondition& c : s.conditions) out.push_back(c.type + "=" + c.status);
  return out;
}

TEST(JobConditions, UpstreamRules) {
  JobStatus s;
  EXPECT_TRUE(UpdateJobConditions(&s, "Created", "True", "PyTorchJobCreated", "c", "t1"));
  EXPECT_TRUE(UpdateJobConditions(&s, "Running", "True", "PyTorchJobRunning", "r", "t2"));
  // Same status and reason: nothing changes, not even the message.
  EXPECT_FALSE(UpdateJobConditions(&s, "Running", "True", "PyTorchJobRunning", "other", "t3"));
  EXPECT_EQ(s.Find("Running")->message, "r");
  // Restarting replaces Running, and the other way round.
  EXPECT_TRUE(UpdateJobConditions(&s, "Restarting", "True", "PyTorchJobRestarting", "x", "t4"));
  EXPECT_EQ(Types(s), (std::vector<std::string>{"Created=True", "Restarting=True"}));
  EXPECT_TRUE(UpdateJobConditions(&s, "Running", "True", "PyTorchJobRunning", "r", "t5"));
  EXPECT_EQ(Types(s), (std::vector<std::string>{"Created=True", "Running=True"}));
  // A changed condition moves to the end; a status change moves lastTransitionTime.
  EXPECT_TRUE(UpdateJobConditions(&s, "Created", "True", "Other", "c", "t6"));
  EXPECT_EQ(Types(s), (std::vector<std::string>{"Running=True", "Created=True"}));
  EXPECT_EQ(s.Find("Created")->last_transition_time, "t1");
  EXPECT_EQ(s.Find("Created")->last_update_time, "t6");
  // Succeeded turns Running False.
  EXPECT_TRUE(UpdateJobConditions(&s, "Succeeded", "True", "PyTorchJobSucceeded", "ok", "t7"));
  EXPECT_EQ(Types(s),
            (std::vector<std::string>{"Running=False", "Created=True", "Succeeded=True"}));
  EXPECT_TRUE(s.IsFinished());
  // After Failed nothing changes any more.
  EXPECT_TRUE(UpdateJobConditions(&s, "Failed", "True", "PyTorchJobFailed", "no", "t8"));
  EXPECT_FALSE(UpdateJobConditions(&s, "Running", "True", "PyTorchJobRunning", "r", "t9"));
  EXPECT_TRUE(s.IsFailed());
}

TEST(JobStatusJson, RoundTripsAndOmitsZeroCounts) {
  Json base = Json::parse(R"({"lastReconcileTime": "2025-01-01T00:00:00Z", "startTime": "old"})");
  JobStatus s;
  UpdateJobConditions(&s, "Created", "True", "PyTorchJobCreated", "m", "2025-01-02T00:00:00Z");
  s.replica_statuses["Master"].succeeded = 1;
  s.replica_statuses["Master"].selector = "a=b";
  s.replica_statuses["Master"].match_labels = {{"a", "b"}};
  s.replica_statuses["Worker"];
  s.completion_time = "2025-01-03T00:00:00Z";
  Json j = JobStatusToJson(s, base);
  EXPECT_EQ(j["lastReconcileTime"], "2025-01-01T00:00:00Z");
  EXPECT_FALSE(j.contains("startTime"));
  EXPECT_EQ(j["replicaStatuses"], Json::parse(R"({
      "Master": {"succeeded": 1, "selector": "a=b", "labelSelector": {"matchLabels": {"a": "b"}}},
      "Worker": {}})"));
  EXPECT_EQ(j["conditions"][0]["reason"], "PyTorchJobCreated");
  EXPECT_EQ(j["conditions"][0]["lastUpdateTime"], "2025-01-02T00:00:00Z");
  EXPECT_EQ(ParseJobStatus(j), s);
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
