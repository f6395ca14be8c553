// The Node object this agent registers: capacity from the host (cpu, memory, NVIDIA GPUs) plus
// simulated GPUs and extra capacity, conditions, addresses and nodeInfo.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::node {

struct HostResources {
  int64_t cpu_milli = 0;
  int64_t memory_bytes = 0;
  int real_gpus = 0;
};

// nproc (sched affinity), MemTotal from /proc/meminfo, `nvidia-smi -L` line count.
HostResources DetectHost();

struct NodeObjectInput {
  std::string name{};
  std::string internal_ip{};
  HostResources host{};
  int simulated_gpus = 0;
  std::vector<std::pair<std::string, std::string>> extra_capacity{};  // name, quantity
  int max_pods = 110;
  bool sandbox = true;
};

// The full Node (apiVersion, kind, metadata, spec, status). InvalidArgument for an extra
// capacity entry whose quantity does not parse.
StatusOr<Json> BuildNodeObject(const NodeObjectInput& in);

}  // namespace skiff::node
