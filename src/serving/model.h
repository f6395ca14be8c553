// One served model: its runtime, load state (loading, ready, failed, unloaded) with the
// failure reason, and the path of each prediction (inline on the caller's thread for
// thread-safe unbatched runtimes, else through the model's Batcher).
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
  // no batching, or an immediate error) or on the batcher thread. Never blocks on the model
  // otherwise.
  void Predict(PredictRequest&& request, PredictDone done);
  // V1 :explain, same threading.
  StatusOr<std::string> Explain(const PredictRequest& request);

 private:
  void RunOnLoader(std::function<void()> task);
  void LoaderLoop();
  Status DoLoad();
  void DoUnload();

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

  std::mutex loader_mu_;
  std::condition_variable loader_cv_;
  std::deque<std::function<void()>> loader_tasks_;  // guarded by loader_mu_
  bool loader_stop_ = false;                        // guarded by loader_mu_
  std::thread loader_;
};

}  // namespace skiff::serving
