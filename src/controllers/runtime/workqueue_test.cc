// WorkQueue semantics: de-duplication, no concurrent processing of a key, delays, backoff.
#include "client/workqueue.h"

#include <gtest/gtest.h>

#include <thread>

namespace skiff::client {
namespace {

TEST(WorkQueue, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(*q.Get(), "a");
  EXPECT_EQ(*q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedOnDone) {
  WorkQueue q;
  q.Add("a");
  auto k = q.Get();
  q.Add("a");  // changed while a worker holds it
  EXPECT_EQ(q.Len(), 0u) << "must not hand the same key to a second worker";
  q.Done(*k);
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(*q.Get(), "a");
}

TEST(WorkQueue, AddAfterDeliversLaterAndShorterDelayWins) {
  WorkQueue q;
  auto start = std::chrono::steady_clock::now();
  q.AddAfter("slow", std::chrono::milliseconds(60000));
  q.AddAfter("slow", std::chrono::milliseconds(20));
  auto k = q.Get();
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, "slow");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

TEST(WorkQueue, RateLimitedBackoffGrowsAndForgetResets) {
  WorkQueue q(WorkQueueOptions{std::chrono::milliseconds(1), std::chrono::milliseconds(4)});
  for (int i = 0; i < 5; ++i) {
    q.AddRateLimited("k");
    auto k = q.Get();
    ASSERT_TRUE(k);
    q.Done(*k);
  }
  EXPECT_EQ(q.NumRequeues("k"), 5);
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
}

TEST(WorkQueue, ShutDownWakesBlockedGetters) {
  WorkQueue q;
  std::optional<std::string> got = std::string("unset");
  std::thread t([&] { got = q.Get(); });
  q.ShutDown();
  t.join();
  EXPECT_FALSE(got.has_value());
  q.Add("late");
  EXPECT_EQ(q.Len(), 0u);
}

}  // namespace
}  // namespace skiff::client
