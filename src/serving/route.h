// The model server's URL table (kserve.md §6): V1, Open Inference Protocol V2 REST,
// metrics, and the fixed-response benchmark route, parsed from a request target without
// allocating. Pure; safe from any thread.
#pragma once

#include <string_view>

namespace skiff::serving {

enum class RouteKind {
  kNotFound,
  kMethodNotAllowed,
  kRoot,             // GET /
  kV1ListModels,     // GET /v1/models
  kV1ModelReady,     // GET /v1/models/{m}
  kV1Predict,        // POST /v1/models/{m}:predict
  kV1Explain,        // POST /v1/models/{m}:explain
  kV2Live,           // GET /v2/health/live
  kV2Ready,          // GET /v2/health/ready
  kV2Server,         // GET /v2
  kV2ListModels,     // GET /v2/models
  kV2ModelMetadata,  // GET /v2/models/{m}[/versions/{v}]
  kV2ModelReady,     // GET /v2/models/{m}[/versions/{v}]/ready
  kV2Infer,          // POST /v2/models/{m}[/versions/{v}]/infer
  kV2RepoLoad,       // POST /v2/repository/models/{m}/load
  kV2RepoUnload,     // POST /v2/repository/models/{m}/unload
  kMetrics,          // GET /metrics
  kFixedResponse,    // POST|GET /bench/fixed (only when enabled; see ServerOptions)
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string_view model;    // views into the target
  std::string_view version;  // empty when the path has no /versions/{v}
};

// `method` is the HTTP verb as sent ("GET", "POST", ...). The query string is ignored. A known
// path with the wrong verb gives kMethodNotAllowed.
Route ParseRoute(std::string_view method, std::string_view target);

}  // namespace skiff::serving
