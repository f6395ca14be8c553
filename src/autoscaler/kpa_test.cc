// Tests for Kpa: Knative's desired-pod computation and the PodAutoscaler's bounds and
// scale-to-zero state machine, driven tick by tick with explicit time points.
#include "autoscaler/kpa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace skiff::autoscaler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

const TimePoint kT0 = TimePoint(seconds(1000));

// A revision whose pods become ready one tick after they are asked for.
struct Sim {
  explicit Sim(KpaConfig config) : kpa(config, kT0), tick(config.tick) {}

  // Advances one tick, records `concurrency` in-flight requests and decides.
  Kpa::Decision Tick(double concurrency, double rps = 0) {
    now += tick;
    kpa.Record(now, concurrency, rps);
    return DecideNow();
  }
  Kpa::Decision DecideNow() {
    last = kpa.Decide(now, ready, replicas, reachable);
    replicas = last.replicas;
    if (pods_follow) {
      ready = replicas;
    }
    return last;
  }
  // Ticks until `until` (inclusive) at a constant load.
  Kpa::Decision RunUntil(TimePoint until, double concurrency) {
    while (now + tick <= until) {
      Tick(concurrency);
    }
    return last;
  }

  Kpa kpa;
  milliseconds tick;
  TimePoint now = kT0;
  int32_t ready = 0;
  int32_t replicas = 0;
  bool reachable = true;
  bool pods_follow = true;
  Kpa::Decision last;
};

TEST(KpaTest, SteadyLoadSettlesAtLoadOverTarget) {
  Sim sim{KpaConfig{}};
  Kpa::Decision first = sim.Tick(350);
  // From zero ready pods 350/70 = 5 pods per pod-of-one: over the panic threshold.
  EXPECT_EQ(first.desired, 5);
  EXPECT_EQ(first.replicas, 5);
  EXPECT_TRUE(first.panicking);
  Kpa::Decision d = sim.RunUntil(kT0 + seconds(180), 350);
  EXPECT_EQ(d.desired, 5);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_FALSE(d.panicking);
  EXPECT_DOUBLE_EQ(d.stable_observed, 350);
  EXPECT_DOUBLE_EQ(d.panic_observed, 350);
  EXPECT_TRUE(d.active);
  EXPECT_FALSE(d.activating);
  EXPECT_EQ(d.reason, "stable");
}

TEST(KpaTest, RpsMetricUsesRequestsPerSecond) {
  KpaConfig c;
  c.metric = "rps";
  c.total_target = 200;
  c.target = 140;
  Sim sim{c};
  for (int i = 0; i < 60; ++i) {
    sim.Tick(/*concurrency=*/1, /*rps=*/700);  // concurrency is ignored
  }
  EXPECT_EQ(sim.last.desired, 5);
  EXPECT_DOUBLE_EQ(sim.last.stable_observed, 700);
}

TEST(KpaTest, MaxScaleCapsReplicasNotDesired) {
  KpaConfig c;
  c.max_scale = 3;
  Sim sim{c};
  Kpa::Decision d = sim.RunUntil(kT0 + seconds(120), 350);
  EXPECT_EQ(d.desired, 5);
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.reason, "max-scale");
}

TEST(KpaTest, MaxScaleUpRateLimitsGrowthPerTick) {
  KpaConfig c;
  c.max_scale_up_rate = 2;
  Sim sim{c};
  std::vector<int32_t> got;
  for (int i = 0; i < 5; ++i) {
    got.push_back(sim.Tick(700).desired);
  }
  // ceil(2 × max(1, ready)) each tick until 700/70 = 10.
  EXPECT_EQ(got, (std::vector<int32_t>{2, 4, 8, 10, 10}));
}

