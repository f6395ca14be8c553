// The batcher thread: batch selection (order-preserving, compatible requests only), one
// model call per batch, per-request results. The selection and execution helpers are shared
// with the Model's loop batching.
#include "serving/batcher.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "serving/batch.h"

namespace skiff::serving {

using SteadyClock = std::chrono::steady_clock;

QueuedPredict MakeQueuedPredict(PredictRequest&& request, PredictDone&& done, int max_batch_size) {
  QueuedPredict item;
  item.key = max_batch_size > 1 ? BatchKey(request) : std::nullopt;
  item.rows = item.key ? BatchRows(request) : 0;
  item.request = std::move(request);
  item.done = std::move(done);
  item.enqueued = SteadyClock::now();
  return item;
}

void TakeBatch(std::vector<QueuedPredict>& queue, int64_t max_rows,
               std::vector<QueuedPredict>& batch) {
  batch.clear();
  if (queue.empty()) return;
  size_t kept = 0;
  int64_t rows = 0;
  bool full = false;
  const std::optional<std::string> key = queue.front().key;
  for (size_t i = 0; i < queue.size(); ++i) {
    QueuedPredict& item = queue[i];
    bool take = i == 0;
    if (!take && key && !full && item.key && *item.key == *key) {
      if (rows + item.rows <= max_rows) {
        take = true;
      } else {
        full = true;  // later compatible requests stay behind this one, in order
      }
    }
    if (take) {
      rows += item.rows;
      batch.push_back(std::move(item));
    } else {
      if (kept != i) queue[kept] = std::move(item);
      ++kept;
    }
  }
  queue.resize(kept);
}

void ExecuteBatch(Runtime& runtime, ServingMetrics& metrics, std::span<QueuedPredict> batch) {
  auto start = SteadyClock::now();
  for (const QueuedPredict& item : batch) {
    metrics.RecordQueue(std::chrono::duration<double>(start - item.enqueued).count());
  }
  try {
    if (batch.size() == 1) {
      StatusOr<std::vector<Tensor>> result = runtime.Predict(batch[0].request);
      metrics.RecordInference(std::chrono::duration<double>(SteadyClock::now() - start).count());
      metrics.RecordBatch(1);
      std::exchange(batch[0].done, nullptr)(std::move(result));
      return;
    }
    std::vector<const PredictRequest*> requests;
    std::vector<int64_t> rows;
    requests.reserve(batch.size());
    rows.reserve(batch.size());
    for (const QueuedPredict& item : batch) {
      requests.push_back(&item.request);
      rows.push_back(item.rows);
    }
    PredictRequest joined = ConcatRows(requests);
    StatusOr<std::vector<Tensor>> result = runtime.Predict(joined);
    metrics.RecordInference(std::chrono::duration<double>(SteadyClock::now() - start).count());
    metrics.RecordBatch(batch.size());
    StatusOr<std::vector<std::vector<Tensor>>> parts =
        result.ok() ? SplitRows(*result, rows)
                    : StatusOr<std::vector<std::vector<Tensor>>>(result.status());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (parts.ok()) {
        std::exchange(batch[i].done, nullptr)(std::move((*parts)[i]));
      } else {
        std::exchange(batch[i].done, nullptr)(parts.status());
      }
    }
  } catch (const std::exception& e) {
    // Last resort: a runtime or callback broke the no-throw contract.
    metrics.RecordInternalError();
    spdlog::error("component=serving batcher: unexpected exception: {}", e.what());
    for (QueuedPredict& item : batch) {
      if (item.done) item.done(Internal(std::string("unexpected exception: ") + e.what()));
    }
  }
}

Batcher::Batcher(Runtime& runtime, const BatcherOptions& options, ServingMetrics& metrics)
    : runtime_(runtime), options_(options), metrics_(metrics) {
  // The batcher thread is where blocking runtimes (the Python GIL) run, off the HTTP loops.
  thread_ = std::thread([this] { Run(); });
}

Batcher::~Batcher() { Stop(); }

Status Batcher::Enqueue(PredictRequest&& request, PredictDone&& done) {
  std::optional<std::string> key = options_.max_batch_size > 1 ? BatchKey(request) : std::nullopt;
  int64_t rows = key ? BatchRows(request) : 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("Server is shutting down.");
    if (queue_.size() >= options_.max_queue) {
      return Unavailable("Server is overloaded: " + std::to_string(queue_.size()) +
                         " requests queued.");
    }
    Item item;
    item.key = std::move(key);
    item.rows = rows;
    item.request = std::move(request);
    item.done = std::move(done);
    item.enqueued = SteadyClock::now();
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return Status::Ok();
}

void Batcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<Batcher::Item> Batcher::NextBatch(std::unique_lock<std::mutex>& lock) {
  std::vector<Item> batch;
  const Item& first = queue_.front();
  if (!first.key) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    return batch;
  }
  const std::string key = *first.key;
  const auto deadline = first.enqueued + options_.max_latency;
  const int64_t limit = options_.max_batch_size;
  while (true) {
    // Rows of the compatible requests that fit, scanning in arrival order.
    int64_t rows = 0;
    size_t fits = 0;
    for (const Item& item : queue_) {
      if (!item.key || *item.key != key) continue;
      if (fits > 0 && rows + item.rows > limit) break;
      rows += item.rows;
      ++fits;
    }
    if (rows >= limit || stopping_ || options_.max_latency.count() == 0 ||
        SteadyClock::now() >= deadline) {
      break;
    }
    cv_.wait_until(lock, deadline);
  }
  // Take the selected requests; the rest keep their order.
  std::deque<Item> rest;
  int64_t rows = 0;
  bool full = false;
  for (Item& item : queue_) {
    bool match = item.key && *item.key == key;
    if (match && !full && (batch.empty() || rows + item.rows <= limit)) {
      rows += item.rows;
      batch.push_back(std::move(item));
    } else {
      if (match) full = true;  // keep later matches behind this one, in order
      rest.push_back(std::move(item));
    }
  }
  queue_.swap(rest);
  return batch;
}

void Batcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued was answered
    std::vector<Item> batch = NextBatch(lock);
    lock.unlock();
    ExecuteBatch(runtime_, metrics_, batch);
    lock.lock();
  }
}

}  // namespace skiff::serving
