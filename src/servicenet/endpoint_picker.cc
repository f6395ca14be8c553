// EndpointPicker: least-outstanding selection with a rotating start for ties.
#include "servicenet/endpoint_picker.h"

namespace skiff::servicenet {

void EndpointPicker::SetBackends(std::vector<Backend> backends) {
  backends_ = std::move(backends);
  if (next_ >= backends_.size()) next_ = 0;
}

std::optional<Backend> EndpointPicker::Pick(const std::set<Backend>& exclude) {
  std::optional<size_t> best;
  int best_load = 0;
  for (size_t i = 0; i < backends_.size(); ++i) {
    size_t idx = (next_ + i) % backends_.size();
    const Backend& b = backends_[idx];
    if (exclude.count(b)) continue;
    int load = Outstanding(b);
    if (!best || load < best_load) {
      best = idx;
      best_load = load;
    }
  }
  if (!best) return std::nullopt;
  next_ = (*best + 1) % backends_.size();
  return backends_[*best];
}

void EndpointPicker::Acquire(const Backend& backend) { ++active_[backend]; }

void EndpointPicker::Release(const Backend& backend) {
  auto it = active_.find(backend);
  if (it == active_.end()) return;
  if (--it->second <= 0) active_.erase(it);
}

int EndpointPicker::Outstanding(const Backend& backend) const {
  auto it = active_.find(backend);
  return it == active_.end() ? 0 : it->second;
}

}  // namespace skiff::servicenet
