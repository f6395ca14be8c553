// Model state machine and prediction dispatch.
#include "serving/model.h"

#include <spdlog/spdlog.h>

#include "serving/errors.h"

namespace skiff::serving {

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kLoading:
      return "Loading";
    case ModelState::kReady:
      return "Ready";
    case ModelState::kFailed:
      return "FailedToLoad";
    case ModelState::kUnloaded:
      return "Unloaded";
  }
  return "Unknown";
}

Model::Model(ModelOptions options, std::unique_ptr<Runtime> runtime, ServingMetrics& metrics)
    : options_(std::move(options)),
      runtime_(std::move(runtime)),
      policy_(runtime_->policy()),
      metrics_(metrics) {
  // Loading reads files and may start an interpreter: seconds of blocking work that must not
  // hold up the HTTP loops (liveness answers during startup) or the caller.
  loader_ = std::thread([this] { LoaderLoop(); });
}

Model::~Model() {
  {
    std::lock_guard<std::mutex> lock(loader_mu_);
    loader_stop_ = true;
  }
  loader_cv_.notify_all();
  loader_.join();
  std::unique_ptr<Batcher> batcher;
  {
    std::unique_lock lock(state_mu_);
    batcher = std::move(batcher_);
  }
  batcher.reset();  // answers queued requests outside the lock
  // Requests whose loop stopped before its flush ran (shutdown).
  std::vector<QueuedPredict> queue;
  {
    std::lock_guard<std::mutex> queue_lock(loop_mu_);
    queue.swap(loop_queue_);
  }
  for (QueuedPredict& item : queue) item.done(Unavailable("Server is shutting down."));
}

int Model::effective_max_batch_size() const {
  if (!policy_.can_batch) return 1;
  int n = options_.max_batch_size > 0 ? options_.max_batch_size : policy_.default_max_batch_size;
  return std::max(1, n);
}

void Model::RunOnLoader(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(loader_mu_);
    loader_tasks_.push_back(std::move(task));
  }
  loader_cv_.notify_one();
}

void Model::LoaderLoop() {
  std::unique_lock<std::mutex> lock(loader_mu_);
  while (true) {
    loader_cv_.wait(lock, [this] { return loader_stop_ || !loader_tasks_.empty(); });
    if (loader_tasks_.empty()) return;
    auto task = std::move(loader_tasks_.front());
    loader_tasks_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      metrics_.RecordInternalError();
      spdlog::error("component=serving model={} loader: unexpected exception: {}", options_.name,
                    e.what());
    }
    lock.lock();
  }
}

void Model::LoadAsync(std::function<void(Status)> done) {
  RunOnLoader([this, done = std::move(done)] {
    Status s = DoLoad();
    if (done) done(s);
  });
}

void Model::UnloadAsync(std::function<void(Status)> done) {
  RunOnLoader([this, done = std::move(done)] {
    DoUnload();
    if (done) done(Status::Ok());
  });
}

Status Model::DoLoad() {
  {
    std::unique_lock lock(state_mu_);
    if (state_ == ModelState::kReady) return Status::Ok();
    state_ = ModelState::kLoading;
    failure_.clear();
  }
  spdlog::info("component=serving model={} loading from {}", options_.name, options_.model_dir);
  auto start = std::chrono::steady_clock::now();
  Status s = runtime_->Load(options_.model_dir);
  std::unique_lock lock(state_mu_);
  if (!s.ok()) {
    state_ = ModelState::kFailed;
    failure_ = s.message();
    spdlog::error("component=serving model={} failed to load: {}", options_.name, s.message());
    return s;
  }
  metadata_ = runtime_->Metadata();
  bool batched = !policy_.thread_safe || effective_max_batch_size() > 1;
  if (batched) {
    BatcherOptions bo{.max_batch_size = effective_max_batch_size(),
                      .max_latency = options_.max_latency};
    batcher_ = std::make_unique<Batcher>(*runtime_, bo, metrics_);
  }
  // Loop batching needs a runtime the loops may call (thread-safe, bounded CPU work) and
  // does not wait for company, so a max latency keeps the batcher thread.
  loop_batching_ = options_.loop_batching && policy_.thread_safe &&
                   effective_max_batch_size() > 1 && options_.max_latency.count() == 0;
  state_ = ModelState::kReady;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("component=serving model={} ready in {:.3f}s max_batch_size={} path={}",
               options_.name, secs, effective_max_batch_size(),
               loop_batching_ ? "loop"
               : batched      ? "batcher"
                              : "inline");
  return Status::Ok();
}

