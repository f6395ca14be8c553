// Tests for podFailurePolicy matching and the pod failure backoff.
#include "controllers/job/pod_failure_policy.h"

#include <gtest/gtest.h>

namespace skiff::controllers::job {
namespace {

using std::chrono::seconds;

PodView FailedPod(std::string container, int32_t exit_code) {
  PodView p;
  p.name = "p1";
  p.phase = "Failed";
  ContainerStateView c;
  c.name = std::move(container);
  c.terminated = true;
  c.exit_code = exit_code;
  p.containers.push_back(c);
  return p;
}

FailurePolicyRule ExitRule(FailurePolicyAction a, bool op_in, std::vector<int32_t> values,
                           std::string container = "") {
  FailurePolicyRule r;
  r.action = a;
  r.on_exit_codes = OnExitCodes{std::move(container), op_in, std::move(values)};
  return r;
}

TEST(PodFailurePolicy, NoRuleMatchesCounts) {
  auto m = MatchPodFailurePolicy({ExitRule(FailurePolicyAction::kFailJob, true, {42})},
                                 FailedPod("main", 1), "ns");
  EXPECT_FALSE(m.action.has_value());
  EXPECT_TRUE(m.counts);
}

TEST(PodFailurePolicy, FailJobOnExitCodeWithKubeMessage) {
  auto m = MatchPodFailurePolicy({ExitRule(FailurePolicyAction::kIgnore, true, {1}),
                                  ExitRule(FailurePolicyAction::kFailJob, true, {42})},
                                 FailedPod("main", 42), "ns");
  ASSERT_TRUE(m.action.has_value());
  EXPECT_EQ(*m.action, FailurePolicyAction::kFailJob);
  EXPECT_EQ(m.message,
            "Container main for pod ns/p1 failed with exit code 42 "
            "matching FailJob rule at "
            "index 1");
}

TEST(PodFailurePolicy, NotInAndContainerName) {
  std::vector<FailurePolicyRule> rules{
      ExitRule(FailurePolicyAction::kFailJob, false, {0, 1}, "sidecar"),
      ExitRule(FailurePolicyAction::kCount, false, {0, 1})};
  // Wrong container for rule 0; rule 1 matches (exit 3 not in {0,1}).
  auto m = MatchPodFailurePolicy(rules, FailedPod("main", 3), "ns");
  ASSERT_TRUE(m.action.has_value());
  EXPECT_EQ(*m.action, FailurePolicyAction::kCount);
  EXPECT_TRUE(m.counts);
  // Exit 1 is in the NotIn list: nothing matches.
  EXPECT_FALSE(MatchPodFailurePolicy(rules, FailedPod("main", 1), "ns").action.has_value());
}

TEST(PodFailurePolicy, ExitCodeZeroNeverMatches) {
  auto m = MatchPodFailurePolicy({ExitRule(FailurePolicyAction::kFailJob, false, {5})},
                                 FailedPod("main", 0), "ns");
  EXPECT_FALSE(m.action.has_value());
}

TEST(PodFailurePolicy, IgnoreOnPodCondition) {
  FailurePolicyRule r;
  r.action = FailurePolicyAction::kIgnore;
  r.on_pod_conditions = {{"DisruptionTarget", "True"}};
  PodView p = FailedPod("main", 137);
  p.conditions = {{"Ready", "False"}, {"DisruptionTarget", "True"}};
  auto m = MatchPodFailurePolicy({r}, p, "ns");
  ASSERT_TRUE(m.action.has_value());
  EXPECT_EQ(*m.action, FailurePolicyAction::kIgnore);
  EXPECT_FALSE(m.counts);
  p.conditions = {{"DisruptionTarget", "False"}};
  EXPECT_FALSE(MatchPodFailurePolicy({r}, p, "ns").action.has_value());
}

TEST(PodFailurePolicy, InitContainerExitCodes) {
  PodView p;
  p.name = "p2";
  p.phase = "Failed";
  p.init_containers.push_back({"setup", 0, true, 7, std::nullopt});
  auto m = MatchPodFailurePolicy({ExitRule(FailurePolicyAction::kFailJob, true, {7})}, p, "x");
  EXPECT_EQ(m.message,
            "Container setup for pod x/p2 failed with exit code 7 "
            "matching FailJob rule at index 0");
}

TEST(PodFailureBackoff, DoublesAndCaps) {
  EXPECT_EQ(PodFailureBackoff(0).count(), 0);
  EXPECT_EQ(PodFailureBackoff(1), seconds(10));
  EXPECT_EQ(PodFailureBackoff(2), seconds(20));
  EXPECT_EQ(PodFailureBackoff(4), seconds(80));
  EXPECT_EQ(PodFailureBackoff(7), seconds(600));  // 640 s capped at 10 min
  EXPECT_EQ(PodFailureBackoff(60), seconds(600));
}

TEST(PodFailureBackoff, RemainingCountsFailuresAfterLastSuccess) {
  SystemTime t0(seconds(1000));
  PodView f1, f2, s1;
  f1.finished = t0;
  s1.finished = t0 + seconds(5);
  f2.finished = t0 + seconds(10);
  // Only f2 failed after the last success: one failure, 10 s from t0+10.
  EXPECT_EQ(RemainingBackoff({&f1, &f2}, {&s1}, t0 + seconds(14)), seconds(6));
  // Without the success both count: 20 s from the latest failure.
  EXPECT_EQ(RemainingBackoff({&f1, &f2}, {}, t0 + seconds(14)), seconds(16));
  EXPECT_EQ(RemainingBackoff({&f1, &f2}, {}, t0 + seconds(40)).count(), 0);
  EXPECT_EQ(RemainingBackoff({}, {&s1}, t0).count(), 0);
}

}  // namespace
}  // namespace skiff::controllers::job
