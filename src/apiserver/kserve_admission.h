// Folder-private: InferenceService admission (KServe's validating webhook), called from Admit.
#pragma once

#include <vector>

#include "api/registry.h"
#include "base/json.h"
#include "base/status.h"

namespace skiff::apiserver {

bool IsInferenceService(const api::KindInfo& kind);

// Field causes for an InferenceService create (old == nullptr) or update: the name rule,
// exactly one predictor implementation, replica bounds, canaryTrafficPercent range and the
// storageUri scheme. A missing runtime or unknown model format is not an admission error
// upstream: the controller reports it as Ready=False.
std::vector<StatusCause> ValidateInferenceService(const Json& obj, const Json* old);

}  // namespace skiff::apiserver
