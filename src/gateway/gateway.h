// The data-plane gateway: an HTTP/1.1 reverse proxy that routes by Host and path prefix,
// splits traffic between revisions by weight, balances by least outstanding requests, retries
// connection failures, holds requests for scaled-to-zero revisions (the activator), and
// publishes per-revision concurrency and request rates. Programmed at run time by a controller
// through SetRoutes/SetEndpoints. Beast stays in the .cc files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "gateway/revision.h"
#include "gateway/route.h"

namespace skiff::gateway {

struct GatewayOptions {
  // Proxy listener, "host:port" ("[v6]:port"); port 0 picks a free one (see port()).
  std::string listen = "0.0.0.0:8080";
  // Serves GET /metrics (Prometheus text) and /healthz; empty = off.
  std::string metrics_listen;
  int workers = 0;  // loop threads; 0 = one per core
  // Request bodies are read whole before forwarding; larger ones get 413.
  size_t max_body_bytes = size_t{64} << 20;
  // Larger request (or upstream response) headers get 431 (502 for a response).
  size_t max_header_bytes = 64 * 1024;
  // A connect slower than this counts as a connection failure (retried elsewhere).
  std::chrono::milliseconds connect_timeout{2000};
  // A client connection with no complete request for this long is closed (idle keep-alive
  // connections, and clients sending a request too slowly).
  std::chrono::milliseconds client_idle_timeout{300'000};
  // Idle keep-alive connections kept per endpoint and loop.
  size_t max_idle_per_endpoint = 64;
  ActivatorOptions activator;
  // Window of requests_per_second in Snapshot (whole seconds, 1..60).
  int rate_window_seconds = 6;
  // Time source of latencies, hold waits and the rate window; nullptr = the real clock.
  // Network timeouts always use real time.
  const Clock* clock = nullptr;
};

// Per-revision figures for the autoscaler (Knative's KPA reads the same ones from its
// activator and queue-proxies). Raw values: windowing and panic mode are the autoscaler's.
struct RevisionStats {
  std::string revision;
  int64_t concurrency = 0;         // requests in flight through the gateway, held ones included
  int64_t held = 0;                // of which waiting in the activator for an endpoint
  uint64_t requests_total = 0;     // routed to the revision since it appeared (monotonic)
  double requests_per_second = 0;  // over the last rate_window_seconds whole seconds
  int64_t ready_endpoints = 0;
  uint64_t cold_starts = 0;  // times on_cold fired
};

struct MetricsSnapshot {
  std::chrono::steady_clock::time_point taken;  // from the options' clock
  SystemTime taken_wall;
  int window_seconds = 0;
  std::vector<RevisionStats> revisions;  // sorted by name
};

// Thread-safe: every method may be called from any thread while the loops run.
class Gateway {
 public:
  // Binds the listeners and starts the loops. Unavailable when an address cannot be bound,
  // InvalidArgument for a malformed address.
  static StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();  // Stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Installs a new routing table atomically: requests already routed finish on the old one,
  // new requests see the new one. Backends with endpoints set them (as SetEndpoints).
  // Revisions no longer named by any route are removed (their held requests get 503).
  // InvalidArgument (see ValidateRoutes) leaves the current table in place.
  Status SetRoutes(std::vector<Route> routes);
  // Parses a routes document (routes_file.h) and installs it. Counts refusals in
  // skiff_gateway_config_errors_total.
  Status LoadRoutesJson(std::string_view json);
  // Replaces a revision's ready endpoints ("ip:port"); creates the revision when no route
  // names it yet (a later SetRoutes that does not name it removes it). Going from none to
  // some releases the held requests in arrival order. InvalidArgument for a bad address.
  Status SetEndpoints(const std::string& revision, const std::vector<std::string>& endpoints);
  // Called once per cold episode of a revision: the first request held while it has no ready
  // endpoint (again after its held requests all timed out). Runs on a loop thread: must not
  // block. Replaces any earlier callback; an empty function turns it off.
  void SetColdCallback(std::function<void(const std::string& revision)> on_cold);

  // Per-revision figures now. Cheap (atomics and one lock per revision).
  MetricsSnapshot Snapshot() const;
  std::optional<RevisionStats> RevisionSnapshot(const std::string& revision) const;
  // Prometheus text exposition of every gateway metric (also served on metrics_listen).
  std::string RenderMetrics() const;

  int port() const;
  int metrics_port() const;  // 0 when metrics_listen is empty
  // Closes every connection and joins the loops; held requests are dropped. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::gateway
