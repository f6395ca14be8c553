// Gateway metrics: bucket layouts, the lock-free rate window and the Prometheus text renderer.
#include "gateway/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace skiff::gateway {

namespace {

// Knative's request_latencies distribution (milliseconds) with three finer buckets in front,
// because the gateway's own share is well under a millisecond.
constexpr double kLatencyMsBounds[] = {0.5, 1,   2,    5,    10,   20,    40,    60,    80,    100,
                                       150, 200, 250,  300,  350,  400,   450,   500,   600,   700,
                                       800, 900, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
// Seconds, 100 µs to 5 min (Knative's longest default request).
constexpr double kLatencySecondsBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                            5,      10,      30,     60,    300};
// Cold-start waits: 10 ms to 10 min (Knative's activation timeout is 630 s).
constexpr double kHoldBounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                  5,    10,    30,   60,  120,  300, 600};

constexpr const char* kUpstreamErrorNames[] = {"connect", "reset", "timeout", "protocol"};
constexpr const char* kHoldOutcomeNames[] = {"overflow", "timeout", "removed"};

constexpr uint64_t kCountBits = 24;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

void AppendNumber(std::string& out, double v) {
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, std::string_view labels, double v) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.push_back(' ');
  AppendNumber(out, v);
  out.push_back('\n');
}

void EscapeLabel(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.first(std::min(bounds.size(), kMaxBuckets))) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  uint64_t cumulative = 0;
  std::string_view sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(labels).append(sep).append("le=\"");
    if (i == bounds_.size()) {
      out.append("+Inf");
    } else {
      AppendNumber(out, bounds_[i]);
    }
    out.append("\"} ");
    AppendInt(out, static_cast<int64_t>(cumulative));
    out.push_back('\n');
  }
  std::string sum_name = std::string(name) + "_sum";
  std::string count_name = std::string(name) + "_count";
  Sample(out, sum_name, labels, sum_.load(std::memory_order_relaxed));
  // The count line uses the bucket total, so it always equals the +Inf bucket.
  Sample(out, count_name, labels, static_cast<double>(cumulative));
}

void RateWindow::Add(int64_t second) {
  auto& slot = slots_[static_cast<uint64_t>(second) % kSlots];
  const uint64_t tag = static_cast<uint64_t>(second) << kCountBits;
  uint64_t old = slot.load(std::memory_order_relaxed);
  while (true) {
    uint64_t next =
        (old & ~kCountMask) == tag ? old + ((old & kCountMask) == kCountMask ? 0 : 1) : tag | 1;
    if (slot.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
  }
}

uint64_t RateWindow::CountBefore(int64_t now_second, int window) const {
  window = std::clamp(window, 1, kMaxSeconds);
  uint64_t total = 0;
  for (int64_t s = now_second - window; s < now_second; ++s) {
    if (s < 0) continue;
    uint64_t v = slots_[static_cast<uint64_t>(s) % kSlots].load(std::memory_order_relaxed);
    if ((v >> kCountBits) == (static_cast<uint64_t>(s) & (~uint64_t{0} >> kCountBits))) {
      total += v & kCountMask;
    }
  }
  return total;
}

void CodeCounters::Add(int code) {
  if (code < 100 || code > 599) code = 599;
  counts_[static_cast<size_t>(code - 100)].fetch_add(1, std::memory_order_relaxed);
}

uint64_t CodeCounters::Get(int code) const {
  if (code < 100 || code > 599) return 0;
  return counts_[static_cast<size_t>(code - 100)].load(std::memory_order_relaxed);
}

void CodeCounters::Render(std::string& out, std::string_view name, std::string_view labels,
                          bool with_class) const {
  for (size_t i = 0; i < counts_.size(); ++i) {
    uint64_t n = counts_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    int code = static_cast<int>(i) + 100;
    std::string l(labels);
    if (!l.empty()) l.push_back(',');
    if (with_class) {
      l.append("response_code=\"").append(std::to_string(code)).append("\",response_code_class=\"");
      l.push_back(static_cast<char>('0' + code / 100));
      l.append("xx\"");
    } else {
      l.append("code=\"").append(std::to_string(code)).append("\"");
    }
    Sample(out, name, l, static_cast<double>(n));
  }
}

RevisionMetrics::RevisionMetrics()
    : latency_ms_(kLatencyMsBounds), latency_s_(kLatencySecondsBounds), hold_wait_(kHoldBounds) {}

void RevisionMetrics::RecordArrival(int64_t second) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  rate_.Add(second);
}

void RevisionMetrics::RecordResponse(int code, double seconds) {
  codes_.Add(code);
  latency_ms_.Observe(seconds * 1000);
  latency_s_.Observe(seconds);
}

void RevisionMetrics::RecordUpstreamError(UpstreamError e) {
  upstream_errors_[static_cast<size_t>(e)].fetch_add(1, std::memory_order_relaxed);
}

