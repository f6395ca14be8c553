// The routes file of `skiff-gateway --routes` (and Gateway::LoadRoutesJson): a JSON routing
// table, parsed into Routes. Format in docs/gateway.md.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "gateway/route.h"

namespace skiff::gateway {

// Parses and validates a routes document:
//   {"routes": [{"hosts": [...], "pathPrefix": "/v1", "stripPrefix": false,
//                "timeoutSeconds": 300, "retries": 2,
//                "backends": [{"revision": "ns/name", "weight": 90, "ready": true,
//                              "endpoints": ["10.0.0.5:8080"]}]}]}
// Unknown fields are refused (a typo must not silently change routing). InvalidArgument with
// the field path on any error; never throws.
StatusOr<std::vector<Route>> ParseRoutesJson(std::string_view text);

}  // namespace skiff::gateway
