// Folder-private: kubectl's columns for HorizontalPodAutoscaler (kube's printers.go
// printHorizontalPodAutoscaler): REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS, AGE.
#pragma once

#include <string>

#include "base/json.h"

namespace skiff::apiserver {

// kube's formatHPAMetrics: "cpu: 45%/80%, memory: <unknown>/1Gi + 1 more...", "<none>" without
// metrics. `hpa` is in autoscaling/v1 or v2.
std::string FormatHpaTargets(const Json& hpa);
// The cells after the name (age last, already humanized by the caller as `age`).
Json HpaCells(const Json& hpa, const std::string& age);

}  // namespace skiff::apiserver
