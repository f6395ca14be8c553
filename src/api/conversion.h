// Version conversion between the served versions of one kind (the job of a CRD's
// conversion webhook upstream). Kinds without a converter use strategy None: only
// apiVersion changes.
#pragma once

#include <string_view>

#include "api/registry.h"
#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Converts `obj`, an object of `kind` in any served version, to `to_version`. Returns
// InvalidArgument when the object cannot be represented in the target version.
StatusOr<Json> ConvertToVersion(const KindInfo& kind, const Json& obj, std::string_view to_version);

}  // namespace skiff::api
