// Adaptive batcher: one thread per model that takes queued requests, joins compatible ones
// into a single model call (up to max_batch_size rows, waiting at most max_latency for more),
// and hands each request its own rows of the result. Under light load a request runs alone
// at once; under heavy load batches grow by themselves while the model is busy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "base/status.h"
#include "serving/metrics.h"
#include "serving/runtime.h"

namespace skiff::serving {

// Called exactly once with the request's outputs or its error.
using PredictDone = std::function<void(StatusOr<std::vector<Tensor>>)>;

// One request waiting for a batch (the Batcher's queue and the Model's loop queue).
struct QueuedPredict {
  PredictRequest request;
  PredictDone done;
  std::chrono::steady_clock::time_point enqueued;
  // BatchKey when the request may join others (max_batch_size > 1), with its row count.
  std::optional<std::string> key;
  int64_t rows = 0;
};

// A QueuedPredict stamped now, keyed for batching when `max_batch_size` > 1.
QueuedPredict MakeQueuedPredict(PredictRequest&& request, PredictDone&& done, int max_batch_size);

// Moves into `batch` the first request of `queue` plus every later one compatible with it, in
// order, while the rows stay within `max_rows` (the first always goes). Erases them from
// `queue`.
void TakeBatch(std::vector<QueuedPredict>& queue, int64_t max_rows,
               std::vector<QueuedPredict>& batch);

// Runs `batch` as one model call (rows concatenated when more than one request) and answers
// each request with its own rows, on the calling thread. Records queue, inference and batch
// metrics. Never throws: a throwing runtime or callback is counted and answered 500.
void ExecuteBatch(Runtime& runtime, ServingMetrics& metrics, std::span<QueuedPredict> batch);

struct BatcherOptions {
  // Most rows (dimension 0, summed over requests) one model call takes. A single request with
  // more rows still runs, alone. 1 disables cross-request batching.
  int max_batch_size = 1;
  // How long a batch that is not yet full may wait for more requests, counted from its first
  // request's arrival. 0: take what is queued when the model becomes free (no added latency).
  std::chrono::microseconds max_latency{0};
  // Requests queued beyond this are refused with 503.
  size_t max_queue = 16384;
};

// Thread-safe. Owns its thread; the runtime and metrics must outlive it.
class Batcher {
 public:
  Batcher(Runtime& runtime, const BatcherOptions& options, ServingMetrics& metrics);
  // Stop()s.
  ~Batcher();

  // Queues a request. Takes ownership of `request` and `done` only when it returns OK;
  // Unavailable when the queue is full or the batcher is stopping. `done` runs on the
  // batcher thread.
  Status Enqueue(PredictRequest&& request, PredictDone&& done);

  // Refuses new requests, answers every queued one, joins the thread. Idempotent.
  void Stop();

 private:
  using Item = QueuedPredict;
  void Run();
  // Picks the next batch from queue_. REQUIRES: mu_ held (released while waiting).
  std::vector<Item> NextBatch(std::unique_lock<std::mutex>& lock);

  Runtime& runtime_;
  const BatcherOptions options_;
  ServingMetrics& metrics_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace skiff::serving
