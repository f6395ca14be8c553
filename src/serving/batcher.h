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
#include <thread>

#include "base/status.h"
#include "serving/metrics.h"
#include "serving/runtime.h"

namespace skiff::serving {

// Called exactly once with the request's outputs or its error.
using PredictDone = std::function<void(StatusOr<std::vector<Tensor>>)>;

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
  struct Item;
  void Run();
  // Picks the next batch from queue_. REQUIRES: mu_ held (released while waiting).
  std::vector<Item> NextBatch(std::unique_lock<std::mutex>& lock);
  void Execute(std::vector<Item>& batch);

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
