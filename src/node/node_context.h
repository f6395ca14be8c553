// What every pod worker shares: the agent's options and its services (image map, network,
// cgroups, GPU pool, API writer, events). Built once by NodeAgent; pod workers borrow it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"

namespace skiff::controllers {
class EventRecorder;
}

namespace skiff::node {

class ApiWriter;
class Cgroups;
class ConfigSource;
class ImageMap;
class PodNetwork;
class ProbeRunner;
struct ProbeOutcome;

// Exclusive device assignment for nvidia.com/gpu. Indices [0, real) are physical GPUs, the rest
// simulated (--simulate-gpus). Thread-compatible: used by the supervisor thread only.
class GpuPool {
 public:
  GpuPool(int real, int simulated) : real_(real), total_(real + simulated) {}
  // Takes `n` free devices for `owner`; empty when not enough are free.
  std::vector<int> Take(const std::string& owner, int n);
  // Marks specific devices as used by `owner` (re-adoption after a restart).
  void Claim(const std::string& owner, const std::vector<int>& devices);
  void Release(const std::string& owner);
  bool IsSimulated(int device) const { return device >= real_; }
  int Free() const { return total_ - static_cast<int>(used_.size()); }

 private:
  int real_, total_;
  std::map<int, std::string> used_;
};

// Host ports taken by pods in fallback mode (no network namespace): a second pod asking for
// the same containerPort would fail to bind, so it is refused up front.
class PortRegistry {
 public:
  // Returns "" on success, else the conflicting owner.
  std::string Reserve(const std::string& owner, const std::vector<int>& ports);
  void Release(const std::string& owner);

 private:
  std::map<int, std::string> owners_;
};

struct NodeContext {
  std::string node_name{};
  std::string data_dir{};
  std::string host_ip{};  // status.hostIP: the bridge address, or the host's in fallback
  int64_t node_cpu_milli = 1000;
  int64_t node_memory_bytes = 0;
  bool sandbox = false;  // netns + mount ns + cgroups
  std::string dns_server{"10.244.0.1"};
  std::string cluster_domain{"cluster.local"};
  int64_t max_log_bytes = 10 << 20;  // per container log file
  const Clock* clock = nullptr;
  ImageMap* images = nullptr;
  PodNetwork* network = nullptr;  // null without sandbox
  Cgroups* cgroups = nullptr;     // null without sandbox
  ConfigSource* config = nullptr;
  ApiWriter* writer = nullptr;
  controllers::EventRecorder* events = nullptr;
  ProbeRunner* prober = nullptr;
  // Runs pod network setup off the supervisor thread, so sandboxes of a burst of pods are built
  // in parallel (their kernel waits overlap). Null: set up inline.
  ProbeRunner* setup_pool = nullptr;
  GpuPool* gpus = nullptr;
  PortRegistry* ports = nullptr;
  // Posts a probe result back to the supervisor thread (called from prober threads).
  std::function<void(const std::string& uid, const std::string& container, int kind, bool success,
                     const std::string& message)>
      post_probe_result{};
  // Asks the supervisor to sync a pod soon (called from setup_pool threads).
  std::function<void(const std::string& uid)> wake_pod{};
};

}  // namespace skiff::node
