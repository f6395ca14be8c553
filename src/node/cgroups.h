// cgroup v1 memory and cpu controllers per container (<root>/<ctrl>/skiff/pod<uid>/<name>):
// limits, OOM-kill counting, and finding every process of a pod to kill it.
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
  // Every process in the container's (or, with container "", the whole pod's) memory cgroup.
  std::vector<pid_t> Pids(const std::string& pod_uid, const std::string& container) const;
  // Sends `sig` to every process found by Pids(); returns how many were signalled.
  int Signal(const std::string& pod_uid, const std::string& container, int sig) const;
  // Removes the pod's cgroups (they must be empty). Idempotent.
  Status RemovePod(const std::string& pod_uid) const;

 private:
  std::string Dir(const std::string& controller, const std::string& pod_uid,
                  const std::string& container) const;

  std::string root_, parent_;
};

}  // namespace skiff::node