TEST(KpaTest, PanicStartsHoldsAndEndsAfterStableWindow) {
  Sim sim{KpaConfig{}};
  sim.RunUntil(kT0 + seconds(120), 140);
  ASSERT_EQ(sim.last.replicas, 2);
  ASSERT_FALSE(sim.last.panicking);

  // Burst: the 6 s panic window crosses 2× what 2 pods handle.
  sim.Tick(700);
  EXPECT_TRUE(sim.last.panicking);
  EXPECT_EQ(sim.last.reason, "panic");
  const TimePoint panic_start = sim.now;
  sim.RunUntil(panic_start + seconds(10), 700);
  const int32_t max_seen = sim.last.replicas;
  EXPECT_EQ(max_seen, 10);

  // Load falls to one pod's worth: no scale-down while panicking, though stable wants less.
  // The last tick over the threshold was the first one (ready pods caught up after), so
  // panic lasts until a stable window after it.
  while (sim.now + sim.tick <= panic_start + seconds(60)) {
    Kpa::Decision d = sim.Tick(70);
    EXPECT_TRUE(d.panicking);
    EXPECT_EQ(d.replicas, max_seen);
    EXPECT_EQ(d.desired, max_seen);
  }
  EXPECT_LT(std::ceil(sim.last.stable_observed / 70), max_seen);

  // Panic ends once the last over-threshold tick is more than a stable window old; then the
  // scale-down is limited to halving.
  sim.Tick(70);
  EXPECT_FALSE(sim.last.panicking);
  EXPECT_EQ(sim.last.replicas, max_seen / 2);
  EXPECT_EQ(sim.last.reason, "stable");
}

TEST(KpaTest, PanicThresholdIsDppcOverReadyPods) {
  KpaConfig c;
  Sim sim{c};
  sim.pods_follow = false;
  sim.ready = 4;
  sim.replicas = 4;
  // 7 pods' worth on 4 ready: 7/4 < 2, no panic.
  sim.Tick(490);
  EXPECT_FALSE(sim.last.panicking);
  // 8 pods' worth: 8/4 >= 2, panic.
  Sim sim2{c};
  sim2.pods_follow = false;
  sim2.ready = 4;
  sim2.replicas = 4;
  sim2.Tick(560);
  EXPECT_TRUE(sim2.last.panicking);
}

TEST(KpaTest, MaxScaleDownRateHalvesPerTick) {
  KpaConfig c;
  c.stable_window = milliseconds(6000);
  Kpa kpa(c, kT0);
  TimePoint t = kT0;
  std::vector<int32_t> got;
  for (int32_t ready : {8, 4, 2, 1}) {
    t += seconds(2);
    kpa.Record(t, 0, 0);
    got.push_back(kpa.Decide(t, ready, ready, /*reachable=*/true).desired);
  }
  EXPECT_EQ(got, (std::vector<int32_t>{4, 2, 1, 0}));
  // An unreachable revision is not rate limited on the way down.
  t += seconds(2);
  EXPECT_EQ(kpa.Decide(t, 8, 8, /*reachable=*/false).desired, 0);
  // With rate 4, 8 → 2.
  c.max_scale_down_rate = 4;
  kpa.UpdateConfig(c);
  t += seconds(2);
  EXPECT_EQ(kpa.Decide(t, 8, 8, true).desired, 2);
}

