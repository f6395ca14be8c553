// The HorizontalPodAutoscaler controller (kube's podautoscaler): every sync period each
// autoscaling/v2 HPA reads its target's scale subresource and its pods' resource usage, computes
// the desired replica count (replica_calculator.h), stabilizes and rate-limits it
// (normalize.h), writes the target's spec.replicas through /scale, and reports status,
// conditions (AbleToScale, ScalingActive, ScalingLimited) and Events as upstream does.
#pragma once

#include <chrono>
#include <memory>

#include "base/status.h"
#include "base/time.h"
#include "controllers/hpa/replica_calculator.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::hpa {

class MetricsSource;

struct HpaOptions {
  // --horizontal-pod-autoscaler-sync-period: how often each HPA is evaluated. Events on an HPA
  // (including its own status writes) do not make it sync sooner, except a spec change.
  std::chrono::milliseconds sync_period{15000};
  // --horizontal-pod-autoscaler-downscale-stabilization: the scale-down window for HPAs without
  // behavior, and for behavior.scaleDown without stabilizationWindowSeconds.
  std::chrono::seconds downscale_stabilization{300};
  CalculatorOptions calculator{};  // tolerance 0.1, CPU initialization 5 min, readiness 30 s
  // Null: metrics.k8s.io through the manager's client. Else must outlive the manager.
  MetricsSource* metrics = nullptr;
  const Clock* clock = nullptr;  // null: the system clock; else must outlive the manager
};

// Adds the "horizontalpodautoscaler" controller (For HorizontalPodAutoscaler; reads Pods from
// the shared informer) to `manager`. Call before Manager::Start().
Status Register(Manager* manager, const HpaOptions& options);
Status Register(Manager* manager);  // default options

}  // namespace skiff::controllers::hpa
