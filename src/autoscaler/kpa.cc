// Kpa: knative pkg/autoscaler/scaling/autoscaler.go (desired pods) followed by
// pkg/reconciler/autoscaling/kpa/{scaler.go (bounds, scale to zero), kpa.go (Active condition,
// SKS mode)}, rewritten for Skiff's single-process controller. autoscaling.md §1.3-1.4.
#include "autoscaler/kpa.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace skiff::autoscaler {
namespace {

// max(2, x) as an int32, saturating: huge targets or burst capacities must not overflow.
int32_t SaturatedCount(double x) {
  if (!(x > 2.0)) return 2;
  if (x >= 2147483647.0) return 2147483647;
  return static_cast<int32_t>(x);
}

using std::chrono::milliseconds;

// Knative's scaleUnknown: the scaler leaves the Deployment as it is.
constexpr int32_t kScaleUnknown = -1;

int32_t ClampToInt(double x, double lo, double hi) {
  const double v = std::min(std::max(x, lo), hi);
  return v >= static_cast<double>(INT32_MAX) ? INT32_MAX : static_cast<int32_t>(v);
}

// scaler.go applyBounds; max 0 = no cap.
int32_t ApplyBounds(int32_t min, int32_t max, int32_t x) {
  if (x < min) {
    return min;
  }
  if (max != 0 && x > max) {
    return max;
  }
  return x;
}

int64_t TickIndex(std::chrono::steady_clock::time_point t, milliseconds tick) {
  const int64_t ms = std::chrono::floor<milliseconds>(t.time_since_epoch()).count();
  const int64_t k = std::max<int64_t>(1, tick.count());
  return ms >= 0 ? ms / k : -((-ms + k - 1) / k);
}

}  // namespace

Kpa::Kpa(KpaConfig config, TimePoint created, int32_t ready_pods_at_start)
    : config_(std::move(config)), metrics_(config_.stable_window), activity_since_(created) {
  // autoscaler.go newAutoscaler: keep the current scale until enough data has accumulated.
  if (ready_pods_at_start > 1) {
    panic_time_ = created;
    max_panic_pods_ = ready_pods_at_start;
  }
}

void Kpa::UpdateConfig(KpaConfig config) {
  if (config.tick != config_.tick) {
    delay_window_.clear();  // tick indices change meaning
  }
  config_ = std::move(config);
  metrics_.set_retain(config_.stable_window);
}

void Kpa::Restore(Activity activity, TimePoint since, bool scale_target_initialized) {
  activity_ = activity;
  activity_since_ = since;
  initialized_ = scale_target_initialized;
}

void Kpa::Record(TimePoint t, double concurrency, double rps) {
  metrics_.Record(t, std::max(0.0, concurrency), std::max(0.0, rps));
}

void Kpa::Poke(TimePoint t) {
  if (!last_poke_ || t > *last_poke_) {
    last_poke_ = t;
  }
}

void Kpa::SetActivity(Activity activity, TimePoint now) {
  if (activity != activity_) {
    activity_ = activity;
    activity_since_ = now;  // the condition's lastTransitionTime
  }
}

int32_t Kpa::DelayScaleDown(TimePoint now, int32_t desired) {
  const int64_t tick_ms = std::max<int64_t>(1, config_.tick.count());
  const int64_t buckets =
      std::max<int64_t>(1, (config_.scale_down_delay.count() + tick_ms - 1) / tick_ms);
  const int64_t index = TickIndex(now, config_.tick);
  while (!delay_window_.empty() && index - delay_window_.front().first >= buckets) {
    delay_window_.pop_front();
  }
  // A descending-maxima window (max/window.go): a new value retires every older smaller one.
  int32_t value = desired;
  if (!delay_window_.empty() && delay_window_.back().first == index) {
    value = std::max(value, delay_window_.back().second);
    delay_window_.pop_back();
  }
  while (!delay_window_.empty() && delay_window_.back().second <= value) {
    delay_window_.pop_back();
  }
  delay_window_.emplace_back(index, value);
  return delay_window_.front().second;
}