TEST(KpaTest, ScaleDownDelayHoldsTheMaximumOverTheDelay) {
  KpaConfig fast;
  fast.stable_window = milliseconds(6000);
  KpaConfig delayed = fast;
  delayed.scale_down_delay = milliseconds(10'000);
  Sim a{fast}, b{delayed};
  for (Sim* s : {&a, &b}) {
    s->pods_follow = false;
    s->ready = s->replicas = 5;
    s->RunUntil(kT0 + seconds(30), 350);
    ASSERT_EQ(s->last.desired, 5);
  }
  // Load stops; find the tick where the undelayed revision first scales down.
  while (a.Tick(0).desired == 5) {
    b.Tick(0);
    ASSERT_LT(a.now, kT0 + seconds(60));
  }
  const TimePoint t1 = a.now;
  // The delayed one last wanted 5 at t1 - 2 s and keeps it until 10 s after that.
  EXPECT_EQ(b.Tick(0).desired, 5);
  EXPECT_EQ(b.last.reason, "scale-down delay");
  b.RunUntil(t1 + seconds(6), 0);
  EXPECT_EQ(b.last.desired, 5);
  b.Tick(0);
  EXPECT_EQ(b.now, t1 + seconds(8));
  EXPECT_LT(b.last.desired, 5);
}

TEST(KpaTest, ScaleToZeroAfterStableWindowThenGrace) {
  Sim sim{KpaConfig{}};
  sim.RunUntil(kT0 + seconds(100), 70);
  ASSERT_EQ(sim.last.replicas, 1);
  // The last sample of 70 holds until the next sample, the first 0.
  const TimePoint quiet_since = sim.now + sim.tick;

  sim.RunUntil(quiet_since + seconds(58), 0);
  EXPECT_EQ(sim.last.desired, 1);  // traffic still inside the stable window
  EXPECT_TRUE(sim.last.active);

  sim.Tick(0);  // a whole stable window without traffic
  EXPECT_EQ(sim.now, quiet_since + seconds(60));
  EXPECT_EQ(sim.last.desired, 0);
  EXPECT_FALSE(sim.last.active);
  EXPECT_EQ(sim.last.replicas, 1);
  EXPECT_TRUE(sim.last.activator_in_path);
  EXPECT_EQ(sim.last.reason, "no traffic for a stable window: deactivating");

  sim.RunUntil(quiet_since + seconds(88), 0);
  EXPECT_EQ(sim.last.replicas, 1);  // grace period
  EXPECT_EQ(sim.last.reason, "inactive: waiting for grace period");
  sim.Tick(0);
  EXPECT_EQ(sim.now, quiet_since + seconds(90));
  EXPECT_EQ(sim.last.replicas, 0);
  EXPECT_EQ(sim.last.reason, "scale to zero after grace");
  sim.RunUntil(sim.now + seconds(300), 0);
  EXPECT_EQ(sim.last.replicas, 0);
  EXPECT_FALSE(sim.last.active);
}

TEST(KpaTest, PodRetentionPeriodOutlastsGrace) {
  KpaConfig c;
  c.pod_retention = milliseconds(90'000);
  Sim sim{c};
  sim.RunUntil(kT0 + seconds(100), 70);
  const TimePoint quiet_since = sim.now + sim.tick;
  sim.RunUntil(quiet_since + seconds(60 + 88), 0);
  EXPECT_FALSE(sim.last.active);
  EXPECT_EQ(sim.last.replicas, 1);
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 0);
}

TEST(KpaTest, FreshRevisionWithoutTrafficLingersAStableWindowAfterBecomingActive) {
  Sim sim{KpaConfig{}};
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 1);  // initial scale
  EXPECT_TRUE(sim.last.activating);
  sim.Tick(0);
  EXPECT_FALSE(sim.last.activating);
  const TimePoint active_since = sim.now;
  sim.RunUntil(active_since + seconds(58), 0);
  EXPECT_TRUE(sim.last.active);
  EXPECT_EQ(sim.last.replicas, 1);
  EXPECT_EQ(sim.last.reason, "idle: waiting out the stable window");
  sim.RunUntil(active_since + seconds(60), 0);
  EXPECT_FALSE(sim.last.active);
  sim.RunUntil(active_since + seconds(90), 0);
  EXPECT_EQ(sim.last.replicas, 0);
}

TEST(KpaTest, ScaleToZeroDisabledKeepsOnePod) {
  KpaConfig c;
  c.enable_scale_to_zero = false;
  Sim sim{c};
  sim.RunUntil(kT0 + seconds(60), 70);
  Kpa::Decision d = sim.RunUntil(kT0 + seconds(600), 0);
  EXPECT_EQ(d.desired, 0);
  EXPECT_EQ(d.replicas, 1);
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.reason, "scale to zero disabled");
}

// Brings a default revision to zero replicas and returns the sim.
Sim ScaledToZero(KpaConfig c) {
  Sim sim{c};
  sim.RunUntil(kT0 + seconds(20), 70);
  sim.RunUntil(kT0 + seconds(200), 0);
  EXPECT_EQ(sim.last.replicas, 0);
  EXPECT_FALSE(sim.last.active);
  return sim;
}

TEST(KpaTest, PokeFromZeroJumpsToActivationScale) {
  KpaConfig c;
  c.activation_scale = 3;
  Sim sim = ScaledToZero(c);
  sim.now += seconds(1);
  sim.kpa.Poke(sim.now);
  sim.pods_follow = false;  // pods take a while to start
  Kpa::Decision d = sim.DecideNow();
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.desired, 3);
  EXPECT_TRUE(d.active);
  EXPECT_TRUE(d.activating);
  EXPECT_TRUE(d.activator_in_path);
  EXPECT_EQ(d.reason, "scale from zero");
  const TimePoint poke = sim.now;

  // The held request is recorded by the caller; pods come up 6 s later, the request finishes.
  sim.Tick(1);
  sim.Tick(1);
  EXPECT_EQ(sim.last.replicas, 3);
  sim.ready = 3;
  sim.pods_follow = true;
  sim.Tick(1);
  EXPECT_FALSE(sim.last.activating);
  EXPECT_TRUE(sim.last.active);
  // The poke counts as traffic for a stable window: activation scale holds meanwhile.
  while (sim.now + sim.tick < poke + seconds(60)) {
    EXPECT_EQ(sim.Tick(0).replicas, 3);
  }
  // Then down and back to zero.
  sim.RunUntil(poke + seconds(400), 0);
  EXPECT_EQ(sim.last.replicas, 0);
}

