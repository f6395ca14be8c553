// Kpa: one revision's Knative Pod Autoscaler decision logic (autoscaling.md §1.3-1.4):
// the 2 s desired-pod computation (stable/panic windows, rate limits, activation scale,
// scale-down delay, excess burst capacity) followed by the PodAutoscaler's bounds, initial
// scale and the Active → Inactive → zero state machine. Pure: no I/O, no threads, no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "autoscaler/config.h"
#include "autoscaler/metric_window.h"

namespace skiff::autoscaler {

// The PodAutoscaler's Active condition: Unknown (pods asked for, not yet ready), True, False.
enum class Activity { kActivating, kActive, kInactive };

// One revision's autoscaler state. Not thread-safe (the caller serialises).
class Kpa {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `created` starts the Activating period (activation timeout). `ready_pods_at_start` > 1
  // starts in panic mode holding that many pods, as Knative does after an autoscaler restart
  // so that lost metric history does not scale a busy revision down.
  Kpa(KpaConfig config, TimePoint created, int32_t ready_pods_at_start = 0);

  const KpaConfig& config() const { return config_; }
  // Keeps the recorded metrics, panic state and scale-down-delay history.
  void UpdateConfig(KpaConfig config);

  // Seeds the PodAutoscaler status after a controller restart (Knative keeps it in the PA's
  // conditions): the Active condition, when it last changed, and whether the revision has
  // reached its initial scale. Without it a restarted revision starts Activating and
  // un-initialized, which brings a scaled-to-zero revision back to initial_scale.
  void Restore(Activity activity, TimePoint since, bool scale_target_initialized);

  // Metric samples (revision-wide totals: in-flight requests incl. held ones, and requests/s),
  // any rate; aggregated into 1 s buckets averaged like Knative's collector. Record at least
  // once per decision tick, zeros included: a second without a sample repeats the previous
  // sample, and samples stopping altogether read as 0 only a whole stable window later.
  void Record(TimePoint t, double concurrency, double rps);

  // The activator saw a request while the revision has no ready pod (scale from zero): the next
  // Decide returns at least max(1, activation_scale) (capped by max_scale), and the poke counts
  // as traffic for a whole stable window so the revision is not judged idle meanwhile.
  void Poke(TimePoint t);

  struct Decision {
    int32_t replicas = 0;  // what to write to the Deployment (after all clamps and the
                           // scale-to-zero state machine)
    int32_t desired = 0;   // the raw KPA desired pods before min/max and scale-to-zero handling
    bool panicking = false;
    double stable_observed = 0, panic_observed = 0;
    double excess_burst_capacity = 0;
    bool active = true;  // PA Active condition (false once inactive / scaled to zero)
    std::string reason;  // short human text for events/logs ("panic", "scale to zero after
                         // grace", ...)
    // Skiff additions.
    bool activating = false;  // Active=Unknown: pods requested, fewer ready than needed
    bool scale_target_initialized = false;  // the revision has reached initial_scale once
    // Knative's SKS mode: route through the activator (Proxy) rather than straight to pods
    // (Serve): desired 0, no ready pod, or excess burst capacity < 0 (always with TBC = -1).
    bool activator_in_path = true;
    int32_t num_activators = 2;  // max(2, ceil((ready × total + TBC) / activator-capacity))
  };

  // One decision tick. ready_pods: ready pods now. reachable: the revision has traffic routed
  // to it (min_scale applies only when reachable; an unreachable revision goes to 0).
  // current_replicas: the Deployment's spec.replicas now.
  Decision Decide(TimePoint now, int32_t ready_pods, int32_t current_replicas, bool reachable);

 private:
  // Knative's autoscaler.Scale: desired pods from the metrics (before bounds).
  int32_t DesiredPods(TimePoint now, int32_t ready_pods, bool reachable, Decision& d);
  // Knative's max.TimeWindow over `tick` buckets: the largest desired count in the delay.
  int32_t DelayScaleDown(TimePoint now, int32_t desired);
  void SetActivity(Activity activity, TimePoint now);

  KpaConfig config_;
  MetricWindow metrics_;
  Activity activity_ = Activity::kActivating;
  TimePoint activity_since_;
  bool initialized_ = false;
  std::optional<TimePoint> panic_time_;
  int32_t max_panic_pods_ = 0;
  std::optional<TimePoint> last_poke_;
  std::deque<std::pair<int64_t, int32_t>> delay_window_;  // (tick index, max desired)
};

}  // namespace skiff::autoscaler
