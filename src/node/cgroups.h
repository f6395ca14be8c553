// cgroup v1 memory and cpu controllers per container (<root>/<ctrl>/skiff/pod<uid>/<name>):
// limits, OOM-kill counting, usage (cpuacct time, memory working set), and finding every
// process of a pod to kill it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::node {

// Stateless apart from its paths; thread-safe.
class Cgroups {
 public:
  explicit Cgroups(std::string root = "/sys/fs/cgroup", std::string parent = "skiff")
      : root_(std::move(root)), parent_(std::move(parent)) {}

  // True when the v1 memory and cpu hierarchies exist and the parent can be created.
  bool Available() const;
  // Creates the container's memory and cpu cgroups and writes the limits (0 = none; cpu in
  // millicores: quota = milli * period / 1000; shares from the request). Returns the
  // cgroup.procs files to join. Idempotent.
  StatusOr<std::vector<std::string>> CreateContainer(const std::string& pod_uid,
                                                     const std::string& container,
                                                     int64_t memory_limit_bytes,
                                                     int64_t cpu_limit_milli,
                                                     int64_t cpu_request_milli) const;
  // memory.oom_control's oom_kill counter (0 when unknown).
  int64_t OomKills(const std::string& pod_uid, const std::string& container) const;
  // Cumulative CPU time of the container (cpuacct.usage, in the cpuacct hierarchy, which may be
  // mounted with cpu or on its own). NotFound when the container has no cpuacct cgroup.
  StatusOr<uint64_t> CpuUsageNs(const std::string& pod_uid, const std::string& container) const;
  // memory.usage_in_bytes minus total_inactive_file (cadvisor's working set, what
  // metrics-server reports). NotFound when the container has no memory cgroup.
  StatusOr<int64_t> MemoryWorkingSetBytes(const std::string& pod_uid,
                                          const std::string& container) const;
  // Every process in the container's (or, with container "", the whole pod's) memory cgroup.
  std::vector<pid_t> Pids(const std::string& pod_uid, const std::string& container) const;
  // Sends `sig` to every process found by Pids(); returns how many were signalled.
  int Signal(const std::string& pod_uid, const std::string& container, int sig) const;
  // Removes the pod's cgroups (they must be empty). Idempotent.
  Status RemovePod(const std::string& pod_uid) const;

 private:
  std::string Dir(const std::string& controller, const std::string& pod_uid,
                  const std::string& container) const;
  // The hierarchies a container joins: memory, cpu, and cpuacct when it is mounted apart.
  std::vector<std::string> Controllers() const;

  std::string root_, parent_;
};

}  // namespace skiff::node
