// Stabilization and rate limits, as kube's normalizeDesiredReplicas[WithBehaviors].
#include "controllers/hpa/normalize.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace skiff::controllers::hpa {
namespace {

using std::chrono::seconds;

constexpr double kScaleUpLimitFactor = 2.0;
constexpr int32_t kScaleUpLimitMinimum = 4;

int32_t ChangeInPeriod(int32_t period_seconds,
                       const std::vector<AutoscalerHistory::ScaleEvent>& events, SystemTime now) {
  SystemTime cutoff = now - seconds(period_seconds);
  int32_t sum = 0;
  for (const auto& e : events) {
    if (e.time > cutoff) sum += e.change;
  }
  return sum;
}

int32_t LongestPeriod(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return longest;
}

void StoreEvent(std::vector<AutoscalerHistory::ScaleEvent>& events, int32_t change,
                int32_t longest_period, SystemTime now) {
  SystemTime cutoff = now - seconds(longest_period);
  int reuse = -1;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].time < cutoff) events[i].outdated = true;
    if (events[i].outdated) reuse = static_cast<int>(i);
  }
  AutoscalerHistory::ScaleEvent e{.change = change, .time = now};
  if (reuse >= 0) {
    events[reuse] = e;
  } else {
    events.push_back(e);
  }
}

}  // namespace

void RecordInitialRecommendation(AutoscalerHistory& history, int32_t current_replicas,
                                 SystemTime now) {
  if (history.recommendations.empty()) history.recommendations.push_back({current_replicas, now});
}

Normalized NormalizeLegacy(AutoscalerHistory& history, seconds downscale_window, int32_t current,
                           int32_t desired, int32_t min_replicas, int32_t max_replicas,
                           SystemTime now) {
  Normalized out;
  // kube's stabilizeRecommendation: the highest recommendation of the window wins; the oldest
  // stale slot is reused for this one.
  int32_t stabilized = desired;
  SystemTime cutoff = now - downscale_window;
  int old_index = -1;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const auto& r = history.recommendations[i];
    if (r.time < cutoff) {
      old_index = static_cast<int>(i);
    } else {
      stabilized = std::max(stabilized, r.replicas);
    }
  }
  if (old_index >= 0) {
    history.recommendations[old_index] = {desired, now};
  } else {
    history.recommendations.push_back({desired, now});
  }
  if (stabilized != desired) {
    out.able_to_scale = {"True", "ScaleDownStabilized",
                         "recent recommendations were higher than current one, applying the "
                         "highest recent recommendation"};
  } else {
    out.able_to_scale = {"True", "ReadyForNewScale", "recommended size matches current size"};
  }
  // kube's convertDesiredReplicasWithRules: guards against a bogus usage spike.
  int32_t scale_up_limit = static_cast<int32_t>(
      std::max(kScaleUpLimitFactor * current, static_cast<double>(kScaleUpLimitMinimum)));
  int32_t max_allowed;
  std::string reason, message;
  if (max_replicas > scale_up_limit) {
    max_allowed = scale_up_limit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the maximum scale rate";
  } else {
    max_allowed = max_replicas;
    reason = "TooManyReplicas";
    message = "the desired replica count is more than the maximum replica count";
  }
  if (stabilized < min_replicas) {
    out.replicas = min_replicas;
    out.scaling_limited = {"True", "TooFewReplicas",
                           "the desired replica count is less than the minimum replica count"};
  } else if (stabilized > max_allowed) {
    out.replicas = max_allowed;
    out.scaling_limited = {"True", reason, message};
  } else {
    out.replicas = stabilized;
    out.scaling_limited = {"False", "DesiredWithinRange",
                           "the desired count is within the acceptable range"};
  }
  return out;
}

