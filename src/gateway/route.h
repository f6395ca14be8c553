// The gateway's routing configuration as the controller writes it: routes (hosts, path prefix,
// weighted revisions, timeout, retries) and the validation and normalisation of the user-facing
// pieces (Host header, endpoint addresses).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::gateway {

// One revision a route sends traffic to.
struct Backend {
  // Key of the revision, unique across the gateway. By convention "namespace/name"
  // ("ml-prod/fraud-detector-predictor-00002"): metrics split it into namespace_name and
  // revision_name labels. A revision may appear in several routes (main host and tag hosts).
  std::string revision;
  // Share of the route's traffic, in percent. Shares are relative among ready backends, so a
  // route whose weights do not add up to 100 still splits in proportion.
  int weight = 100;
  // Ready endpoints, "ip:port" ("[v6]:port", "localhost:port"). nullopt leaves the revision's
  // current endpoints as they are (set by SetEndpoints); an empty list means scaled to zero,
  // and requests are held by the activator until endpoints arrive.
  std::optional<std::vector<std::string>> endpoints;
  // False takes the revision out of the split (it failed, or is not routable yet); its share
  // goes to the others. A revision with no endpoints but ready=true is activated, not skipped.
  bool ready = true;
  // Knative's containerConcurrency: requests one endpoint serves at once (0 = unlimited). With
  // every endpoint full, requests wait in the activator's queue (they count as held) until one
  // finishes, as queue-proxy's breaker makes them wait.
  int64_t container_concurrency = 0;
};

struct Route {
  // Exact hosts, matched against the request's Host without its port, case-insensitively
  // ("fraud-detector.ml-prod.example.com", "latest-fraud-detector-predictor.ml-prod.example.com").
  std::vector<std::string> hosts;
  // Empty matches every path; otherwise "/...", a plain string prefix of the path (Istio's and
  // Envoy's `prefix`): "/v1/models/iris" matches "/v1/models/iris:predict" and also
  // "/v1/models/iris2"; end it with '/' to match whole segments only. Longest prefix wins.
  std::string path_prefix;
  // Forward the path without path_prefix (KServe's pathTemplate rewrite); "/" if nothing is left.
  bool strip_prefix = false;
  std::vector<Backend> backends;
  // Whole-request limit (Knative timeoutSeconds, default 300 s): before the response starts the
  // client gets 504; after that the connection is cut.
  std::chrono::milliseconds timeout{300'000};
  // Further attempts on another endpoint after a connection failure (refused, reset or closed
  // before any response byte, connect timeout). 0..10.
  int retries = 2;
};

// InvalidArgument naming the route ("routes[1].backends[0].weight: ...") when a route is
// malformed: no hosts or backends, a bad host or endpoint, a duplicate host + prefix, a weight
// outside 0..100, a revision twice in one route, a timeout <= 0, retries outside 0..10.
Status ValidateRoutes(const std::vector<Route>& routes);

// The routing key of a Host header: lower-cased, port and trailing dot removed
// ("Iris.ML.example.com:8080" -> "iris.ml.example.com", "[::1]:80" -> "[::1]").
// InvalidArgument for an empty host or characters a host name cannot hold.
StatusOr<std::string> NormalizeHost(std::string_view host);

// A parsed endpoint: numeric IP and port. `address` is the canonical "ip:port" / "[ip]:port".
struct EndpointAddress {
  std::string address;
  std::string ip;
  uint16_t port = 0;
};
// Accepts "1.2.3.4:8080", "[::1]:8080" and "localhost:8080" (as 127.0.0.1); names other than
// localhost are refused, since resolving them would block the data plane.
StatusOr<EndpointAddress> ParseEndpointAddress(std::string_view text);

}  // namespace skiff::gateway