int32_t Kpa::DesiredPods(TimePoint now, int32_t ready_pods, bool reachable, Decision& d) {
  const KpaConfig& c = config_;
  const MetricKind kind = c.metric == kMetricRps ? MetricKind::kRps : MetricKind::kConcurrency;
  d.stable_observed = metrics_.Average(now, c.stable_window, kind);
  d.panic_observed = metrics_.Average(now, PanicWindow(c), kind);

  const double ready = std::max(1.0, static_cast<double>(ready_pods));
  // maxUp lets a conservative rate still add a pod; maxDown halves at most per tick (rate 2),
  // and is 0 for an unreachable revision so it may drop straight to 0.
  const double max_up = std::ceil(c.max_scale_up_rate * ready);
  const double max_down = reachable ? std::floor(ready / c.max_scale_down_rate) : 0.0;
  const double target = std::max(kTargetMin, c.target);  // a hand-built config may hold 0
  double dspc = std::ceil(d.stable_observed / target);
  const double dppc = std::ceil(d.panic_observed / target);
  // Skiff: a cold request counts as traffic for a stable window. In Knative the activator's
  // reported concurrency does this through the metric itself.
  if (last_poke_ && now - *last_poke_ < c.stable_window) {
    dspc = std::max(dspc, 1.0);
  }
  int32_t stable_pods = ClampToInt(dspc, max_down, max_up);
  int32_t panic_pods = ClampToInt(dppc, max_down, max_up);
  if (c.activation_scale > 1) {
    if (dspc > 0 && c.activation_scale > stable_pods) {
      stable_pods = c.activation_scale;
    }
    if (dppc > 0 && c.activation_scale > panic_pods) {
      panic_pods = c.activation_scale;
    }
  }

  const bool over_threshold = dppc / ready >= c.panic_threshold_percentage / 100.0;
  if (over_threshold) {
    panic_time_ = now;  // start, or extend while still over the threshold
  } else if (panic_time_ && *panic_time_ + c.stable_window < now) {
    // The surge has made its way into the stable window.
    panic_time_.reset();
    max_panic_pods_ = 0;
  }

  int32_t desired = stable_pods;
  d.reason = "stable";
  if (panic_time_) {
    // Provision for the larger of the two windows and never scale down while panicking.
    desired = std::max(desired, panic_pods);
    max_panic_pods_ = std::max(max_panic_pods_, desired);
    desired = max_panic_pods_;
    d.reason = "panic";
  }
  d.panicking = panic_time_.has_value();

  // Knative records every decision in the delay window; Skiff, following the reference, only
  // while reachable, since an unreachable revision should go to 0 without lingering.
  if (reachable && c.scale_down_delay > milliseconds(0)) {
    const int32_t delayed = DelayScaleDown(now, desired);
    if (delayed != desired) {
      desired = delayed;
      d.reason = "scale-down delay";
    }
  }

  // Excess burst capacity: spare capacity beyond the burst we want absorbed without queueing.
  const double tbc = c.target_burst_capacity;
  const double total_capacity = static_cast<double>(ready_pods) * c.total_target;
  if (tbc == 0) {
    d.excess_burst_capacity = 0;
    d.num_activators = 2;
  } else if (tbc > 0) {
    d.excess_burst_capacity = std::floor(total_capacity - tbc - d.panic_observed);
    d.num_activators = SaturatedCount(std::ceil((total_capacity + tbc) / c.activator_capacity));
  } else {
    d.excess_burst_capacity = -1;
    d.num_activators = SaturatedCount(std::ceil(total_capacity / c.activator_capacity));
  }
  return desired;
}

