// CrashLoopBackoff: kubelet's doBackOff over client-go flowcontrol.Backoff.
#include "node/backoff.h"

#include <algorithm>

namespace skiff::node {

std::chrono::seconds CrashLoopBackoff::Delay(const std::string& key, SystemTime finished) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, finished)) return std::chrono::seconds(0);
  return it->second.backoff;
}

SystemTime CrashLoopBackoff::RestartAt(const std::string& key, SystemTime finished) const {
  return finished + Delay(key, finished);
}

void CrashLoopBackoff::RecordRestart(const std::string& key, SystemTime finished, SystemTime now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, finished)) {
    entries_[key] = Entry{initial_, now};
    return;
  }
  it->second.backoff = std::min(it->second.backoff * 2, max_);
  it->second.last_update = now;
}

}  // namespace skiff::node