TEST(KpaTest, PokeWithDefaultActivationScaleGivesOnePod) {
  Sim sim = ScaledToZero(KpaConfig{});
  sim.now += seconds(1);
  sim.kpa.Poke(sim.now);
  Kpa::Decision d = sim.DecideNow();
  EXPECT_EQ(d.replicas, 1);
  EXPECT_TRUE(d.active);
  // Not judged idle the next tick although nothing was recorded.
  EXPECT_EQ(sim.Tick(0).replicas, 1);
  EXPECT_TRUE(sim.last.active);
}

TEST(KpaTest, PokeDuringGraceReactivates) {
  Sim sim{KpaConfig{}};
  sim.RunUntil(kT0 + seconds(20), 70);
  sim.RunUntil(kT0 + seconds(90), 0);
  ASSERT_FALSE(sim.last.active);
  ASSERT_EQ(sim.last.replicas, 1);
  sim.kpa.Poke(sim.now);
  sim.Tick(0);
  EXPECT_TRUE(sim.last.active);
  EXPECT_EQ(sim.last.replicas, 1);
  // The grace clock restarted: still 1 well past the original zero time.
  sim.RunUntil(kT0 + seconds(140), 0);
  EXPECT_EQ(sim.last.replicas, 1);
}

TEST(KpaTest, UnreachableRevisionIgnoresMinScaleAndGoesToZero) {
  KpaConfig c;
  c.min_scale = 2;
  Sim sim{c};
  sim.RunUntil(kT0 + seconds(120), 0);
  EXPECT_EQ(sim.last.replicas, 2);  // min-scale while routed
  EXPECT_EQ(sim.last.reason, "min-scale");
  EXPECT_TRUE(sim.last.active);

  sim.reachable = false;  // traffic moved to another revision
  sim.Tick(0);
  EXPECT_EQ(sim.last.desired, 0);
  EXPECT_FALSE(sim.last.active);
  EXPECT_EQ(sim.last.replicas, 1);
  const TimePoint inactive_at = sim.now;
  sim.RunUntil(inactive_at + seconds(28), 0);
  EXPECT_EQ(sim.last.replicas, 1);
  sim.RunUntil(inactive_at + seconds(30), 0);
  EXPECT_EQ(sim.last.replicas, 0);
}

TEST(KpaTest, InitialScaleUntilFirstReached) {
  KpaConfig c;
  c.initial_scale = 3;
  Sim sim{c};
  sim.pods_follow = false;
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 3);
  EXPECT_EQ(sim.last.desired, 0);
  EXPECT_EQ(sim.last.reason, "initial scale");
  EXPECT_FALSE(sim.last.scale_target_initialized);
  sim.ready = 2;
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 3);
  EXPECT_TRUE(sim.last.activating);
  sim.ready = 3;
  sim.Tick(0);
  EXPECT_TRUE(sim.last.scale_target_initialized);
  EXPECT_FALSE(sim.last.activating);
  // Reached: no longer a floor, so it halves towards what the (empty) metrics want.
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 1);
}

TEST(KpaTest, ZeroInitialScaleStartsInactive) {
  KpaConfig c;
  c.initial_scale = 0;
  Sim sim{c};
  sim.Tick(0);
  EXPECT_EQ(sim.last.replicas, 0);
  EXPECT_FALSE(sim.last.active);
  sim.RunUntil(kT0 + seconds(100), 0);
  EXPECT_EQ(sim.last.replicas, 0);
}

TEST(KpaTest, MinAndMaxClamps) {
  KpaConfig c;
  c.min_scale = 2;
  c.max_scale = 4;
  Sim sim{c};
  sim.RunUntil(kT0 + seconds(120), 0);
  EXPECT_EQ(sim.last.replicas, 2);
  sim.RunUntil(kT0 + seconds(240), 1000);
  EXPECT_EQ(sim.last.replicas, 4);
  EXPECT_EQ(sim.last.desired, 15);
}

