// Typed views the HPA controller works on, parsed once from JSON without throwing: an
// autoscaling/v2 HorizontalPodAutoscaler spec (with kube's defaults applied) and the facts of a
// Pod the replica calculator needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"

namespace skiff::controllers::hpa {

struct MetricTarget {
  std::string type{};  // Utilization, AverageValue, Value
  std::optional<int32_t> average_utilization{};
  std::optional<int64_t> average_value_milli{};
  std::optional<int64_t> value_milli{};
};

struct MetricSpec {
  std::string type{};       // Resource, ContainerResource, Pods, Object, External
  std::string resource{};   // Resource/ContainerResource: cpu, memory
  std::string container{};  // ContainerResource only
  MetricTarget target{};
};

struct ScalingPolicy {
  std::string type{};  // Pods, Percent
  int32_t value = 0;
  int32_t period_seconds = 0;
};

struct ScalingRules {
  // Unset for scaleDown means the controller's downscale stabilization window.
  std::optional<int32_t> stabilization_window_seconds{};
  std::string select_policy{"Max"};  // Max, Min, Disabled
  std::vector<ScalingPolicy> policies{};
};

struct Behavior {
  ScalingRules scale_up{};
  ScalingRules scale_down{};
};

struct HpaSpec {
  std::string target_api_version{};
  std::string target_kind{};
  std::string target_name{};
  int32_t min_replicas = 1;
  int32_t max_replicas = 0;
  std::vector<MetricSpec> metrics{};
  std::optional<Behavior> behavior{};  // unset: the legacy normalization (kube does the same)
};

// Parses an autoscaling/v2 HPA. Defaults as kube-apiserver applies them (minReplicas 1, CPU 80%
// when no metrics, scaling rules filled in when behavior is set), so objects from servers that
// did not default still read the same. InvalidArgument for an unparsable quantity.
StatusOr<HpaSpec> ParseHpaSpec(const Json& hpa);

// What the replica calculator needs of a Pod.
struct PodFacts {
  std::string name{};
  std::string phase{};
  bool deleting = false;
  bool has_ready_condition = false;
  bool ready = false;
  SystemTime ready_transition{};  // Ready condition's lastTransitionTime
  std::optional<SystemTime> start_time{};
  // Sum of the containers' requests for the resource (requests default to limits, as the API
  // server's defaulting does); nullopt when a container has neither, with the message kube
  // gives.
  std::optional<int64_t> request_milli{};
  std::string missing_request{};
};

// `container` "" sums every container (and restartable init containers); else just that one.
PodFacts PodFactsOf(const Json& pod, const std::string& resource, const std::string& container);

}  // namespace skiff::controllers::hpa
