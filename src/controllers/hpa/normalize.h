// From a metric-based recommendation to the replica count the HPA writes (kube's horizontal.go):
// min/max clamps, stabilization windows over past recommendations, and the scaling policies'
// rate limits over past scale events, with the AbleToScale / ScalingLimited reasons they imply.
// Pure: callers pass `now`; the per-HPA history lives in AutoscalerHistory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "controllers/hpa/hpa_view.h"

namespace skiff::controllers::hpa {

// What the controller remembers per HPA between syncs (kube keeps the same in memory).
struct AutoscalerHistory {
  struct Recommendation {
    int32_t replicas = 0;
    SystemTime time{};
  };
  struct ScaleEvent {
    int32_t change = 0;  // replicas added (scale-up list) or removed (scale-down list)
    SystemTime time{};
    bool outdated = false;
  };
  std::vector<Recommendation> recommendations;
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;
};

// A condition the normalization decided on.
struct ConditionProposal {
  std::string status;  // "True" / "False"
  std::string reason;
  std::string message;
};

struct Normalized {
  int32_t replicas = 0;
  ConditionProposal able_to_scale;    // ReadyForNewScale, ScaleUpStabilized, ScaleDownStabilized
  ConditionProposal scaling_limited;  // DesiredWithinRange, TooManyReplicas, TooFewReplicas,
                                      // ScaleUpLimit, ScaleDownLimit
};

// kube's recordInitialRecommendation: the first sync seeds the history with the current size.
void RecordInitialRecommendation(AutoscalerHistory& history, int32_t current_replicas,
                                 SystemTime now);

// Without spec.behavior: the downscale stabilization window (the controller flag) and a scale-up
// cap of max(2 x current, 4) per sync.
Normalized NormalizeLegacy(AutoscalerHistory& history, std::chrono::seconds downscale_window,
                           int32_t current, int32_t desired, int32_t min_replicas,
                           int32_t max_replicas, SystemTime now);

// With spec.behavior: per-direction stabilization, then the selected policy's rate limit.
// `behavior.scale_down.stabilization_window_seconds` unset means `downscale_window`.
Normalized NormalizeWithBehavior(AutoscalerHistory& history, const Behavior& behavior,
                                 std::chrono::seconds downscale_window, int32_t current,
                                 int32_t desired, int32_t min_replicas, int32_t max_replicas,
                                 SystemTime now);

// After a rescale: remembers the change for the policies' periods (only with behavior).
void StoreScaleEvent(AutoscalerHistory& history, const Behavior& behavior, int32_t previous,
                     int32_t next, SystemTime now);

// The most replicas the rules allow now (kube's calculateScaleUpLimitWithScalingRules) and the
// fewest (calculateScaleDownLimitWithBehaviors). Each policy measures from the size at the start
// of its period, undoing the scale events since then.
int32_t ScaleUpLimit(int32_t current, const AutoscalerHistory& history, const ScalingRules& rules,
                     SystemTime now);
int32_t ScaleDownLimit(int32_t current, const AutoscalerHistory& history, const ScalingRules& rules,
                       SystemTime now);

}  // namespace skiff::controllers::hpa
