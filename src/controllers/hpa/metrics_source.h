// Where the HPA controller gets per-pod resource usage (kube's resource metrics client). The real
// source reads metrics.k8s.io/v1beta1 PodMetrics through the API, which `skiff up` serves from
// the node agent's samples (and metrics-server serves on a real cluster); tests feed numbers.
#pragma once

#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "controllers/hpa/replica_calculator.h"

namespace skiff::client {
class Client;
}

namespace skiff::controllers::hpa {

// Implementations must be thread-safe (reconciles of different HPAs run concurrently).
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  // Usage of `resource` ("cpu", "memory") for the pods in `ns` matching `selector` (the scale
  // target's selector string), by pod name, in milli-units. `container` "" sums every container;
  // a pod lacking a sample for any counted container is left out. Errors read like kube's
  // ("no metrics returned from resource metrics API", "unable to fetch metrics from resource
  // metrics API: ...").
  virtual StatusOr<PodMetrics> ResourceMetrics(const std::string& ns, const std::string& selector,
                                               const std::string& resource,
                                               const std::string& container) = 0;
};

// Lists PodMetrics with `client` (which must outlive the source).
std::unique_ptr<MetricsSource> NewApiMetricsSource(client::Client* client);

// Parses a PodMetricsList the way kube's getPodMetrics / getContainerMetrics do. Exposed for
// tests.
PodMetrics PodMetricsFromList(const Json& list, const std::string& resource,
                              const std::string& container);

}  // namespace skiff::controllers::hpa
