// UsageSampler: the node agent's resource-usage collector (the kubelet's cadvisor/summary part
// that metrics-server scrapes). Every interval it reads each running container's cumulative CPU
// time and memory working set, turns CPU time into a rate over a sliding window, and publishes
// the samples to the process-wide registry (base/resource_usage.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"

namespace skiff::node {

class Cgroups;

// The rate of a cumulative counter over the last `window`: keeps the newest sample and the
// newest one at least `window` older (or the oldest, before a window has passed).
// Thread-compatible.
class RateWindow {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  explicit RateWindow(std::chrono::nanoseconds window) : window_(window) {}
  // A reading taken at `t`. A counter that went backwards (its cgroup was recreated) restarts
  // the history.
  void Add(SteadyTime t, uint64_t value);
  // Counter units per second times 1e9 / 1e9: for nanoseconds of CPU time, nanocores. -1 until
  // two samples exist.
  int64_t RatePerSecond() const;
  // The span the rate covers (0 with fewer than two samples).
  std::chrono::nanoseconds Span() const;

 private:
  std::chrono::nanoseconds window_;
  std::deque<std::pair<SteadyTime, uint64_t>> samples_;
};

// Where the numbers come from. Called from the sampler thread only.
class UsageReader {
 public:
  virtual ~UsageReader() = default;
  virtual StatusOr<uint64_t> CpuUsageNs(const std::string& pod_uid,
                                        const std::string& container) = 0;
  virtual StatusOr<int64_t> MemoryWorkingSetBytes(const std::string& pod_uid,
                                                  const std::string& container) = 0;
  virtual StatusOr<uint64_t> NodeCpuUsageNs() = 0;            // all CPUs, since boot
  virtual StatusOr<int64_t> NodeMemoryWorkingSetBytes() = 0;  // MemTotal - MemAvailable
};

// Sandbox mode: the containers' cgroups. `cgroups` must outlive the reader.
std::unique_ptr<UsageReader> NewCgroupUsageReader(const Cgroups& cgroups);
// Without a sandbox (no cgroups): each container's main process from the pod state files in
// `state_dir` (utime+stime plus reaped children's, resident set size).
std::unique_ptr<UsageReader> NewProcUsageReader(std::string state_dir);

// A pod worth sampling: phase Running, not being deleted.
struct SampledPod {
  std::string ns, name, uid;
  std::vector<std::string> containers;  // spec.containers names
};
std::vector<SampledPod> RunningPods(const std::vector<std::shared_ptr<const Json>>& pods);

struct UsageSamplerOptions {
  std::string node_name{};
  std::chrono::milliseconds interval{1000};  // how often to read
  // The CPU rate averages over this much history (metrics-server's kubelet scrape window is
  // 15 s; shorter makes autoscaling react sooner).
  std::chrono::milliseconds window{5000};
};

// Start/Stop and SampleOnce are thread-safe with each other.
class UsageSampler {
 public:
  using PodLister = std::function<std::vector<std::shared_ptr<const Json>>()>;
  // `list_pods` returns the pods bound to this node (the agent's informer cache); `clock` must
  // outlive the sampler.
  UsageSampler(UsageSamplerOptions options, std::unique_ptr<UsageReader> reader,
               PodLister list_pods, const Clock* clock);
  ~UsageSampler();  // Stop()

  // Starts the sampling thread (one sample at once, then every interval).
  void Start();
  // Stops the thread and withdraws everything this sampler published.
  void Stop();
  // One pass: read, update rates, publish, forget pods no longer running. Blocks on file reads
  // only.
  void SampleOnce();

 private:
  void Loop();

  const UsageSamplerOptions options_;
  const std::unique_ptr<UsageReader> reader_;
  const PodLister list_pods_;
  const Clock* clock_;
  std::mutex sample_mu_;                       // serializes SampleOnce; guards the fields below
  std::map<std::string, RateWindow> windows_;  // "<uid>/<container>" and "" for the node
  std::set<std::string> published_;            // pod uids in the registry
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace skiff::node
