// KpaConfig: one revision's Knative Pod Autoscaler settings, resolved from the cluster
// `config-autoscaler` ConfigMap data, the revision's autoscaling.knative.dev/* annotations and
// its containerConcurrency, with Knative's defaults and ranges (autoscaling.md §1.1-1.2).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::autoscaler {

inline constexpr std::string_view kMetricConcurrency = "concurrency";
inline constexpr std::string_view kMetricRps = "rps";
inline constexpr std::string_view kClassKpa = "kpa.autoscaling.knative.dev";
inline constexpr std::string_view kClassHpa = "hpa.autoscaling.knative.dev";
// Knative's autoscaling.TargetMin: the smallest per-pod target.
inline constexpr double kTargetMin = 0.01;

// Knative's defaults (config/core/configmaps/autoscaler.yaml). Durations are whole seconds
// except `tick`, and the panic window is derived (see PanicWindow).
struct KpaConfig {
  std::string metric = "concurrency";  // "concurrency" or "rps"
  double total_target = 100;           // per pod, before utilization (CC or target-default)
  double target = 70;                  // per pod, = max(0.01, total_target * utilization)
  double target_burst_capacity = 211;  // 0: activator only at zero; -1: activator always
  std::chrono::milliseconds stable_window{60'000};
  double panic_window_percentage = 10;
  double panic_threshold_percentage = 200;
  double max_scale_up_rate = 1000, max_scale_down_rate = 2;
  bool enable_scale_to_zero = true;
  std::chrono::milliseconds scale_to_zero_grace{30'000};
  std::chrono::milliseconds pod_retention{0};
  std::chrono::milliseconds scale_down_delay{0};
  int32_t min_scale = 0, max_scale = 0 /*0 = no cap*/, initial_scale = 1, activation_scale = 1;
  std::chrono::milliseconds tick{2000};  // decision interval (Skiff extension, configurable)
  // Concurrent requests one activator handles; only feeds Decision::num_activators.
  double activator_capacity = 100;
  // How long a revision may stay Activating (pods asked for, none ready) with no traffic left
  // before it is given up and scaled to 0: Knative's progress deadline (600 s) + 30 s.
  std::chrono::milliseconds activation_timeout{630'000};

  bool operator==(const KpaConfig&) const = default;
};

// The panic window: stable_window × panic_window_percentage / 100, rounded to whole seconds and
// at least one 1 s bucket (Knative's MakeMetric).
std::chrono::milliseconds PanicWindow(const KpaConfig& config);

// Resolves one revision's KpaConfig. `cluster` is config-autoscaler's data (Knative keys such as
// "stable-window", "container-concurrency-target-default", ..., plus Skiff's "tick-interval");
// `annotations` are the revision's annotations (only autoscaling.knative.dev/* keys are read,
// kebab-case first, then Knative's legacy camelCase spellings); `container_concurrency` is the
// revision's containerConcurrency (0 = unlimited). The target follows ResolveMetricTarget.
// Durations take Go forms ("60s", "1m30s", "500ms"). Ranges are upstream's, except that Skiff
// allows stable windows from 1 s (upstream 6 s) so tests can be short.
// Errors: InvalidArgument whose message starts with the offending key.
StatusOr<KpaConfig> ResolveKpaConfig(const std::map<std::string, std::string>& cluster,
                                     const std::map<std::string, std::string>& annotations,
                                     int64_t container_concurrency);

// Go's time.ParseDuration: "300ms", "-1.5h", "2h45m", "0"; units ns, us, µs, ms, s, m, h.
// Errors: InvalidArgument.
StatusOr<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace skiff::autoscaler
