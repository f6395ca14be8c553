// The gateway's metrics: per-revision request counts, latencies, concurrency, activator holds
// and a per-second request-rate window (what the autoscaler reads), gateway-wide counters, and
// their Prometheus text rendering (Knative's names where they exist, skiff_gateway_* else).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::gateway {

// A histogram with fixed upper bounds. Thread-safe; Observe is a few relaxed atomic adds.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void Observe(double value);
  // Appends `<name>_bucket{<labels>,le="..."}`, `_sum` and `_count` lines. `labels` is
  // `k="v",...` without braces.
  void Render(std::string& out, std::string_view name, std::string_view labels) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kMaxBuckets = 32;
  std::span<const double> bounds_;
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Events per whole second for the last kMaxSeconds seconds. Lock-free: each slot packs
// (second << 24 | count), so a slot from an older second is reset by the first event of its
// new second.
class RateWindow {
 public:
  static constexpr int kMaxSeconds = 60;
  // Counts one event in `second` (any monotonic second count).
  void Add(int64_t second);
  // Events in the `window` whole seconds before `now_second` (the current, partial second is
  // left out). `window` is clamped to 1..kMaxSeconds.
  uint64_t CountBefore(int64_t now_second, int window) const;

 private:
  static constexpr size_t kSlots = 64;
  std::array<std::atomic<uint64_t>, kSlots> slots_{};
};

// HTTP status codes 100..599, one counter each.
class CodeCounters {
 public:
  void Add(int code);
  // Appends one `<name>{<labels>,<code_labels>} N` line per non-zero code.
  // `with_class` adds response_code_class="2xx" (Knative's label pair).
  void Render(std::string& out, std::string_view name, std::string_view labels,
              bool with_class) const;
  uint64_t Get(int code) const;

 private:
  std::array<std::atomic<uint64_t>, 500> counts_{};
};

struct GatewayCounters;
struct RevisionView;

enum class UpstreamError { kConnect = 0, kReset = 1, kTimeout = 2, kProtocol = 3 };
enum class HoldOutcome { kOverflow = 0, kTimeout = 1, kRemoved = 2 };

// The metrics of one revision. Thread-safe.
class RevisionMetrics {
 public:
  RevisionMetrics();

  // A request was routed to the revision (rate window and requests_total).
  void RecordArrival(int64_t second);
  // The request got its answer: `code` (including the gateway's own 502/503/504).
  void RecordResponse(int code, double seconds);
  void RecordRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }
  void RecordUpstreamError(UpstreamError e);
  // A held request reached an endpoint after `seconds` (the cold-start wait).
  void RecordHoldWait(double seconds) { hold_wait_.Observe(seconds); }
  void RecordHoldRejected(HoldOutcome o);
  void RecordColdStart() { cold_starts_.fetch_add(1, std::memory_order_relaxed); }
  void AddInflight(int64_t delta) { inflight_.fetch_add(delta, std::memory_order_relaxed); }

  int64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }
  uint64_t requests_total() const { return requests_.load(std::memory_order_relaxed); }
  uint64_t cold_starts() const { return cold_starts_.load(std::memory_order_relaxed); }
  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  uint64_t hold_waits() const { return hold_wait_.count(); }
  const RateWindow& rate() const { return rate_; }

 private:
  friend void RenderPrometheus(std::string& out, const GatewayCounters& gateway,
                               std::span<const RevisionView> revisions);
  std::atomic<int64_t> inflight_{0};
  std::atomic<uint64_t> requests_{0};
  RateWindow rate_;
  CodeCounters codes_;
  Histogram latency_ms_;  // revision_request_latencies (Knative: milliseconds)
  Histogram latency_s_;   // skiff_gateway_request_duration_seconds
  Histogram hold_wait_;   // skiff_gateway_activator_wait_seconds
  std::atomic<uint64_t> retries_{0};
  std::array<std::atomic<uint64_t>, 4> upstream_errors_{};
  std::array<std::atomic<uint64_t>, 3> hold_rejected_{};
  std::atomic<uint64_t> cold_starts_{0};
};

// Gateway-wide counters. Thread-safe.
struct GatewayCounters {
  CodeCounters requests;  // every answer, routed or not (404, 400, 431, ...)
  std::atomic<int64_t> downstream_connections{0};
  std::atomic<uint64_t> upstream_connections_opened{0};
  std::atomic<uint64_t> route_updates{0};
  std::atomic<uint64_t> config_errors{0};
  std::atomic<uint64_t> internal_errors{0};
};

// What the renderer needs of one revision.
struct RevisionView {
  std::string_view labels;  // `namespace_name="ns",revision_name="r"`
  const RevisionMetrics* metrics;
  int64_t held;
  int64_t ready_endpoints;
};

// Appends the Prometheus text exposition (format 0.0.4) of everything.
void RenderPrometheus(std::string& out, const GatewayCounters& gateway,
                      std::span<const RevisionView> revisions);

// `namespace_name="<ns>",revision_name="<name>"` for a "ns/name" key (namespace empty when
// the key has no '/'), values escaped for the text format.
std::string RevisionLabels(std::string_view revision);

}  // namespace skiff::gateway
