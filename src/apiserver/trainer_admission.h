// Folder-private: TrainJob admission (legacy shape normalisation and the Trainer webhook's
// validation), called from Admit.
#pragma once

#include <string>
#include <vector>

#include "api/registry.h"
#include "base/json.h"
#include "base/status.h"
#include "store/store.h"

namespace skiff::apiserver {

bool IsTrainJob(const api::KindInfo& kind);

// Before pruning: v2.0 podSpecOverrides, v2.1 podTemplateOverrides and spec.labels/annotations
// become one runtimePatches entry (manager trainer.kubeflow.org/legacy-overrides) and a string
// numProcPerNode becomes the v2.2 integer (auto/cpu/gpu: unset, with a warning).
void NormalizeTrainJob(Json& obj, std::vector<std::string>& warnings);

// Field causes for a TrainJob create (old == nullptr) or update.
std::vector<StatusCause> ValidateTrainJob(const store::Store& store, const Json& obj,
                                          const Json* old);

}  // namespace skiff::apiserver
