// serving.kserve.io/v1beta1 InferenceService controller, Standard (RawDeployment) mode (KServe
// semantics, reference/kserve.md and docs/inferenceservice.md): selects the serving runtime,
// owns the predictor Deployment and Service (storage initializer included) and writes the
// upstream status (url, address, conditions, components.predictor, modelStatus). Knative mode is
// reported as not implemented. Also keeps the built-in ClusterServingRuntimes installed.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::inferenceservice {

// Adds the "inferenceservice" controller (For InferenceService, Owns Deployment and Service,
// Watches Pod / ServingRuntime / ClusterServingRuntime) and the "servingruntimes" controller
// (re-creates deleted built-in ClusterServingRuntimes) to `mgr`.
Status Register(Manager* mgr);

}  // namespace skiff::controllers::inferenceservice
