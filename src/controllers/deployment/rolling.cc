// The rolling-update arithmetic (kube's pkg/controller/deployment/rolling.go), as pure functions.
#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "controllers/deployment/deployment.h"

namespace skiff::controllers::deployment {

int64_t ResolveIntOrPercent(const Json& value, int64_t total, bool round_up, int64_t fallback) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return fallback;
  std::string s = value.get<std::string>();
  if (s.empty()) return fallback;
  try {
    if (s.back() == '%') {
      int64_t pct = std::stoll(s.substr(0, s.size() - 1));
      int64_t num = pct * total;
      return round_up ? (num + 99) / 100 : num / 100;
    }
    return std::stoll(s);
  } catch (...) {
    return fallback;
  }
}

int64_t NewRsReplicas(int64_t desired, int64_t max_surge, const std::vector<RsState>& all,
                      const RsState& new_rs) {
  int64_t current = 0;
  for (const auto& rs : all) current += rs.replicas;
  int64_t max_total = desired + max_surge;
  if (current >= max_total) return new_rs.replicas;
  int64_t scale_up = std::min(max_total - current, desired - new_rs.replicas);
  return new_rs.replicas + std::max<int64_t>(0, scale_up);
}

std::vector<int64_t> ScaleDownOld(int64_t desired, int64_t max_unavailable,
                                  const std::vector<RsState>& old, const RsState* new_rs) {
  std::vector<int64_t> target;
  for (const auto& rs : old) target.push_back(rs.replicas);
  int64_t old_count = 0;
  for (const auto& rs : old) old_count += rs.replicas;
  if (old_count == 0) return target;
  int64_t all_count = old_count + (new_rs ? new_rs->replicas : 0);
  int64_t min_available = desired - max_unavailable;
  int64_t new_unavailable = new_rs ? new_rs->replicas - new_rs->available : 0;
  int64_t max_scaled_down = all_count - min_available - new_unavailable;
  if (max_scaled_down <= 0) return target;
  // Unhealthy old replicas first: removing them costs no availability.
  int64_t cleaned = 0;
  for (size_t i = 0; i < old.size() && cleaned < max_scaled_down; ++i) {
    if (target[i] == 0 || old[i].available >= target[i]) continue;
    int64_t n = std::min(max_scaled_down - cleaned, target[i] - old[i].available);
    target[i] -= n;
    cleaned += n;
  }
  // Then healthy ones, as far as minimum availability allows.
  int64_t available = new_rs ? new_rs->available : 0;
  for (const auto& rs : old) available += rs.available;
  if (available <= min_available) return target;
  int64_t total_down = available - min_available;
  int64_t done = 0;
  for (size_t i = 0; i < old.size() && done < total_down; ++i) {
    if (target[i] == 0) continue;
    int64_t n = std::min(target[i], total_down - done);
    target[i] -= n;
    done += n;
  }
  return target;
}

}  // namespace skiff::controllers::deployment
