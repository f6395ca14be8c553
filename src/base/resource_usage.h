// Process-wide registry of measured resource usage (what the kubelet's summary API and
// metrics-server hold): the node agent publishes per-pod and per-node samples, and the API
// server's metrics.k8s.io endpoints read them in the same `skiff up` process. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace skiff::usage {

struct ContainerUsage {
  std::string name;
  uint64_t cpu_usage_ns = 0;  // cumulative CPU time since the container's cgroup was made
  // CPU rate averaged over the sample's window, in nanocores (1e9 = one core); < 0 until two
  // samples a window apart exist.
  int64_t cpu_nano_cores = -1;
  int64_t memory_working_set_bytes = 0;  // usage minus inactive file cache (cadvisor's)
};

struct PodUsage {
  std::string ns, name, uid;
  SystemTime timestamp{};               // when the newest sample was taken
  std::chrono::milliseconds window{0};  // the span the CPU rates cover
  std::vector<ContainerUsage> containers;
  // True when every container has a rate (metrics-server serves only such pods).
  bool HasRates() const;
};

struct NodeUsage {
  std::string name;
  SystemTime timestamp{};
  std::chrono::milliseconds window{0};
  uint64_t cpu_usage_ns = 0;
  int64_t cpu_nano_cores = -1;  // < 0 until two samples exist
  int64_t memory_working_set_bytes = 0;
};

// Replaces the pod's sample (keyed by uid).
void PublishPodUsage(PodUsage usage);
// Drops a pod (deleted or no longer running here).
void ForgetPod(const std::string& uid);
// Every published pod, sorted by namespace then name.
std::vector<PodUsage> PodUsages();
// The newest sample of ns/name, if any.
std::optional<PodUsage> FindPodUsage(const std::string& ns, const std::string& name);

void PublishNodeUsage(NodeUsage usage);
void ForgetNode(const std::string& name);
std::vector<NodeUsage> NodeUsages();  // sorted by name

// Drops everything (tests).
void ResetUsageForTest();

}  // namespace skiff::usage
