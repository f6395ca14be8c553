// WorkQueue: client-go's rate-limited work queue for controller keys. A key is queued at most
// once; a key being processed is never handed to a second worker, and if it is added meanwhile
// it is queued again when Done() is called. Failures back off per key exponentially.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace skiff::client {

struct WorkQueueOptions {
  // Per-key exponential backoff for AddRateLimited: base * 2^failures, capped (client-go's
  // DefaultControllerRateLimiter uses 5 ms .. 1000 s).
  std::chrono::milliseconds base_delay{5};
  std::chrono::milliseconds max_delay{1000 * 1000};
};

// Thread-safe.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();  // ShutDown()
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  // Adds after `delay` (a shorter pending delay for the same key wins).
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // AddAfter with the key's next backoff delay; the key's failure count grows.
  void AddRateLimited(const std::string& key);
  // Resets the key's failure count (call after a successful reconcile).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready or the queue shuts down (nullopt). The caller must call Done().
  std::optional<std::string> Get();
  void Done(const std::string& key);

  // Wakes every Get() with nullopt; later adds are ignored.
  void ShutDown();
  bool shutting_down() const;
  size_t Len() const;  // keys ready to be handed out

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  void AddLocked(const std::string& key);  // requires: mu_ held
  void TimerLoop();

  const WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // Get() waiters
  std::condition_variable timer_cv_;  // the delay thread
  std::deque<std::string> queue_;     // guarded by mu_
  std::set<std::string> dirty_;       // queued or to be requeued; guarded by mu_
  std::set<std::string> processing_;  // guarded by mu_
  std::map<std::string, SteadyTime> waiting_;     // key -> ready time; guarded by mu_
  std::map<std::string, int> failures_;           // guarded by mu_
  bool shutdown_ = false;                         // guarded by mu_
  std::thread timer_;
};

}  // namespace skiff::client
