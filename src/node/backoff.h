// CrashLoopBackOff timing as the kubelet computes it (flowcontrol.Backoff keyed per container):
// the first restart is immediate, then 10 s doubling to 300 s, reset once a container has
// run 10 minutes (2 x max) since its last restart.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "base/time.h"

namespace skiff::node {

// Not thread-safe: owned by the supervisor thread.
class CrashLoopBackoff {
 public:
  explicit CrashLoopBackoff(std::chrono::seconds initial = std::chrono::seconds(10),
                            std::chrono::seconds max = std::chrono::seconds(300))
      : initial_(initial), max_(max) {}

  // When a container of `key` that finished at `finished` may start again (<= finished means
  // at once). Pure: call RecordRestart when actually restarting.
  SystemTime RestartAt(const std::string& key, SystemTime finished) const;
  // The delay RestartAt adds, for the BackOff message ("back-off 20s restarting ...").
  std::chrono::seconds Delay(const std::string& key, SystemTime finished) const;
  // Notes a restart at `now` of a container that finished at `finished`.
  void RecordRestart(const std::string& key, SystemTime finished, SystemTime now);
  void Forget(const std::string& key) { entries_.erase(key); }

 private:
  struct Entry {
    std::chrono::seconds backoff;
    SystemTime last_update;
  };
  bool Expired(const Entry& e, SystemTime event) const { return event - e.last_update > 2 * max_; }

  std::chrono::seconds initial_, max_;
  std::map<std::string, Entry> entries_;
};

}  // namespace skiff::node
