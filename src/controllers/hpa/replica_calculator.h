// The HPA's replica arithmetic for per-pod resource metrics (kube's replica_calculator.go):
// ready/unready/missing pod grouping, utilization ratios, tolerance, and the conservative
// treatment of pods without metrics. Pure functions; no clock reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "controllers/hpa/hpa_view.h"

namespace skiff::controllers::hpa {

// One pod's measured usage of a resource, summed over its containers.
struct PodMetric {
  int64_t value_milli = 0;  // millicores, or milli-bytes for memory (kube's MilliValue)
  SystemTime timestamp{};
  std::chrono::milliseconds window{0};
};
using PodMetrics = std::map<std::string, PodMetric>;  // by pod name

struct CalculatorOptions {
  double tolerance = 0.1;  // --horizontal-pod-autoscaler-tolerance
  // --horizontal-pod-autoscaler-cpu-initialization-period: CPU samples of a pod this young are
  // trusted only once a full window was collected after it became ready.
  std::chrono::seconds cpu_initialization_period{300};
  // --horizontal-pod-autoscaler-initial-readiness-delay.
  std::chrono::seconds delay_of_initial_readiness{30};
};

struct ReplicaProposal {
  int32_t replicas = 0;
  int32_t utilization = 0;        // percent of request (Utilization targets only)
  int64_t raw_average_milli = 0;  // average usage per pod with metrics
};

// Utilization target: desired replicas for `target_utilization` percent of the pods' requests.
// Errors read like kube's ("no pods returned by selector ...", "missing request for cpu in
// container c of Pod p", "did not receive metrics for targeted pods (pods might be unready)").
StatusOr<ReplicaProposal> ResourceUtilizationReplicas(int32_t current_replicas,
                                                      int32_t target_utilization,
                                                      const std::string& resource,
                                                      const std::vector<PodFacts>& pods,
                                                      PodMetrics metrics, SystemTime now,
                                                      const CalculatorOptions& options);

// AverageValue target (milli-units per pod): kube's GetRawResourceReplicas.
StatusOr<ReplicaProposal> ResourceAverageValueReplicas(int32_t current_replicas,
                                                       int64_t target_average_milli,
                                                       const std::string& resource,
                                                       const std::vector<PodFacts>& pods,
                                                       PodMetrics metrics, SystemTime now,
                                                       const CalculatorOptions& options);

}  // namespace skiff::controllers::hpa
