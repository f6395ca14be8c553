// autoscaling HorizontalPodAutoscaler beyond its schema, as kube-apiserver applies it:
// v1 <-> v2 conversion (v1 keeps what it cannot say in the autoscaling.alpha.kubernetes.io/*
// annotations), defaulting (pkg/apis/autoscaling/v2/defaults.go) and validation.
#pragma once

#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// The annotations v1 uses to carry v2-only fields.
inline constexpr char kHpaMetricSpecsAnnotation[] = "autoscaling.alpha.kubernetes.io/metrics";
inline constexpr char kHpaMetricStatusesAnnotation[] =
    "autoscaling.alpha.kubernetes.io/current-metrics";
inline constexpr char kHpaConditionsAnnotation[] = "autoscaling.alpha.kubernetes.io/conditions";
inline constexpr char kHpaBehaviorAnnotation[] = "autoscaling.alpha.kubernetes.io/behavior";
inline constexpr int kHpaDefaultCpuUtilization = 80;

// Converts `obj` between "v1" and "v2" in place (apiVersion is the caller's); `from` == `to` is
// a no-op. InvalidArgument for another version or an unparsable annotation.
Status ConvertHorizontalPodAutoscaler(std::string_view from, std::string_view to, Json& obj);

// Defaults for the object's own version (its apiVersion): minReplicas 1; v2 also gets a CPU
// 80% Utilization metric when it has none, and missing scaling rules filled in when behavior is
// set (scaleDown's stabilizationWindowSeconds stays unset: the controller's flag decides it).
void DefaultHorizontalPodAutoscaler(Json& obj);
// The default rules (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules) merged over `rules`
// (a HPAScalingRules object or null).
Json ScaleUpRulesWithDefaults(const Json& rules);
Json ScaleDownRulesWithDefaults(const Json& rules);

// kube's ValidateHorizontalPodAutoscaler for the object's version: field causes, empty when
// valid.
std::vector<StatusCause> ValidateHorizontalPodAutoscaler(const Json& obj);

}  // namespace skiff::api
