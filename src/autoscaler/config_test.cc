// Tests for ResolveKpaConfig: Knative defaults, target resolution, annotation overrides and
// the error for each bad value.
#include "autoscaler/config.h"

#include <gtest/gtest.h>

namespace skiff::autoscaler {
namespace {

using std::chrono::milliseconds;
using Map = std::map<std::string, std::string>;

constexpr char kPrefix[] = "autoscaling.knative.dev/";

Map Ann(std::initializer_list<std::pair<std::string, std::string>> kv) {
  Map m;
  for (const auto& [k, v] : kv) {
    m[std::string(kPrefix) + k] = v;
  }
  return m;
}

KpaConfig MustResolve(const Map& cluster, const Map& annotations, int64_t cc = 0) {
  auto c = ResolveKpaConfig(cluster, annotations, cc);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : KpaConfig{};
}

// The error message for one bad input; empty when it resolved.
std::string ErrorOf(const Map& cluster, const Map& annotations, int64_t cc = 0) {
  auto c = ResolveKpaConfig(cluster, annotations, cc);
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

TEST(ResolveKpaConfigTest, DefaultsMatchKnative) {
  KpaConfig c = MustResolve({}, {});
  EXPECT_EQ(c.metric, "concurrency");
  EXPECT_DOUBLE_EQ(c.total_target, 100);
  EXPECT_DOUBLE_EQ(c.target, 70);
  EXPECT_DOUBLE_EQ(c.target_burst_capacity, 211);
  EXPECT_EQ(c.stable_window, milliseconds(60'000));
  EXPECT_EQ(PanicWindow(c), milliseconds(6'000));
  EXPECT_DOUBLE_EQ(c.panic_window_percentage, 10);
  EXPECT_DOUBLE_EQ(c.panic_threshold_percentage, 200);
  EXPECT_DOUBLE_EQ(c.max_scale_up_rate, 1000);
  EXPECT_DOUBLE_EQ(c.max_scale_down_rate, 2);
  EXPECT_TRUE(c.enable_scale_to_zero);
  EXPECT_EQ(c.scale_to_zero_grace, milliseconds(30'000));
  EXPECT_EQ(c.pod_retention, milliseconds(0));
  EXPECT_EQ(c.scale_down_delay, milliseconds(0));
  EXPECT_EQ(c.min_scale, 0);
  EXPECT_EQ(c.max_scale, 0);
  EXPECT_EQ(c.initial_scale, 1);
  EXPECT_EQ(c.activation_scale, 1);
  EXPECT_EQ(c.tick, milliseconds(2000));
}

TEST(ResolveKpaConfigTest, TargetResolution) {
  // containerConcurrency is the total when set.
  EXPECT_DOUBLE_EQ(MustResolve({}, {}, 10).target, 7);
  EXPECT_DOUBLE_EQ(MustResolve({}, {}, 10).total_target, 10);
  // KServe scaleTarget: 1 → target annotation 1 → 0.7.
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"target", "1"}})).target, 0.7);
  // rps: requests-per-second-target-default 200 × 0.7.
  KpaConfig rps = MustResolve({}, Ann({{"metric", "rps"}}));
  EXPECT_EQ(rps.metric, "rps");
  EXPECT_DOUBLE_EQ(rps.target, 140);
  EXPECT_DOUBLE_EQ(rps.total_target, 200);
  // rps ignores containerConcurrency; the target annotation replaces the default.
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"metric", "rps"}, {"target", "50"}}), 5).target, 35);
  // A concurrency target above containerConcurrency is capped by it.
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"target", "50"}}), 10).total_target, 10);
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"target", "5"}}), 10).total_target, 5);
  // Utilization from the annotation (percent) and from the ConfigMap (percent or fraction).
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"target-utilization-percentage", "50"}})).target, 50);
  EXPECT_DOUBLE_EQ(MustResolve({{"container-concurrency-target-percentage", "80"}}, {}).target, 80);
  EXPECT_DOUBLE_EQ(MustResolve({{"container-concurrency-target-percentage", "0.5"}}, {}).target,
                   50);
  EXPECT_DOUBLE_EQ(MustResolve({{"container-concurrency-target-default", "10"}}, {}).target, 7);
  // Never below TargetMin.
  EXPECT_DOUBLE_EQ(MustResolve({}, Ann({{"target", "0.01"}})).target, 0.01);
}

