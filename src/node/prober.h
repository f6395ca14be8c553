// Container probes (httpGet, tcpSocket, exec, grpc) with the kubelet's threshold semantics, and
// the small thread pool that runs them off the supervisor thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "node/pod_spec.h"

namespace skiff::node {

struct ProbeTarget {
  std::string pod_ip{};
  pid_t ns_pid = 0;  // exec probes run in this process's net/uts/mnt namespaces
  std::vector<std::pair<std::string, std::string>> env{};
  std::vector<ContainerPort> ports{};  // for named ports
};

struct ProbeOutcome {
  bool success = false;
  std::string message{};  // why it failed ("HTTP probe failed with statuscode: 500")
};

// Runs one probe; blocks up to timeoutSeconds. Thread-safe.
ProbeOutcome RunProbe(const Probe& probe, const ProbeTarget& target);

// Consecutive-result bookkeeping for one probe of one container (kubelet worker.go):
// the result flips to success after successThreshold successes, to failure after
// failureThreshold failures. Not thread-safe.
class ProbeTracker {
 public:
  enum class Result { kUnknown, kSuccess, kFailure };
  ProbeTracker() = default;
  // `initial` is the result before any probe ran (readiness: failure; liveness/startup:
  // unknown, treated as success/not started by the caller).
  explicit ProbeTracker(Result initial) : result_(initial) {}
  // Returns true when the result changed.
  bool Record(const Probe& probe, bool success);
  Result result() const { return result_; }
  void Reset(Result initial) { *this = ProbeTracker(initial); }

 private:
  Result result_ = Result::kUnknown;
  int successes_ = 0;
  int failures_ = 0;
};

// A fixed pool of threads for blocking probe calls (a probe may wait its whole timeout), so
// the supervisor never blocks on a probe. Threads: `threads` workers, joined by the destructor.
class ProbeRunner {
 public:
  explicit ProbeRunner(int threads = 4);
  ~ProbeRunner();
  // `urgent` tasks run before queued ordinary ones: a new container's first probes should not
  // wait behind the periodic probes of every running pod.
  void Submit(std::function<void()> task, bool urgent = false);

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace skiff::node
