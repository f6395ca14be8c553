// The KPA controller (Knative's PodAutoscaler reconciler, for Skiff's Knative-mode
// InferenceService revisions): every tick it decides each revision Deployment's replicas from
// the load the gateway measures, scales idle revisions to zero and wakes them when the
// activator holds a request for one (docs/autoscaling.md).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::kpa {

// A revision Deployment is one of ours when it has this label and its class annotation is KPA
// (or absent).
inline constexpr char kRevisionLabel[] = "serving.knative.dev/revision";
// Cluster defaults, as Knative keeps them.
inline constexpr char kConfigNamespace[] = "knative-serving";
inline constexpr char kConfigName[] = "config-autoscaler";

// A revision's load now: requests in flight (held ones included) and requests per second.
struct RevisionLoad {
  double concurrency = 0;
  double rps = 0;
};
// Load of revision "namespace/name"; nullopt when the data plane does not know it (counts as 0).
using LoadSource = std::function<std::optional<RevisionLoad>(const std::string& revision)>;

struct KpaOptions {
  LoadSource load;
  // How often load is sampled into the autoscalers' 1 s buckets.
  std::chrono::milliseconds sample_interval{250};
};

// What the data plane calls into; outlives nothing: Stop() it before the load source goes.
class KpaHandle {
 public:
  virtual ~KpaHandle() = default;
  // The activator holds a request for revision "namespace/name" with no ready pod: scale it up
  // now instead of at the next tick. Cheap and non-blocking.
  virtual void Poke(const std::string& revision) = 0;
  // Stops sampling; the load source is not called after this returns. Idempotent.
  virtual void Stop() = 0;
};

// Adds controller "kpa" to `mgr` (before Manager::Start) and starts its sampler.
StatusOr<std::shared_ptr<KpaHandle>> Register(Manager* mgr, KpaOptions options);

}  // namespace skiff::controllers::kpa
