// Stabilization windows and scaling policies over simulated time (no clock, no sleeps).
#include "controllers/hpa/normalize.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::hpa {
namespace {

using std::chrono::seconds;

const SystemTime kT0 = SystemTime(seconds(1700000000));

// kube's default rules (what the API server fills in for `behavior: {}`).
Behavior DefaultBehavior() {
  Json hpa = {{"apiVersion", "autoscaling/v2"},
              {"spec",
               {{"maxReplicas", 100},
                {"scaleTargetRef", {{"kind", "Deployment"}, {"name", "d"}}},
                {"behavior", Json::object()}}}};
  auto spec = ParseHpaSpec(hpa);
  EXPECT_TRUE(spec.ok());
  return *spec->behavior;
}

TEST(NormalizeTest, DefaultBehaviorCapsScaleUpAtMaxOfFourPodsAndDoublingPer15s) {
  Behavior b = DefaultBehavior();
  EXPECT_EQ(b.scale_up.stabilization_window_seconds, 0);
  EXPECT_FALSE(b.scale_down.stabilization_window_seconds.has_value());
  AutoscalerHistory h;
  RecordInitialRecommendation(h, 1, kT0);
  Normalized n = NormalizeWithBehavior(h, b, seconds(300), 1, 20, 1, 100, kT0);
  EXPECT_EQ(n.replicas, 5);  // max(1 + 4, 1 * 2)
  EXPECT_EQ(n.scaling_limited.status, "True");
  EXPECT_EQ(n.scaling_limited.reason, "ScaleUpLimit");
  EXPECT_EQ(n.able_to_scale.reason, "ReadyForNewScale");
  StoreScaleEvent(h, b, 1, 5, kT0);
  // Within the same 15 s period the budget is spent: the period started at 1 replica.
  n = NormalizeWithBehavior(h, b, seconds(300), 5, 20, 1, 100, kT0 + seconds(5));
  EXPECT_EQ(n.replicas, 5);
  EXPECT_EQ(n.scaling_limited.reason, "ScaleUpLimit");
  // A new period: doubling (10) beats +4 (9).
  n = NormalizeWithBehavior(h, b, seconds(300), 5, 20, 1, 100, kT0 + seconds(16));
  EXPECT_EQ(n.replicas, 10);
  // maxReplicas is the tighter bound.
  n = NormalizeWithBehavior(h, b, seconds(300), 5, 20, 1, 7, kT0 + seconds(16));
  EXPECT_EQ(n.replicas, 7);
  EXPECT_EQ(n.scaling_limited.reason, "TooManyReplicas");
}

TEST(NormalizeTest, ScaleDownWaitsForTheStabilizationWindow) {
  Behavior b = DefaultBehavior();
  b.scale_down.stabilization_window_seconds = 60;
  AutoscalerHistory h;
  RecordInitialRecommendation(h, 8, kT0);
  // The recommendation drops to 2, but 8 was recommended within the last 60 s.
  Normalized n = NormalizeWithBehavior(h, b, seconds(300), 8, 2, 1, 10, kT0 + seconds(10));
  EXPECT_EQ(n.replicas, 8);
  EXPECT_EQ(n.able_to_scale.reason, "ScaleDownStabilized");
  n = NormalizeWithBehavior(h, b, seconds(300), 8, 2, 1, 10, kT0 + seconds(40));
  EXPECT_EQ(n.replicas, 8);
  // Past the window only the lows remain: scale down (100% per 15 s allows all of it).
  n = NormalizeWithBehavior(h, b, seconds(300), 8, 2, 1, 10, kT0 + seconds(61));
  EXPECT_EQ(n.replicas, 2);
  EXPECT_EQ(n.able_to_scale.reason, "ReadyForNewScale");
  EXPECT_EQ(n.scaling_limited.reason, "DesiredWithinRange");
}

TEST(NormalizeTest, UnsetScaleDownWindowUsesTheControllerFlag) {
  Behavior b = DefaultBehavior();
  AutoscalerHistory h;
  RecordInitialRecommendation(h, 4, kT0);
  Normalized n = NormalizeWithBehavior(h, b, seconds(30), 4, 1, 1, 10, kT0 + seconds(20));
  EXPECT_EQ(n.replicas, 4);
  n = NormalizeWithBehavior(h, b, seconds(30), 4, 1, 1, 10, kT0 + seconds(31));
  EXPECT_EQ(n.replicas, 1);
}

TEST(NormalizeTest, ScaleUpStabilizationTakesTheLowestRecentRecommendation) {
  Behavior b = DefaultBehavior();
  b.scale_up.stabilization_window_seconds = 30;
  AutoscalerHistory h;
  RecordInitialRecommendation(h, 2, kT0);
  Normalized n = NormalizeWithBehavior(h, b, seconds(300), 2, 4, 1, 10, kT0 + seconds(5));
  EXPECT_EQ(n.replicas, 2);
  EXPECT_EQ(n.able_to_scale.reason, "ScaleUpStabilized");
  n = NormalizeWithBehavior(h, b, seconds(300), 2, 4, 1, 10, kT0 + seconds(31));
  EXPECT_EQ(n.replicas, 4);
}

TEST(NormalizeTest, PoliciesSelectMinAndDisabled) {
  ScalingRules rules;
  rules.select_policy = "Min";
  rules.policies = {{"Pods", 1, 60}, {"Percent", 50, 60}};
  AutoscalerHistory h;
  EXPECT_EQ(ScaleUpLimit(10, h, rules, kT0), 11);  // min(10 + 1, ceil(15))
  rules.select_policy = "Max";
  EXPECT_EQ(ScaleUpLimit(10, h, rules, kT0), 15);
  EXPECT_EQ(ScaleDownLimit(10, h, rules, kT0), 5);  // the most removed: 50%
  rules.select_policy = "Min";
  EXPECT_EQ(ScaleDownLimit(10, h, rules, kT0), 9);  // the fewest removed: 1 pod
  rules.select_policy = "Disabled";
  EXPECT_EQ(ScaleUpLimit(10, h, rules, kT0), 10);
  EXPECT_EQ(ScaleDownLimit(10, h, rules, kT0), 10);

  Behavior b = DefaultBehavior();
  b.scale_down.select_policy = "Disabled";
  b.scale_down.stabilization_window_seconds = 0;
  RecordInitialRecommendation(h, 10, kT0);
  Normalized n = NormalizeWithBehavior(h, b, seconds(300), 10, 1, 1, 10, kT0 + seconds(1));
  EXPECT_EQ(n.replicas, 10);
  EXPECT_EQ(n.scaling_limited.reason, "ScaleDownLimit");
}

TEST(NormalizeTest, ScaleDownEventsWithinAPeriodLimitFurtherScaleDown) {
  ScalingRules rules;
  rules.policies = {{"Pods", 2, 60}};
  AutoscalerHistory h;
  Behavior b;
  b.scale_down = rules;
  StoreScaleEvent(h, b, 10, 8, kT0);
  // Two pods already went this minute: the period started at 10, so the floor is 8.
  EXPECT_EQ(ScaleDownLimit(8, h, rules, kT0 + seconds(30)), 8);
  EXPECT_EQ(ScaleDownLimit(8, h, rules, kT0 + seconds(61)), 6);
}

TEST(NormalizeTest, TooFewReplicasClampsToMin) {
  Behavior b = DefaultBehavior();
  b.scale_down.stabilization_window_seconds = 0;
  AutoscalerHistory h;
  Normalized n = NormalizeWithBehavior(h, b, seconds(300), 4, 1, 3, 10, kT0);
  EXPECT_EQ(n.replicas, 3);
  EXPECT_EQ(n.scaling_limited.reason, "TooFewReplicas");
}

TEST(NormalizeTest, LegacyStabilizesDownscaleAndCapsScaleUp) {
  AutoscalerHistory h;
  RecordInitialRecommendation(h, 3, kT0);
  Normalized n = NormalizeLegacy(h, seconds(300), 3, 1, 1, 10, kT0 + seconds(15));
  EXPECT_EQ(n.replicas, 3);
  EXPECT_EQ(n.able_to_scale.reason, "ScaleDownStabilized");
  EXPECT_EQ(n.scaling_limited.reason, "DesiredWithinRange");
  n = NormalizeLegacy(h, seconds(300), 3, 1, 1, 10, kT0 + seconds(301));
  EXPECT_EQ(n.replicas, 1);  // both older samples left the window
  EXPECT_EQ(n.able_to_scale.reason, "ReadyForNewScale");
  // Scale-up: at most max(2 x current, 4) at once.
  n = NormalizeLegacy(h, seconds(300), 1, 50, 1, 100, kT0 + seconds(302));
  EXPECT_EQ(n.replicas, 4);
  EXPECT_EQ(n.scaling_limited.reason, "ScaleUpLimit");
  n = NormalizeLegacy(h, seconds(300), 4, 50, 1, 6, kT0 + seconds(303));
  EXPECT_EQ(n.replicas, 6);
  EXPECT_EQ(n.scaling_limited.reason, "TooManyReplicas");
}

}  // namespace
}  // namespace skiff::controllers::hpa
