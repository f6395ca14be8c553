// The model server's Prometheus metrics: request counts by protocol and status, latency
// histograms (request, queue, inference), batch sizes, in-flight requests. Lock-free
// counters, rendered as Prometheus text on `/metrics`.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace skiff::serving {

enum class Protocol { kV1 = 0, kV2 = 1, kGrpc = 2 };
std::string_view ProtocolName(Protocol protocol);  // "v1", "v2", "grpc"

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
  static constexpr size_t kMaxBuckets = 24;
  std::span<const double> bounds_;
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// All metrics of one model server (one model). Thread-safe.
class ServingMetrics {
 public:
  explicit ServingMetrics(std::string model);

  // One finished request. `code` is the HTTP status (REST) or the gRPC status code (gRPC).
  void RecordRequest(Protocol protocol, int code, double seconds);
  // Time a request waited in the batcher queue, and one model call.
  void RecordQueue(double seconds) { queue_.Observe(seconds); }
  void RecordInference(double seconds) { inference_.Observe(seconds); }
  // One model call that served `requests` requests.
  void RecordBatch(size_t requests) { batch_size_.Observe(static_cast<double>(requests)); }
  void AddInflight(int64_t delta) { inflight_.fetch_add(delta, std::memory_order_relaxed); }
  // A last-resort catch fired (skiff_internal_errors_total).
  void RecordInternalError() { internal_errors_.fetch_add(1, std::memory_order_relaxed); }
  // Payload-logger events dropped because the sink was slower than traffic.
  void RecordLoggerDrop() { logger_drops_.fetch_add(1, std::memory_order_relaxed); }

  int64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }
  const Histogram& batch_size() const { return batch_size_; }

  // Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

 private:
  // Status codes get one slot each; REST statuses map into kRestCodes, gRPC codes 0..16.
  static constexpr size_t kCodeSlots = 24;
  std::string model_;
  std::array<std::array<std::atomic<uint64_t>, kCodeSlots>, 3> requests_{};
  std::array<Histogram, 3> request_seconds_;
  Histogram queue_;
  Histogram inference_;
  Histogram batch_size_;
  std::atomic<int64_t> inflight_{0};
  std::atomic<uint64_t> internal_errors_{0};
  std::atomic<uint64_t> logger_drops_{0};
};

}  // namespace skiff::serving
