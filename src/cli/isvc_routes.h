// `skiff up` glue: the inference gateway's routing table from InferenceServices and the
// Endpoints of their Services (`{name}-predictor` in Standard mode, one per revision in Knative).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "gateway/route.h"

namespace skiff::cli {

// Standard mode: hosts `{name}.{ns}.example.com` and (Standard mode's own form)
// `{name}-{ns}.example.com`, one backend `ns/{name}-predictor`.
// Knative mode: hosts `{name}.{ns}.{domain}` and `{name}-predictor.{ns}.{domain}` (domain from
// status.url) split by status.components.predictor.traffic, one backend `ns/{revision}` per
// revision; a route `{tag}-{name}-predictor.{ns}.{domain}` per tagged target; before any
// revision is ready, the latest created one (held by the activator unless it failed).
// Endpoints are the ready addresses of the backend's Endpoints object (keyed "ns/name").
std::vector<gateway::Route> IsvcRoutes(const std::vector<Json>& isvcs,
                                       const std::map<std::string, Json>& endpoints);

}  // namespace skiff::cli