void Model::DoUnload() {
  std::unique_ptr<Batcher> batcher;
  {
    std::unique_lock lock(state_mu_);
    if (state_ != ModelState::kReady) {
      state_ = ModelState::kUnloaded;
      return;
    }
    state_ = ModelState::kUnloaded;
    loop_batching_ = false;
    batcher = std::move(batcher_);
  }
  // Queued requests finish on the old runtime state before it goes away.
  batcher.reset();
  std::unique_lock lock(state_mu_);
  runtime_->Unload();
  spdlog::info("component=serving model={} unloaded", options_.name);
}

ModelState Model::state() const {
  std::shared_lock lock(state_mu_);
  return state_;
}

Status Model::CheckReady() const {
  std::shared_lock lock(state_mu_);
  if (state_ == ModelState::kReady) return Status::Ok();
  if (state_ == ModelState::kFailed) {
    return ModelNotReadyError(options_.name, "Failed to load model: " + failure_);
  }
  if (state_ == ModelState::kUnloaded) return ModelNotReadyError(options_.name, "It is unloaded.");
  return ModelNotReadyError(options_.name);
}

StatusOr<ModelMetadata> Model::Metadata() const {
  SKIFF_RETURN_IF_ERROR(CheckReady());
  std::shared_lock lock(state_mu_);
  return metadata_;
}

void Model::Predict(PredictRequest&& request, PredictDone done, LoopScheduler* loop) {
  std::shared_lock lock(state_mu_);
  if (state_ != ModelState::kReady) {
    lock.unlock();
    done(CheckReady());
    return;
  }
  if (loop != nullptr && loop_batching_) {
    QueuedPredict item =
        MakeQueuedPredict(std::move(request), std::move(done), effective_max_batch_size());
    lock.unlock();
    bool first;
    {
      std::lock_guard<std::mutex> queue_lock(loop_mu_);
      first = loop_queue_.empty();
      loop_queue_.push_back(std::move(item));
    }
    // The Model outlives the loops (ServeMain stops the HTTP server first), and a flush that
    // never runs because its loop stopped leaves the requests to the destructor.
    if (first) loop->Defer([this] { FlushLoopQueue(); });
    return;
  }
  if (batcher_ == nullptr) {
    auto start = std::chrono::steady_clock::now();
    StatusOr<std::vector<Tensor>> result = runtime_->Predict(request);
    metrics_.RecordInference(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    metrics_.RecordBatch(1);
    lock.unlock();
    done(std::move(result));
    return;
  }
  Status queued = batcher_->Enqueue(std::move(request), std::move(done));
  if (!queued.ok()) {
    lock.unlock();
    done(queued);  // not moved from: Enqueue takes ownership only on success
  }
}

void Model::FlushLoopQueue() {
  std::vector<QueuedPredict> queue;
  {
    std::lock_guard<std::mutex> queue_lock(loop_mu_);
    queue.swap(loop_queue_);
  }
  std::shared_lock lock(state_mu_);
  if (state_ != ModelState::kReady || !loop_batching_) {
    // Unloaded since these were queued: answer as a request arriving now would be.
    lock.unlock();
    Status not_ready = CheckReady();
    if (not_ready.ok()) not_ready = ModelNotReadyError(options_.name);
    for (QueuedPredict& item : queue) item.done(not_ready);
    return;
  }
  const int64_t max_rows = effective_max_batch_size();
  std::vector<QueuedPredict> batch;
  while (!queue.empty()) {
    TakeBatch(queue, max_rows, batch);
    ExecuteBatch(*runtime_, metrics_, batch);
  }
}

StatusOr<std::string> Model::Explain(const PredictRequest& request) {
  SKIFF_RETURN_IF_ERROR(CheckReady());
  if (!policy_.thread_safe) return Unimplemented("Model does not support explain.");
  std::shared_lock lock(state_mu_);
  return runtime_->Explain(request);
}

}  // namespace skiff::serving
