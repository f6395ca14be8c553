// Kueue v1beta1 <-> v1beta2 conversion (upstream Kueue's conversion webhook).
#pragma once

#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// True when `kind` (in group kueue.x-k8s.io) has version-specific fields.
bool KueueKindHasConversion(std::string_view kind);
// Converts `obj` between "v1beta1" and "v1beta2" in place; `from` == `to` is a no-op.
Status ConvertKueue(std::string_view kind, std::string_view from, std::string_view to, Json& obj);

}  // namespace skiff::api
