// Tests for CrashLoopBackOff timing.
#include "node/backoff.h"

#include <gtest/gtest.h>

namespace skiff::node {
namespace {

using std::chrono::seconds;

TEST(CrashLoopBackoff, KubeletSequence) {
  FakeClock clock;
  CrashLoopBackoff b;
  // First crash: restart at once.
  SystemTime finished = clock.Now();
  EXPECT_EQ(b.RestartAt("c", finished), finished);
  b.RecordRestart("c", finished, clock.Now());
  // Then 10, 20, 40, 80, 160, 300, 300.
  for (int expected : {10, 20, 40, 80, 160, 300, 300}) {
    clock.Advance(seconds(1));  // ran for a second
    finished = clock.Now();
    EXPECT_EQ(b.Delay("c", finished), seconds(expected));
    EXPECT_EQ(b.RestartAt("c", finished), finished + seconds(expected));
    clock.Advance(seconds(expected));
    b.RecordRestart("c", finished, clock.Now());
  }
}

TEST(CrashLoopBackoff, ResetsAfterTenMinutesRunning) {
  FakeClock clock;
  CrashLoopBackoff b;
  b.RecordRestart("c", clock.Now(), clock.Now());
  clock.Advance(seconds(5));
  b.RecordRestart("c", clock.Now(), clock.Now());  // 20 s now
  clock.Advance(seconds(601));
  EXPECT_EQ(b.Delay("c", clock.Now()), seconds(0));
  b.RecordRestart("c", clock.Now(), clock.Now());
  clock.Advance(seconds(1));
  EXPECT_EQ(b.Delay("c", clock.Now()), seconds(10));
  EXPECT_EQ(b.Delay("other", clock.Now()), seconds(0));
}

}  // namespace
}  // namespace skiff::node
