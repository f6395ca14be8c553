// The HorizontalPodAutoscaler KServe creates for a Standard-mode predictor when the
// serving.kserve.io/autoscalerClass annotation is "hpa" or absent (KServe's hpa_reconciler.go).
// Pure rendering; the InferenceService reconciler creates, updates or deletes the object.
#pragma once

#include "base/json.h"

namespace skiff::controllers::inferenceservice {

inline constexpr char kAutoscalerClassAnnotation[] = "serving.kserve.io/autoscalerClass";

// False when the annotation names another autoscaler ("none", "external", "keda", ...) or the
// isvc is force-stopped (serving.kserve.io/stop: "true"); true for "hpa" or no annotation.
bool WantsHpa(const Json& isvc);

// autoscaling/v2 HPA "{isvc}-predictor" scaling Deployment "{isvc}-predictor": minReplicas
// max(1, predictor.minReplicas), maxReplicas max(maxReplicas, minReplicas), metrics from
// predictor.autoScaling.metrics (Resource cpu/memory only) or else scaleMetric/scaleTarget (cpu
// Utilization 80 by default; memory only with a scaleTarget), behavior from
// predictor.autoScaling.behavior or {} (kube fills the default rules). Labels and the controller
// ownerReference match the predictor Deployment's.
Json RenderPredictorHpa(const Json& isvc);

}  // namespace skiff::controllers::inferenceservice
