// Route matching by prefix and segment; no regexes, no allocation.
#include "serving/route.h"

namespace skiff::serving {

namespace {

Route Kind(RouteKind kind) {
  Route r;
  r.kind = kind;
  return r;
}

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Takes one path segment (up to the next '/'); false when empty.
bool TakeSegment(std::string_view& s, std::string_view& segment) {
  size_t slash = s.find('/');
  segment = s.substr(0, slash);
  s = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  return !segment.empty();
}

Route Make(RouteKind kind, std::string_view method, std::string_view want,
           std::string_view model = {}, std::string_view version = {}) {
  if (method != want && !(want == "GET" && method == "HEAD")) {
    return Kind(RouteKind::kMethodNotAllowed);
  }
  return Route{.kind = kind, .model = model, .version = version};
}

// /v2/models/{m}[/versions/{v}][/ready|/infer]; `path` starts after "/v2/models/".
Route ParseV2Model(std::string_view method, std::string_view path) {
  std::string_view model, version;
  if (!TakeSegment(path, model)) return {};
  if (ConsumePrefix(path, "/versions/")) {
    if (!TakeSegment(path, version)) return {};
  }
  if (path.empty() || path == "/") {
    return Make(RouteKind::kV2ModelMetadata, method, "GET", model, version);
  }
  if (path == "/ready") return Make(RouteKind::kV2ModelReady, method, "GET", model, version);
  if (path == "/infer") return Make(RouteKind::kV2Infer, method, "POST", model, version);
  return {};
}

}  // namespace

Route ParseRoute(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/") return Make(RouteKind::kRoot, method, "GET");
  if (path == "/metrics") return Make(RouteKind::kMetrics, method, "GET");
  if (path == "/bench/fixed") {
    return Kind(RouteKind::kFixedResponse);  // any verb: it answers a constant
  }
  std::string_view rest = path;
  if (ConsumePrefix(rest, "/v1/models")) {
    if (rest.empty() || rest == "/") return Make(RouteKind::kV1ListModels, method, "GET");
    if (!ConsumePrefix(rest, "/") || rest.find('/') != std::string_view::npos || rest.empty()) {
      return {};
    }
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return Make(RouteKind::kV1ModelReady, method, "GET", rest);
    }
    std::string_view model = rest.substr(0, colon), verb = rest.substr(colon + 1);
    if (model.empty()) return {};
    if (verb == "predict") return Make(RouteKind::kV1Predict, method, "POST", model);
    if (verb == "explain") return Make(RouteKind::kV1Explain, method, "POST", model);
    return {};
  }
  if (!ConsumePrefix(rest, "/v2")) return {};
  if (rest.empty() || rest == "/") return Make(RouteKind::kV2Server, method, "GET");
  if (rest == "/health/live") return Make(RouteKind::kV2Live, method, "GET");
  if (rest == "/health/ready") return Make(RouteKind::kV2Ready, method, "GET");
  if (rest == "/models" || rest == "/models/") return Make(RouteKind::kV2ListModels, method, "GET");
  if (ConsumePrefix(rest, "/models/")) return ParseV2Model(method, rest);
  if (ConsumePrefix(rest, "/repository/models/")) {
    std::string_view model;
    if (!TakeSegment(rest, model)) return {};
    if (rest == "/load") return Make(RouteKind::kV2RepoLoad, method, "POST", model);
    if (rest == "/unload") return Make(RouteKind::kV2RepoUnload, method, "POST", model);
  }
  return {};
}

}  // namespace skiff::serving
