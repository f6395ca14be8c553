// The usage registry: two maps behind one mutex. Readers get copies, so a slow reader never
// holds the lock while it serializes.
#include "base/resource_usage.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

namespace skiff::usage {
namespace {

// A process-wide registry by design (like base/metrics): the node agent and the API server
// share a process in `skiff up` and have no other channel for samples that change every second.
struct Registry {
  std::mutex mu;
  std::map<std::string, PodUsage> pods;    // uid -> sample; guarded by mu
  std::map<std::string, NodeUsage> nodes;  // name -> sample; guarded by mu
};

Registry& Get() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

bool PodUsage::HasRates() const {
  if (containers.empty()) return false;
  for (const auto& c : containers) {
    if (c.cpu_nano_cores < 0) return false;
  }
  return true;
}

void PublishPodUsage(PodUsage usage) {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  std::string uid = usage.uid;
  r.pods[uid] = std::move(usage);
}

void ForgetPod(const std::string& uid) {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  r.pods.erase(uid);
}

std::vector<PodUsage> PodUsages() {
  std::vector<PodUsage> out;
  {
    Registry& r = Get();
    std::lock_guard lock(r.mu);
    out.reserve(r.pods.size());
    for (const auto& [uid, p] : r.pods) out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const PodUsage& a, const PodUsage& b) {
    return std::tie(a.ns, a.name, a.uid) < std::tie(b.ns, b.name, b.uid);
  });
  return out;
}

std::optional<PodUsage> FindPodUsage(const std::string& ns, const std::string& name) {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  const PodUsage* best = nullptr;
  for (const auto& [uid, p] : r.pods) {
    // A pod recreated under the same name briefly has two samples: serve the newer.
    if (p.ns == ns && p.name == name && (!best || p.timestamp > best->timestamp)) best = &p;
  }
  if (!best) return std::nullopt;
  return *best;
}

void PublishNodeUsage(NodeUsage usage) {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  std::string name = usage.name;
  r.nodes[name] = std::move(usage);
}

void ForgetNode(const std::string& name) {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  r.nodes.erase(name);
}

std::vector<NodeUsage> NodeUsages() {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  std::vector<NodeUsage> out;
  for (const auto& [name, n] : r.nodes) out.push_back(n);
  return out;
}

void ResetUsageForTest() {
  Registry& r = Get();
  std::lock_guard lock(r.mu);
  r.pods.clear();
  r.nodes.clear();
}

}  // namespace skiff::usage
