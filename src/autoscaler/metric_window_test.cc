// Tests for MetricWindow: 1 s bucketing and Knative's partial-window averaging.
#include "autoscaler/metric_window.h"

#include <gtest/gtest.h>

namespace skiff::autoscaler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

const TimePoint kT0 = TimePoint(seconds(1000));
constexpr milliseconds kMinute{60'000};

double Conc(const MetricWindow& w, TimePoint now, milliseconds window = kMinute) {
  return w.Average(now, window, MetricKind::kConcurrency);
}

TEST(MetricWindowTest, EmptyIsZero) {
  MetricWindow w(kMinute);
  EXPECT_EQ(Conc(w, kT0), 0);
}

TEST(MetricWindowTest, SamplesInOneSecondAreAveraged) {
  MetricWindow w(kMinute);
  w.Record(kT0, 10, 1);
  w.Record(kT0 + milliseconds(500), 30, 3);
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + milliseconds(900)), 20);
  EXPECT_DOUBLE_EQ(w.Average(kT0 + milliseconds(900), kMinute, MetricKind::kRps), 2);
}

TEST(MetricWindowTest, PartialWindowAtStartAveragesOnlyWhatWasSeen) {
  MetricWindow w(kMinute);
  for (int s = 0; s < 6; ++s) {
    w.Record(kT0 + seconds(s), s < 3 ? 10 : 40, 0);
  }
  // 6 s of data in a 60 s window: average over the 6 s, not over 60.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(5)), 25);
  // The 3 s panic-style window sees only the last 3 buckets.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(5), milliseconds(3000)), 40);
}

TEST(MetricWindowTest, SparseSamplesHoldTheirValue) {
  MetricWindow w(kMinute);
  // One sample per 2 s tick: the skipped seconds repeat the previous sample.
  for (int s = 0; s <= 60; s += 2) {
    w.Record(kT0 + seconds(s), 350, 0);
  }
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(60)), 350);
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(60), milliseconds(6000)), 350);
}

TEST(MetricWindowTest, OldSamplesLeaveTheWindow) {
  MetricWindow w(kMinute);
  for (int s = 0; s < 10; ++s) {
    w.Record(kT0 + seconds(s), 100, 0);
  }
  for (int s = 10; s < 69; ++s) {
    w.Record(kT0 + seconds(s), 0, 0);
  }
  // At t=68 the window is [9, 68]: one second of 100.
  EXPECT_NEAR(Conc(w, kT0 + seconds(68)), 100.0 / 60, 1e-9);
  // At t=69 the window is [10, 69]: all zeros.
  w.Record(kT0 + seconds(69), 0, 0);
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(69)), 0);
}

TEST(MetricWindowTest, NoSamplesForAWindowReadsZero) {
  MetricWindow w(kMinute);
  w.Record(kT0, 100, 0);
  // Samples stopped: the average over what was seen persists (Knative's partial window) ...
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(59)), 100);
  // ... until a whole window has passed.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(60)), 0);
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(6), milliseconds(6000)), 0);
}

TEST(MetricWindowTest, GapLongerThanWindowStartsANewRun) {
  MetricWindow w(kMinute);
  w.Record(kT0, 100, 0);
  w.Record(kT0 + seconds(10), 10, 0);
  // The 6 s window saw a 10 s gap: the run restarts at t=10, so only t=10 counts.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(10), milliseconds(6000)), 10);
  // The 60 s window bridges it: 10 s of 100, then 1 s of 10.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(10)), (10 * 100.0 + 10) / 11);
}

TEST(MetricWindowTest, LateSampleLandsInItsSecond) {
  MetricWindow w(kMinute);
  w.Record(kT0 + seconds(2), 30, 0);
  w.Record(kT0, 10, 0);
  // [0]=10, [1] repeats 10, [2]=30.
  EXPECT_DOUBLE_EQ(Conc(w, kT0 + seconds(2)), 50.0 / 3);
}

TEST(MetricWindowTest, PruningKeepsTheValueCarriedIntoTheWindow) {
  MetricWindow w(kMinute);
  w.Record(kT0, 100, 0);
  w.Record(kT0 + seconds(50), 100, 0);
  w.Record(kT0 + seconds(100), 0, 0);
  // Window [41, 100]: 41..49 carry t=0's 100 (gap 50 <= 60), 50..99 are 100, 100 is 0.
  EXPECT_NEAR(Conc(w, kT0 + seconds(100)), 59 * 100.0 / 60, 1e-9);
}

}  // namespace
}  // namespace skiff::autoscaler
