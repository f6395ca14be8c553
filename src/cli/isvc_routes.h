// `skiff up` glue: the inference gateway's routing table from InferenceServices (Standard mode)
// and the Endpoints of their `{name}-predictor` Services.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "gateway/route.h"

namespace skiff::cli {

// One route per InferenceService: hosts `{name}.{ns}.example.com` and (Standard mode's own
// form) `{name}-{ns}.example.com`, one backend `ns/{name}-predictor` whose endpoints are the
// ready addresses of that Service's Endpoints on its target port. `endpoints` is keyed by
// "ns/name" of the Endpoints object.
std::vector<gateway::Route> IsvcRoutes(const std::vector<Json>& isvcs,
                                       const std::map<std::string, Json>& endpoints);

}  // namespace skiff::cli