TEST(ResolveKpaConfigTest, ClusterKeys) {
  KpaConfig c = MustResolve({{"stable-window", "1m30s"},
                             {"panic-window-percentage", "20"},
                             {"panic-threshold-percentage", "150"},
                             {"max-scale-up-rate", "3"},
                             {"max-scale-down-rate", "4"},
                             {"enable-scale-to-zero", "false"},
                             {"scale-to-zero-grace-period", "10s"},
                             {"scale-to-zero-pod-retention-period", "1m"},
                             {"scale-down-delay", "15s"},
                             {"target-burst-capacity", "-1"},
                             {"min-scale", "1"},
                             {"max-scale", "9"},
                             {"initial-scale", "2"},
                             {"tick-interval", "500ms"}},
                            {});
  EXPECT_EQ(c.stable_window, milliseconds(90'000));
  EXPECT_EQ(PanicWindow(c), milliseconds(18'000));
  EXPECT_DOUBLE_EQ(c.panic_threshold_percentage, 150);
  EXPECT_DOUBLE_EQ(c.max_scale_up_rate, 3);
  EXPECT_DOUBLE_EQ(c.max_scale_down_rate, 4);
  EXPECT_FALSE(c.enable_scale_to_zero);
  EXPECT_EQ(c.scale_to_zero_grace, milliseconds(10'000));
  EXPECT_EQ(c.pod_retention, milliseconds(60'000));
  EXPECT_EQ(c.scale_down_delay, milliseconds(15'000));
  EXPECT_DOUBLE_EQ(c.target_burst_capacity, -1);
  EXPECT_EQ(c.min_scale, 1);
  EXPECT_EQ(c.max_scale, 9);
  EXPECT_EQ(c.initial_scale, 2);
  EXPECT_EQ(c.tick, milliseconds(500));
}

TEST(ResolveKpaConfigTest, AnnotationsOverrideCluster) {
  KpaConfig c = MustResolve({{"stable-window", "30s"}, {"min-scale", "1"}},
                            Ann({{"window", "2m"},
                                 {"panic-window-percentage", "5"},
                                 {"panic-threshold-percentage", "300"},
                                 {"target-burst-capacity", "0"},
                                 {"min-scale", "2"},
                                 {"max-scale", "8"},
                                 {"initial-scale", "3"},
                                 {"activation-scale", "4"},
                                 {"scale-down-delay", "20s"},
                                 {"scale-to-zero-pod-retention-period", "45s"}}));
  EXPECT_EQ(c.stable_window, milliseconds(120'000));
  EXPECT_EQ(PanicWindow(c), milliseconds(6'000));
  EXPECT_DOUBLE_EQ(c.panic_threshold_percentage, 300);
  EXPECT_DOUBLE_EQ(c.target_burst_capacity, 0);
  EXPECT_EQ(c.min_scale, 2);
  EXPECT_EQ(c.max_scale, 8);
  EXPECT_EQ(c.initial_scale, 3);
  EXPECT_EQ(c.activation_scale, 4);
  EXPECT_EQ(c.scale_down_delay, milliseconds(20'000));
  EXPECT_EQ(c.pod_retention, milliseconds(45'000));
}

TEST(ResolveKpaConfigTest, LegacyCamelCaseKeysAndPriority) {
  KpaConfig c = MustResolve({}, Ann({{"minScale", "2"}, {"maxScale", "5"}}));
  EXPECT_EQ(c.min_scale, 2);
  EXPECT_EQ(c.max_scale, 5);
  // kebab-case wins over camelCase.
  EXPECT_EQ(MustResolve({}, Ann({{"minScale", "2"}, {"min-scale", "3"}})).min_scale, 3);
  // Other prefixes are not ours.
  EXPECT_EQ(MustResolve({}, {{"serving.kserve.io/min-scale", "4"}}).min_scale, 0);
}

TEST(ResolveKpaConfigTest, ShortWindowsForTests) {
  KpaConfig c = MustResolve({{"stable-window", "2s"}, {"scale-to-zero-grace-period", "1s"}}, {});
  EXPECT_EQ(c.stable_window, milliseconds(2000));
  // 10% of 2 s rounds to 0 and is raised to one 1 s bucket.
  EXPECT_EQ(PanicWindow(c), milliseconds(1000));
  EXPECT_EQ(MustResolve({}, Ann({{"window", "1s"}})).stable_window, milliseconds(1000));
}

TEST(ResolveKpaConfigTest, BadAnnotationsNameTheKey) {
  struct Case {
    std::string key, value, want;
  };
  const Case cases[] = {
      {"metric", "cpu", "autoscaling.knative.dev/metric: invalid value \"cpu\""},
      {"target", "0", "autoscaling.knative.dev/target: target \"0\" should be at least 0.01"},
      {"target", "x", "autoscaling.knative.dev/target: target \"x\" should be at least 0.01"},
      {"target-utilization-percentage", "0.5",
       "autoscaling.knative.dev/target-utilization-percentage: \"0.5\" is outside [1, 100]"},
      {"target-utilization-percentage", "101", "is outside [1, 100]"},
      {"window", "0.5s", "autoscaling.knative.dev/window: \"0.5s\" is outside [1s, 3600s]"},
      {"window", "2h", "autoscaling.knative.dev/window: \"2h\" is outside [1s, 3600s]"},
      {"window", "1500ms", "at most second precision"},
      {"window", "sixty", "autoscaling.knative.dev/window: invalid value \"sixty\""},
      {"panic-window-percentage", "0.5", "panic-window-percentage: \"0.5\" is outside [1, 100]"},
      {"panic-threshold-percentage", "100",
       "panic-threshold-percentage: \"100\" is outside [110, 1000]"},
      {"panic-threshold-percentage", "1001", "is outside [110, 1000]"},
      {"target-burst-capacity", "-2", "target-burst-capacity: invalid value \"-2\""},
      {"min-scale", "-1", "autoscaling.knative.dev/min-scale: \"-1\" must be at least 0"},
      {"min-scale", "one", "autoscaling.knative.dev/min-scale: invalid value \"one\""},
      {"max-scale", "99999999999", "max-scale: invalid value \"99999999999\": out of range"},
      {"initial-scale", "0", "autoscaling.knative.dev/initial-scale: invalid value \"0\""},
      {"activation-scale", "0",
       "autoscaling.knative.dev/activation-scale: \"0\" must be at least 1"},
      {"scale-down-delay", "2h", "scale-down-delay: \"2h\" is outside [0s, 3600s]"},
      {"scale-down-delay", "1.5s", "at most second precision"},
      {"scale-to-zero-pod-retention-period", "-1s", "is outside [0s, 3600s]"},
      {"class", "hpa.autoscaling.knative.dev", "autoscaling.knative.dev/class: invalid value"},
      {"metric-aggregation-algorithm", "weighted-exponential", "not supported"},
  };
  for (const Case& c : cases) {
    const std::string err = ErrorOf({}, Ann({{c.key, c.value}}));
    EXPECT_NE(err.find(c.want), std::string::npos) << c.key << "=" << c.value << " → " << err;
  }
  EXPECT_NE(ErrorOf({}, Ann({{"min-scale", "5"}, {"max-scale", "3"}}))
                .find("autoscaling.knative.dev/max-scale: max-scale=3 is less than min-scale=5"),
            std::string::npos);
  EXPECT_NE(ErrorOf({}, Ann({{"max-scale", "3"}, {"activation-scale", "4"}}))
                .find("activation-scale=4 is greater than max-scale=3"),
            std::string::npos);
  // initial-scale 0 is fine once the cluster allows it.
  EXPECT_EQ(MustResolve({{"allow-zero-initial-scale", "true"}}, Ann({{"initial-scale", "0"}}))
                .initial_scale,
            0);
  EXPECT_NE(ErrorOf({}, {}, -1).find("containerConcurrency"), std::string::npos);
}

TEST(ResolveKpaConfigTest, BadClusterValuesNameTheKey) {
  const std::pair<Map, std::string> cases[] = {
      {{{"stable-window", "0s"}}, "stable-window: must be in [1s, 3600s]"},
      {{{"stable-window", "90"}}, "stable-window: invalid value \"90\""},
      {{{"scale-to-zero-grace-period", "0s"}}, "scale-to-zero-grace-period: must be positive"},
      {{{"scale-to-zero-pod-retention-period", "-5s"}}, "scale-to-zero-pod-retention-period"},
      {{{"scale-down-delay", "500ms"}}, "scale-down-delay: must be specified with at most second"},
      {{{"max-scale-up-rate", "1"}}, "max-scale-up-rate: must be greater than 1.0"},
      {{{"max-scale-down-rate", "0.5"}}, "max-scale-down-rate: must be greater than 1.0"},
      {{{"container-concurrency-target-percentage", "0"}},
       "container-concurrency-target-percentage: 0 is outside of valid range of (0, 100]"},
      {{{"container-concurrency-target-percentage", "120"}}, "outside of valid range"},
      {{{"requests-per-second-target-default", "0"}}, "requests-per-second-target-default"},
      {{{"target-burst-capacity", "-3"}}, "target-burst-capacity: must be non-negative or -1"},
      {{{"panic-window-percentage", "101"}}, "panic-window-percentage: must be in [1, 100]"},
      {{{"panic-threshold-percentage", "50"}},
       "panic-threshold-percentage: must be in [110, 1000]"},
      {{{"enable-scale-to-zero", "yes"}}, "enable-scale-to-zero: invalid value \"yes\""},
      {{{"initial-scale", "0"}}, "initial-scale: must be at least 0"},
      {{{"max-scale-limit", "5"}, {"max-scale", "6"}},
       "max-scale: must be in [1, max-scale-limit(5)]"},
      {{{"activator-capacity", "0.5"}}, "activator-capacity: must be at least 1"},
      {{{"tick-interval", "0s"}}, "tick-interval: must be in [1ms, 3600s]"},
      {{{"tick-interval", "2h"}}, "tick-interval: must be in [1ms, 3600s]"},
      {{{"scale-to-zero-grace-period", "25h"}}, "scale-to-zero-grace-period: must be at most 24h"},
      {{{"scale-to-zero-pod-retention-period", "25h"}},
       "scale-to-zero-pod-retention-period: must be at most 24h"},
      {{{"pod-autoscaler-class", "hpa.autoscaling.knative.dev"}}, "pod-autoscaler-class"},
  };
  for (const auto& [cluster, want] : cases) {
    const std::string err = ErrorOf(cluster, {});
    EXPECT_NE(err.find(want), std::string::npos) << want << " → " << err;
  }
  // max-scale-limit also bounds the annotation.
  EXPECT_NE(
      ErrorOf({{"max-scale-limit", "5"}, {"max-scale", "5"}}, Ann({{"max-scale", "7"}}))
          .find("autoscaling.knative.dev/max-scale: \"7\" must be in [1, max-scale-limit(5)]"),
      std::string::npos);
}

TEST(ParseGoDurationTest, GoForms) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(*ParseGoDuration("60s"), std::chrono::seconds(60));
  EXPECT_EQ(*ParseGoDuration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseGoDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseGoDuration("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseGoDuration("2h45m"), std::chrono::minutes(165));
  EXPECT_EQ(*ParseGoDuration("-1s"), std::chrono::seconds(-1));
  EXPECT_EQ(*ParseGoDuration("0"), nanoseconds(0));
  EXPECT_EQ(*ParseGoDuration("10us"), std::chrono::microseconds(10));
  EXPECT_EQ(*ParseGoDuration("10\xC2\xB5s"), std::chrono::microseconds(10));
  EXPECT_EQ(*ParseGoDuration(".5s"), milliseconds(500));
  for (const char* bad : {"", "60", "s", "1x", "1.s5", "--1s", "1 s", "10000000000h"}) {
    EXPECT_FALSE(ParseGoDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace skiff::autoscaler