void RevisionMetrics::RecordHoldRejected(HoldOutcome o) {
  hold_rejected_[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
}

std::string RevisionLabels(std::string_view revision) {
  std::string_view ns, name = revision;
  if (auto slash = revision.find('/'); slash != std::string_view::npos) {
    ns = revision.substr(0, slash);
    name = revision.substr(slash + 1);
  }
  std::string out = "namespace_name=\"";
  EscapeLabel(out, ns);
  out.append("\",revision_name=\"");
  EscapeLabel(out, name);
  out.append("\"");
  return out;
}

void RenderPrometheus(std::string& out, const GatewayCounters& g,
                      std::span<const RevisionView> revisions) {
  auto load = [](const auto& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };

  // Knative queue-proxy / activator names, so existing dashboards read them.
  Header(out, "revision_request_count", "counter",
         "Requests answered per revision, by response code (Knative name).");
  for (const auto& r : revisions)
    r.metrics->codes_.Render(out, "revision_request_count", r.labels, true);
  Header(out, "revision_request_latencies", "histogram",
         "Request latency through the gateway in milliseconds (Knative name).");
  for (const auto& r : revisions)
    r.metrics->latency_ms_.Render(out, "revision_request_latencies", r.labels);
  Header(out, "activator_request_concurrency", "gauge",
         "Requests in flight through the gateway per revision, held ones included (Knative name).");
  for (const auto& r : revisions) {
    Sample(out, "activator_request_concurrency", r.labels,
           static_cast<double>(r.metrics->inflight()));
  }

  Header(out, "skiff_gateway_requests_total", "counter",
         "Every answer the gateway gave, routed or not, by status code.");
  g.requests.Render(out, "skiff_gateway_requests_total", "", false);
  Header(out, "skiff_gateway_revision_requests_total", "counter",
         "Requests routed to each revision (the autoscaler's request rate source).");
  for (const auto& r : revisions) {
    Sample(out, "skiff_gateway_revision_requests_total", r.labels,
           static_cast<double>(r.metrics->requests_total()));
  }
  Header(out, "skiff_gateway_request_duration_seconds", "histogram",
         "Request latency through the gateway per revision.");
  for (const auto& r : revisions) {
    r.metrics->latency_s_.Render(out, "skiff_gateway_request_duration_seconds", r.labels);
  }
  Header(out, "skiff_gateway_upstream_retries_total", "counter",
         "Attempts repeated on another endpoint after a connection failure.");
  for (const auto& r : revisions) {
    Sample(out, "skiff_gateway_upstream_retries_total", r.labels, load(r.metrics->retries_));
  }
  Header(out, "skiff_gateway_upstream_errors_total", "counter",
         "Upstream failures by reason (connect, reset, timeout, protocol).");
  for (const auto& r : revisions) {
    for (size_t i = 0; i < std::size(kUpstreamErrorNames); ++i) {
      std::string l(r.labels);
      l.append(",reason=\"").append(kUpstreamErrorNames[i]).append("\"");
      Sample(out, "skiff_gateway_upstream_errors_total", l, load(r.metrics->upstream_errors_[i]));
    }
  }
  Header(out, "skiff_gateway_ready_endpoints", "gauge", "Ready endpoints per revision.");
  for (const auto& r : revisions) {
    Sample(out, "skiff_gateway_ready_endpoints", r.labels, static_cast<double>(r.ready_endpoints));
  }
  Header(out, "skiff_gateway_activator_held_requests", "gauge",
         "Requests held while their revision has no ready endpoint.");
  for (const auto& r : revisions) {
    Sample(out, "skiff_gateway_activator_held_requests", r.labels, static_cast<double>(r.held));
  }
  Header(out, "skiff_gateway_activator_cold_starts_total", "counter",
         "Times a revision with no endpoints was reported cold to the autoscaler.");
  for (const auto& r : revisions) {
    Sample(out, "skiff_gateway_activator_cold_starts_total", r.labels,
           static_cast<double>(r.metrics->cold_starts()));
  }
  Header(out, "skiff_gateway_activator_wait_seconds", "histogram",
         "Time held requests waited for a ready endpoint (cold-start latency).");
  for (const auto& r : revisions) {
    r.metrics->hold_wait_.Render(out, "skiff_gateway_activator_wait_seconds", r.labels);
  }
  Header(out, "skiff_gateway_activator_rejected_total", "counter",
         "Held requests answered with an error (overflow: 503, timeout: 504, removed: 503).");
  for (const auto& r : revisions) {
    for (size_t i = 0; i < std::size(kHoldOutcomeNames); ++i) {
      std::string l(r.labels);
      l.append(",reason=\"").append(kHoldOutcomeNames[i]).append("\"");
      Sample(out, "skiff_gateway_activator_rejected_total", l, load(r.metrics->hold_rejected_[i]));
    }
  }

  Header(out, "skiff_gateway_downstream_connections", "gauge", "Open client connections.");
  Sample(out, "skiff_gateway_downstream_connections", "", load(g.downstream_connections));
  Header(out, "skiff_gateway_upstream_connections_opened_total", "counter",
         "Connections opened to endpoints (pooled connections are reused).");
  Sample(out, "skiff_gateway_upstream_connections_opened_total", "",
         load(g.upstream_connections_opened));
  Header(out, "skiff_gateway_route_updates_total", "counter", "Routing tables installed.");
  Sample(out, "skiff_gateway_route_updates_total", "", load(g.route_updates));
  Header(out, "skiff_gateway_config_errors_total", "counter",
         "Routing tables refused as invalid (the previous one stays).");
  Sample(out, "skiff_gateway_config_errors_total", "", load(g.config_errors));
  Header(out, "skiff_internal_errors_total", "counter", "Last-resort catches that fired.");
  Sample(out, "skiff_internal_errors_total", "component=\"gateway\"", load(g.internal_errors));
}

}  // namespace skiff::gateway
