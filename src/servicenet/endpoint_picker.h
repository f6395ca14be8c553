// EndpointPicker: chooses the backend for each proxied connection — the one with the fewest
// connections in flight, rotating among ties (round robin when connections are short).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "servicenet/service_record.h"

namespace skiff::servicenet {

// Not thread-safe: each proxy listener owns one and uses it from its event loop only.
class EndpointPicker {
 public:
  // Replaces the backend set. Connections in flight to a removed backend keep their count until
  // released, so a backend that comes back is not flooded as if idle.
  void SetBackends(std::vector<Backend> backends);
  const std::vector<Backend>& backends() const { return backends_; }

  // The least-loaded backend not in `exclude` (those already failed for this connection);
  // nullopt when none is left.
  std::optional<Backend> Pick(const std::set<Backend>& exclude = {});
  void Acquire(const Backend& backend);
  void Release(const Backend& backend);
  int Outstanding(const Backend& backend) const;

 private:
  std::vector<Backend> backends_;
  std::map<Backend, int> active_;  // connections in flight; entries erased at zero
  size_t next_ = 0;                // where the next tie-break scan starts
};

}  // namespace skiff::servicenet
