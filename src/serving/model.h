// One served model: its runtime, load state (loading, ready, failed, unloaded) with the
// failure reason, and the path of each prediction (inline on the caller's thread for
// thread-safe unbatched runtimes, batched on the caller's event loop for thread-safe batching
// runtimes, else through the model's Batcher thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "serving/batcher.h"
#include "serving/loop_scheduler.h"
#include "serving/metrics.h"
#include "serving/runtime.h"

namespace skiff::serving {

enum class ModelState { kLoading, kReady, kFailed, kUnloaded };
std::string_view ModelStateName(ModelState state);  // "Loading", "Ready", "FailedToLoad", ...

struct ModelOptions {
  std::string name;
  // Empty: the model has no versions, and any `/versions/{v}` path names it (one model).
  std::string version;
  std::string model_dir;
  // Rows per model call; 0 = the runtime's default_max_batch_size. 1 = no batching.
  int max_batch_size = 0;
  // See BatcherOptions::max_latency.
  std::chrono::microseconds max_latency{0};
  // Loop batching: for a thread-safe runtime that can batch, with max_latency 0, requests
  // made from an event loop (Predict with a LoopScheduler) are queued, and the requests
  // queued during one round of the loop run as one model call at the end of that round on
  // the loop thread itself: batches form under load with no thread handoff. False (or a
  // caller without a loop, e.g. gRPC): the Batcher thread batches them.
  bool loop_batching = true;
};

// Thread-safe. Owns the runtime and a loader thread.
class Model {
 public:
  Model(ModelOptions options, std::unique_ptr<Runtime> runtime, ServingMetrics& metrics);
  // Waits for a running load, stops the batcher (answering queued requests), joins.
  ~Model();

  const std::string& name() const { return options_.name; }
  const std::string& version() const { return options_.version; }
  ExecutionPolicy policy() const { return policy_; }
  int effective_max_batch_size() const;

  // Loads on the loader thread; returns at once. `done` (optional) runs on the loader thread
  // with the load's result.
  void LoadAsync(std::function<void(Status)> done = nullptr);
  // Unloads (not ready afterwards; queued requests are answered first). Runs on the loader
  // thread; `done` as above.
  void UnloadAsync(std::function<void(Status)> done = nullptr);

  ModelState state() const;
  // OK when ready; else 503 "Model with name M is not ready." with the load failure, if any.
  Status CheckReady() const;
  // 503 unless ready.
  StatusOr<ModelMetadata> Metadata() const;

  // Runs one request. `done` runs exactly once: inline on this thread (thread-safe runtime,
  // no batching, or an immediate error), on `loop`'s thread (loop batching, see
  // ModelOptions::loop_batching; `loop` may be null) or on the batcher thread. Never blocks
  // on the model otherwise.
  void Predict(PredictRequest&& request, PredictDone done, LoopScheduler* loop = nullptr);
  // V1 :explain, same threading.
  StatusOr<std::string> Explain(const PredictRequest& request);

 private:
  void RunOnLoader(std::function<void()> task);
  void LoaderLoop();
  Status DoLoad();
  void DoUnload();
  // Runs everything in loop_queue_, in batches, on the calling (loop) thread.
  void FlushLoopQueue();

  const ModelOptions options_;
  const std::unique_ptr<Runtime> runtime_;
  const ExecutionPolicy policy_;
  ServingMetrics& metrics_;

  // Held shared by predictions and exclusively by load/unload, so the runtime never changes
  // under a running call.
  mutable std::shared_mutex state_mu_;
  ModelState state_ = ModelState::kLoading;  // guarded by state_mu_
  std::string failure_;                      // guarded by state_mu_
  ModelMetadata metadata_;                   // guarded by state_mu_
  std::unique_ptr<Batcher> batcher_;         // guarded by state_mu_; null unless used
  bool loop_batching_ = false;               // guarded by state_mu_; see ModelOptions

  // Requests waiting for the end of their loop's round. A flush is scheduled on the loop of
  // the request that found the queue empty; loops usually never contend for this lock (one
  // loop per model server in the pinned setup, and a flush takes the queue at once).
  std::mutex loop_mu_;
  std::vector<QueuedPredict> loop_queue_;  // guarded by loop_mu_

  std::mutex loader_mu_;
  std::condition_variable loader_cv_;
  std::deque<std::function<void()>> loader_tasks_;  // guarded by loader_mu_
  bool loader_stop_ = false;                        // guarded by loader_mu_
  std::thread loader_;
};

}  // namespace skiff::serving