Normalized NormalizeWithBehavior(AutoscalerHistory& history, const Behavior& behavior,
                                 seconds downscale_window, int32_t current, int32_t desired,
                                 int32_t min_replicas, int32_t max_replicas, SystemTime now) {
  Normalized out;
  int32_t up_window = behavior.scale_up.stabilization_window_seconds.value_or(0);
  int32_t down_window = behavior.scale_down.stabilization_window_seconds.value_or(
      static_cast<int32_t>(downscale_window.count()));
  // kube's stabilizeRecommendationWithBehaviors: scaling up takes the lowest recommendation of
  // the up window, scaling down the highest of the down window.
  bool up = desired >= current;
  SystemTime cutoff = now - seconds(up ? up_window : down_window);
  SystemTime obsolete = now - seconds(std::max(up_window, down_window));
  int32_t stabilized = desired;
  int old_index = -1;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const auto& r = history.recommendations[i];
    if (r.time > cutoff) {
      stabilized = up ? std::min(stabilized, r.replicas) : std::max(stabilized, r.replicas);
    }
    if (r.time < obsolete) old_index = static_cast<int>(i);
  }
  if (old_index >= 0) {
    history.recommendations[old_index] = {desired, now};
  } else {
    history.recommendations.push_back({desired, now});
  }
  if (stabilized != desired) {
    out.able_to_scale =
        up ? ConditionProposal{"True", "ScaleUpStabilized",
                               "recent recommendations were lower than current one, applying the "
                               "lowest recent recommendation"}
           : ConditionProposal{"True", "ScaleDownStabilized",
                               "recent recommendations were higher than current one, applying "
                               "the highest recent recommendation"};
  } else {
    out.able_to_scale = {"True", "ReadyForNewScale", "recommended size matches current size"};
  }
  // kube's convertDesiredReplicasWithBehaviorRate.
  out.replicas = stabilized;
  out.scaling_limited = {"False", "DesiredWithinRange",
                         "the desired count is within the acceptable range"};
  if (stabilized > current) {
    int32_t limit = std::max(current, ScaleUpLimit(current, history, behavior.scale_up, now));
    int32_t max_allowed = max_replicas;
    ConditionProposal why{"True", "TooManyReplicas",
                          "the desired replica count is more than the maximum replica count"};
    if (max_allowed > limit) {
      max_allowed = limit;
      why = {"True", "ScaleUpLimit",
             "the desired replica count is increasing faster than the maximum scale rate"};
    }
    if (stabilized > max_allowed) {
      out.replicas = max_allowed;
      out.scaling_limited = why;
    }
  } else if (stabilized < current) {
    int32_t limit = std::min(current, ScaleDownLimit(current, history, behavior.scale_down, now));
    int32_t min_allowed = min_replicas;
    ConditionProposal why{"True", "TooFewReplicas",
                          "the desired replica count is less than the minimum replica count"};
    if (min_allowed < limit) {
      min_allowed = limit;
      why = {"True", "ScaleDownLimit",
             "the desired replica count is decreasing faster than the maximum scale rate"};
    }
    if (stabilized < min_allowed) {
      out.replicas = min_allowed;
      out.scaling_limited = why;
    }
  }
  return out;
}

void StoreScaleEvent(AutoscalerHistory& history, const Behavior& behavior, int32_t previous,
                     int32_t next, SystemTime now) {
  if (next > previous) {
    StoreEvent(history.scale_up_events, next - previous, LongestPeriod(behavior.scale_up), now);
  } else if (next < previous) {
    StoreEvent(history.scale_down_events, previous - next, LongestPeriod(behavior.scale_down), now);
  }
}

int32_t ScaleUpLimit(int32_t current, const AutoscalerHistory& history, const ScalingRules& rules,
                     SystemTime now) {
  if (rules.select_policy == "Disabled") return current;
  bool pick_min = rules.select_policy == "Min";
  int32_t result = pick_min ? INT32_MAX : INT32_MIN;
  for (const auto& p : rules.policies) {
    int32_t period_start = current -
                           ChangeInPeriod(p.period_seconds, history.scale_up_events, now) +
                           ChangeInPeriod(p.period_seconds, history.scale_down_events, now);
    int32_t proposed = 0;
    if (p.type == "Pods") {
      proposed = period_start + p.value;
    } else if (p.type == "Percent") {
      // Rounded up, or a small target could never grow.
      proposed = static_cast<int32_t>(
          std::ceil(static_cast<double>(period_start) * (1.0 + p.value / 100.0)));
    }
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

int32_t ScaleDownLimit(int32_t current, const AutoscalerHistory& history, const ScalingRules& rules,
                       SystemTime now) {
  if (rules.select_policy == "Disabled") return current;
  // For scale-down the "Min" policy is the one removing the fewest pods: the highest floor.
  bool pick_min_change = rules.select_policy == "Min";
  int32_t result = pick_min_change ? INT32_MIN : INT32_MAX;
  for (const auto& p : rules.policies) {
    int32_t period_start = current +
                           ChangeInPeriod(p.period_seconds, history.scale_down_events, now) -
                           ChangeInPeriod(p.period_seconds, history.scale_up_events, now);
    int32_t proposed = 0;
    if (p.type == "Pods") {
      proposed = period_start - p.value;
    } else if (p.type == "Percent") {
      proposed = static_cast<int32_t>(static_cast<double>(period_start) * (1.0 - p.value / 100.0));
    }
    result = pick_min_change ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

}  // namespace skiff::controllers::hpa