TEST(KpaTest, ExcessBurstCapacityAndActivatorPath) {
  KpaConfig c;  // total 100, TBC 211
  Kpa kpa(c, kT0);
  TimePoint t = kT0;
  for (int i = 0; i < 10; ++i) {
    t += seconds(1);
    kpa.Record(t, 50, 0);
  }
  Kpa::Decision d = kpa.Decide(t, 3, 3, true);
  EXPECT_DOUBLE_EQ(d.excess_burst_capacity, 39);  // floor(3×100 − 211 − 50)
  EXPECT_FALSE(d.activator_in_path);
  EXPECT_EQ(d.num_activators, 6);  // ceil((300 + 211) / 100)
  d = kpa.Decide(t, 2, 2, true);
  EXPECT_DOUBLE_EQ(d.excess_burst_capacity, -61);
  EXPECT_TRUE(d.activator_in_path);

  c.target_burst_capacity = 0;
  kpa.UpdateConfig(c);
  d = kpa.Decide(t, 3, 3, true);
  EXPECT_DOUBLE_EQ(d.excess_burst_capacity, 0);
  EXPECT_FALSE(d.activator_in_path);
  EXPECT_EQ(d.num_activators, 2);
  d = kpa.Decide(t, 0, 1, true);
  EXPECT_TRUE(d.activator_in_path);  // no pod to serve from

  c.target_burst_capacity = -1;
  kpa.UpdateConfig(c);
  d = kpa.Decide(t, 3, 3, true);
  EXPECT_DOUBLE_EQ(d.excess_burst_capacity, -1);
  EXPECT_TRUE(d.activator_in_path);
}

TEST(KpaTest, UpdateConfigKeepsHistory) {
  Sim sim{KpaConfig{}};
  sim.RunUntil(kT0 + seconds(120), 350);
  ASSERT_EQ(sim.last.desired, 5);
  KpaConfig c;
  c.target = 35;
  sim.kpa.UpdateConfig(c);
  EXPECT_EQ(sim.kpa.config().target, 35);
  EXPECT_EQ(sim.DecideNow().desired, 10);
}

TEST(KpaTest, RestartStartsInPanicHoldingCurrentPods) {
  Kpa kpa(KpaConfig{}, kT0, /*ready_pods_at_start=*/5);
  kpa.Restore(Activity::kActive, kT0 - seconds(600), true);
  Kpa::Decision d = kpa.Decide(kT0 + seconds(2), 5, 5, true);
  EXPECT_TRUE(d.panicking);
  EXPECT_EQ(d.replicas, 5);
}

TEST(KpaTest, RestoreKeepsAScaledToZeroRevisionAtZero) {
  Kpa kpa(KpaConfig{}, kT0);
  kpa.Restore(Activity::kInactive, kT0 - seconds(600), true);
  Kpa::Decision d = kpa.Decide(kT0 + seconds(2), 0, 0, true);
  EXPECT_EQ(d.replicas, 0);
  EXPECT_FALSE(d.active);
  // Without Restore, a fresh Kpa brings it back to initial scale.
  Kpa fresh(KpaConfig{}, kT0);
  EXPECT_EQ(fresh.Decide(kT0 + seconds(2), 0, 0, true).replicas, 1);
}

TEST(KpaTest, StuckActivationGivesUpAfterTimeout) {
  KpaConfig c;
  c.activation_timeout = milliseconds(120'000);
  Sim sim = ScaledToZero(c);
  sim.now += seconds(1);
  sim.kpa.Poke(sim.now);
  sim.pods_follow = false;  // the pod never becomes ready
  sim.DecideNow();
  const TimePoint poke = sim.now;
  EXPECT_EQ(sim.last.replicas, 1);
  // After the poke's stable window the desired count is 0, but an activating revision waits.
  sim.RunUntil(poke + seconds(100), 0);
  EXPECT_EQ(sim.last.replicas, 1);
  EXPECT_EQ(sim.last.reason, "activating");
  sim.RunUntil(poke + seconds(130), 0);
  EXPECT_EQ(sim.last.replicas, 0);
  EXPECT_FALSE(sim.last.active);
}

}  // namespace
}  // namespace skiff::autoscaler
