#include "serving/model.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "serving/fake_runtime_testonly.h"

namespace skiff::serving {
namespace {

// A loop that runs deferred work only when the test says the round is over.
class FakeLoop : public LoopScheduler {
 public:
  void Defer(std::function<void()> fn) override { deferred_.push_back(std::move(fn)); }
  // Runs what was deferred so far; returns how many closures ran.
  size_t EndRound() {
    std::vector<std::function<void()>> run;
    run.swap(deferred_);
    for (auto& fn : run) fn();
    return run.size();
  }

 private:
  std::vector<std::function<void()>> deferred_;
};

PredictRequest Rows(std::vector<double> values, int64_t columns = 1) {
  PredictRequest r;
  int64_t rows = static_cast<int64_t>(values.size()) / columns;
  r.inputs.push_back(MakeTensor<double>("x", {rows, columns}, values));
  return r;
}

class ModelTest : public ::testing::Test {
 protected:
  void Load(bool thread_safe, int max_batch_size, bool loop_batching = true) {
    auto runtime = std::make_unique<FakeRuntime>(thread_safe, true);
    runtime_ = runtime.get();
    ModelOptions options;
    options.name = "m";
    options.max_batch_size = max_batch_size;
    options.loop_batching = loop_batching;
    model_ = std::make_unique<Model>(std::move(options), std::move(runtime), metrics_);
    std::promise<Status> loaded;
    model_->LoadAsync([&](Status s) { loaded.set_value(s); });
    ASSERT_TRUE(loaded.get_future().get().ok());
  }

  // Queues a prediction whose result lands in results_[i].
  void Predict(size_t i, PredictRequest request, LoopScheduler* loop) {
    if (results_.size() <= i) results_.resize(i + 1);
    model_->Predict(
        std::move(request),
        [this, i](StatusOr<std::vector<Tensor>> r) { results_[i].set_value(std::move(r)); }, loop);
  }
  std::vector<double> Values(size_t i) {
    StatusOr<std::vector<Tensor>> r = results_[i].get_future().get();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    std::span<const double> v = (*r)[0].Values<double>();
    return std::vector<double>(v.begin(), v.end());
  }

  ServingMetrics metrics_{"m"};
  FakeRuntime* runtime_ = nullptr;
  std::unique_ptr<Model> model_;
  std::vector<std::promise<StatusOr<std::vector<Tensor>>>> results_;
};

TEST_F(ModelTest, LoopBatchingRunsOneRoundAsOneCallOnTheLoop) {
  Load(/*thread_safe=*/true, /*max_batch_size=*/8);
  FakeLoop loop;
  Predict(0, Rows({1}), &loop);
  Predict(1, Rows({2, 3}), &loop);
  Predict(2, Rows({4}), &loop);
  // Nothing ran yet: the batch waits for the end of the round, and one flush was scheduled.
  EXPECT_TRUE(runtime_->calls().empty());
  EXPECT_EQ(loop.EndRound(), 1u);
  EXPECT_EQ(runtime_->calls(), (std::vector<int64_t>{4}));
  EXPECT_EQ(Values(0), (std::vector<double>{2}));
  EXPECT_EQ(Values(1), (std::vector<double>{4, 6}));
  EXPECT_EQ(Values(2), (std::vector<double>{8}));
  EXPECT_EQ(metrics_.batch_size().count(), 1u);
  // The next round schedules a new flush.
  Predict(3, Rows({5}), &loop);
  EXPECT_EQ(loop.EndRound(), 1u);
  EXPECT_EQ(Values(3), (std::vector<double>{10}));
  EXPECT_EQ(runtime_->calls(), (std::vector<int64_t>{4, 1}));
}

TEST_F(ModelTest, LoopBatchingKeepsBatchesWithinMaxRowsAndSeparatesIncompatible) {
  Load(/*thread_safe=*/true, /*max_batch_size=*/2);
  FakeLoop loop;
  Predict(0, Rows({1}), &loop);
  Predict(1, Rows({2, 3}, /*columns=*/2), &loop);  // other trailing shape
  Predict(2, Rows({4}), &loop);
  Predict(3, Rows({5}), &loop);
  Predict(4, Rows({6, 7}, /*columns=*/2), &loop);
  EXPECT_EQ(loop.EndRound(), 1u);
  // [0,2] (2 rows, full), [1,4] (1-row pairs of 2 columns), [3].
  EXPECT_EQ(runtime_->calls(), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(Values(0), (std::vector<double>{2}));
  EXPECT_EQ(Values(1), (std::vector<double>{4, 6}));
  EXPECT_EQ(Values(2), (std::vector<double>{8}));
  EXPECT_EQ(Values(3), (std::vector<double>{10}));
  EXPECT_EQ(Values(4), (std::vector<double>{12, 14}));
}

TEST_F(ModelTest, LoopBatchingAnswersErrorsPerBatch) {
  Load(/*thread_safe=*/true, /*max_batch_size=*/200);
  FakeLoop loop;
  std::vector<double> many(99, 1.0);  // 99 rows: the fake runtime fails that call
  Predict(0, Rows(many), &loop);
  loop.EndRound();
  StatusOr<std::vector<Tensor>> r = results_[0].get_future().get();
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST_F(ModelTest, WithoutALoopOrWhenDisabledTheBatcherThreadBatches) {
  for (bool loop_batching : {true, false}) {
    results_.clear();
    Load(/*thread_safe=*/true, /*max_batch_size=*/8, loop_batching);
    FakeLoop loop;
    // loop_batching: no loop given (e.g. gRPC); disabled: the loop is ignored.
    Predict(0, Rows({1, 2}), loop_batching ? nullptr : &loop);
    EXPECT_EQ(Values(0), (std::vector<double>{2, 4}));
    EXPECT_EQ(loop.EndRound(), 0u);
  }
}

TEST_F(ModelTest, RuntimesThatAreNotThreadSafeNeverRunOnTheLoop) {
  Load(/*thread_safe=*/false, /*max_batch_size=*/8);
  FakeLoop loop;
  Predict(0, Rows({3}), &loop);
  EXPECT_EQ(Values(0), (std::vector<double>{6}));  // answered by the batcher thread
  EXPECT_EQ(loop.EndRound(), 0u);
}

TEST_F(ModelTest, UnloadBeforeTheFlushAnswersNotReady) {
  Load(/*thread_safe=*/true, /*max_batch_size=*/8);
  FakeLoop loop;
  Predict(0, Rows({1}), &loop);
  std::promise<Status> unloaded;
  model_->UnloadAsync([&](Status s) { unloaded.set_value(s); });
  ASSERT_TRUE(unloaded.get_future().get().ok());
  loop.EndRound();
  StatusOr<std::vector<Tensor>> r = results_[0].get_future().get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(runtime_->calls().empty());
}

}  // namespace
}  // namespace skiff::serving
