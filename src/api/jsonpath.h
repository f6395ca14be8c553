// A Kubernetes JSONPath subset for printer columns and `wait --for=jsonpath`:
// .a.b, ['k'], [n], [-1:], [a:b], [*], .*, [?(@.f=="v")] and [?(@.f!="v")].
#pragma once

#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Evaluates `path` (with or without surrounding {}) against `root`; returns every match.
// Missing keys simply produce no match. Syntax errors give InvalidArgument.
StatusOr<std::vector<Json>> EvaluateJsonPath(const Json& root, std::string_view path);

}  // namespace skiff::api
