#include "serving/batcher.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "serving/fake_runtime_testonly.h"

namespace skiff::serving {
namespace {

PredictRequest Row(double a, double b) {
  PredictRequest r;
  r.inputs.push_back(MakeTensor<double>("x", {1, 2}, std::vector<double>{a, b}));
  return r;
}

TEST(BatcherTest, FullBatchFiresWithoutWaitingAndEachGetsItsRows) {
  FakeRuntime runtime(false, true);
  ServingMetrics metrics("m");
  // A long max latency: the batch can only fire early by filling up to 8 rows.
  Batcher batcher(runtime, {.max_batch_size = 8, .max_latency = std::chrono::seconds(60)}, metrics);
  std::vector<std::promise<StatusOr<std::vector<Tensor>>>> promises(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Status s = batcher.Enqueue(Row(i, 100 + i),
                                 [&promises, i](auto r) { promises[i].set_value(std::move(r)); });
      ASSERT_TRUE(s.ok());
    });
  }
  for (int i = 0; i < 8; ++i) {
    auto result = promises[i].get_future().get();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    auto v = (*result)[0].Values<double>();
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], 2.0 * i);
    EXPECT_EQ(v[1], 2.0 * (100 + i));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runtime.calls(), (std::vector<int64_t>{8}));
  EXPECT_EQ(metrics.batch_size().count(), 1u);
}

TEST(BatcherTest, IncompatibleRequestsRunSeparatelyInOrder) {
  FakeRuntime runtime(false, true);
  ServingMetrics metrics("m");
  Batcher batcher(runtime, {.max_batch_size = 4, .max_latency = std::chrono::seconds(0)}, metrics);
  PredictRequest wide;
  wide.inputs.push_back(MakeTensor<double>("x", {1, 3}, std::vector<double>{1, 2, 3}));
  std::promise<Status> a, b;
  ASSERT_TRUE(batcher.Enqueue(std::move(wide), [&](auto r) { a.set_value(r.status()); }).ok());
  ASSERT_TRUE(batcher.Enqueue(Row(1, 2), [&](auto r) { b.set_value(r.status()); }).ok());
  EXPECT_TRUE(a.get_future().get().ok());
  EXPECT_TRUE(b.get_future().get().ok());
  EXPECT_EQ(runtime.calls().size(), 2u);
}

TEST(BatcherTest, ErrorsReachEveryRequestOfTheBatch) {
  FakeRuntime runtime(false, true);
  ServingMetrics metrics("m");
  Batcher batcher(runtime, {.max_batch_size = 99, .max_latency = std::chrono::seconds(60)},
                  metrics);
  std::vector<std::promise<Status>> done(3);
  for (int i = 0; i < 3; ++i) {
    PredictRequest r;
    int64_t rows = i == 0 ? 97 : 1;  // 99 rows in total: the fake fails such a call
    r.inputs.push_back(MakeTensor<double>("x", {rows, 1}, std::vector<double>(rows, 1.0)));
    ASSERT_TRUE(
        batcher.Enqueue(std::move(r), [&done, i](auto res) { done[i].set_value(res.status()); })
            .ok());
  }
  for (auto& d : done) EXPECT_EQ(d.get_future().get().code(), StatusCode::kInternal);
}

TEST(BatcherTest, StopAnswersQueuedAndRefusesNew) {
  FakeRuntime runtime(false, true);
  ServingMetrics metrics("m");
  Batcher batcher(runtime, {.max_batch_size = 4, .max_latency = std::chrono::seconds(60)}, metrics);
  std::promise<Status> queued;
  ASSERT_TRUE(batcher.Enqueue(Row(1, 2), [&](auto r) { queued.set_value(r.status()); }).ok());
  batcher.Stop();
  EXPECT_TRUE(queued.get_future().get().ok());
  PredictRequest late = Row(3, 4);
  EXPECT_EQ(batcher.Enqueue(std::move(late), [](auto) {}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(late.inputs.size(), 1u);  // not taken on failure
}

}  // namespace
}  // namespace skiff::serving