Kpa::Decision Kpa::Decide(TimePoint now, int32_t ready_pods, int32_t current_replicas,
                          bool reachable) {
  const KpaConfig& c = config_;
  Decision d;
  const int32_t desired = DesiredPods(now, ready_pods, reachable, d);
  d.desired = desired;
  const bool poked = last_poke_ && now - *last_poke_ < c.stable_window;

  // scaler.go Scale: bounds. min-scale only binds a reachable revision; until the revision has
  // once reached initial-scale that is a floor too. Knative applies it only for initial-scale
  // > 1 because it creates the Deployment at the initial scale and leaves it alone until
  // metrics arrive; Skiff's caller may create it at any size, so 1 is enforced here too.
  const int32_t bounds_min = reachable ? c.min_scale : 0;
  int32_t min = bounds_min;
  if (!initialized_ && c.initial_scale > min) {
    min = c.initial_scale;
  }
  int32_t want = ApplyBounds(min, c.max_scale, desired);
  if (want > desired) {
    d.reason = min > bounds_min ? "initial scale" : "min-scale";
  } else if (want < desired) {
    d.reason = "max-scale";
  } else if (poked && activity_ != Activity::kActive) {
    d.reason = "scale from zero";
  }

  // scaler.go handleScaleToZero.
  bool apply = true;
  if (want == 0) {
    if (!c.enable_scale_to_zero) {
      want = 1;
      d.reason = "scale to zero disabled";
    } else {
      switch (activity_) {
        case Activity::kActivating:
          // Pods were asked for and never became ready: give up only after the timeout.
          if (now - activity_since_ >= c.activation_timeout) {
            d.reason = "activation timed out";
          } else {
            want = kScaleUnknown;
            apply = false;
            d.reason = "activating";
          }
          break;
        case Activity::kActive:
          if (now - activity_since_ >= c.stable_window) {
            apply = false;  // want stays 0: mark Inactive, keep the pod for the grace period
            d.reason = "no traffic for a stable window: deactivating";
          } else {
            want = 1;  // at most 1 for the rest of the idle period
            d.reason = "idle: waiting out the stable window";
          }
          break;
        case Activity::kInactive: {
          // Skiff's gateway puts its activator in the path as soon as the revision is inactive,
          // so Knative's "proxied for the grace period" fast path coincides with the
          // inactive-for check; the retention period is a hard minimum on top.
          const auto linger = std::max(c.scale_to_zero_grace, c.pod_retention);
          if (now - activity_since_ >= linger) {
            d.reason = "scale to zero after grace";
          } else {
            apply = false;
            d.reason = "inactive: waiting for grace period";
          }
          break;
        }
      }
    }
  }
  if (apply) {
    d.replicas = want;
  } else if (want == 0) {
    d.replicas = std::min(current_replicas, 1);  // the last pod lingers
  } else {
    d.replicas = current_replicas;
  }

  // kpa.go: SKS mode, from the status before this tick's condition update.
  d.activator_in_path = want == 0 || d.excess_burst_capacity < 0 || ready_pods == 0 ||
                        (want == kScaleUnknown && activity_ == Activity::kInactive);

  // kpa.go computeActiveCondition (activeThreshold computed before initialization is noted).
  const int32_t min_ready =
      initialized_ ? std::max(bounds_min, 1) : std::max(bounds_min, c.initial_scale);
  if (ready_pods >= min_ready) {
    initialized_ = true;
  }
  if (want == 0 || min_ready == 0) {
    SetActivity(Activity::kInactive, now);
  } else if (ready_pods < min_ready) {
    if (want > 0 || activity_ != Activity::kInactive) {
      SetActivity(Activity::kActivating, now);
    }
  } else if (want > 0 || activity_ != Activity::kInactive) {
    SetActivity(Activity::kActive, now);
  }
  d.active = activity_ != Activity::kInactive;
  d.activating = activity_ == Activity::kActivating;
  d.scale_target_initialized = initialized_;
  return d;
}

}  // namespace skiff::autoscaler
