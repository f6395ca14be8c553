// Prometheus rendering and the fixed bucket layouts of the serving metrics.
#include "serving/metrics.h"

#include "serving/json_writer.h"

namespace skiff::serving {

namespace {

// Seconds, 100 µs to 10 s: a small-model call takes ~0.1 ms, a large one seconds.
constexpr double kLatencyBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
// Requests per model call.
constexpr double kBatchBounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

// HTTP statuses the server answers; anything else lands in the last slot ("other").
constexpr int kRestCodes[] = {200, 400, 404, 405, 408, 413, 422, 431, 499, 500, 501, 503, 504};
constexpr size_t kOtherSlot = 23;

constexpr const char* kGrpcCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

size_t Slot(Protocol protocol, int code) {
  if (protocol == Protocol::kGrpc) {
    return code >= 0 && code <= 16 ? static_cast<size_t>(code) : kOtherSlot;
  }
  for (size_t i = 0; i < std::size(kRestCodes); ++i) {
    if (kRestCodes[i] == code) return i;
  }
  return kOtherSlot;
}

std::string CodeLabel(Protocol protocol, size_t slot) {
  if (slot == kOtherSlot) return "other";
  if (protocol == Protocol::kGrpc) return kGrpcCodeNames[slot];
  return std::to_string(kRestCodes[slot]);
}

void AppendNumber(std::string& out, double v) { AppendJsonDouble(out, v); }

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kV1:
      return "v1";
    case Protocol::kV2:
      return "v2";
    case Protocol::kGrpc:
      return "grpc";
  }
  return "unknown";
}

Histogram::Histogram(std::span<const double> bounds) : bounds_(bounds) {}

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
  std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(labels).append(sep).append("le=\"");
    if (i == bounds_.size()) {
      out.append("+Inf");
    } else {
      AppendNumber(out, bounds_[i]);
    }
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out.append(name).append("_sum").append(braces).append(" ");
  AppendNumber(out, sum_.load(std::memory_order_relaxed));
  out.append("\n");
  out.append(name).append("_count").append(braces).append(" ");
  out.append(std::to_string(cumulative)).append("\n");
}

ServingMetrics::ServingMetrics(std::string model)
    : model_(std::move(model)),
      request_seconds_{Histogram(kLatencyBounds), Histogram(kLatencyBounds),
                       Histogram(kLatencyBounds)},
      queue_(kLatencyBounds),
      inference_(kLatencyBounds),
      batch_size_(kBatchBounds) {}

void ServingMetrics::RecordRequest(Protocol protocol, int code, double seconds) {
  size_t p = static_cast<size_t>(protocol);
  requests_[p][Slot(protocol, code)].fetch_add(1, std::memory_order_relaxed);
  request_seconds_[p].Observe(seconds);
}

std::string ServingMetrics::RenderPrometheus() const {
  std::string out;
  out.reserve(8192);
  std::string model_label = "model=";
  AppendJsonString(model_label, model_);  // a JSON string is a valid Prometheus label value

  Header(out, "skiff_serving_requests_total", "counter",
         "Inference and metadata requests by protocol, model and status code.");
  for (Protocol p : {Protocol::kV1, Protocol::kV2, Protocol::kGrpc}) {
    for (size_t slot = 0; slot < kCodeSlots; ++slot) {
      uint64_t n = requests_[static_cast<size_t>(p)][slot].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("skiff_serving_requests_total{protocol=\"")
          .append(ProtocolName(p))
          .append("\",")
          .append(model_label)
          .append(",code=\"")
          .append(CodeLabel(p, slot))
          .append("\"} ")
          .append(std::to_string(n))
          .append("\n");
    }
  }
  Header(out, "skiff_serving_request_duration_seconds", "histogram",
         "Time from a request's last byte read to its response handed to the socket.");
  for (Protocol p : {Protocol::kV1, Protocol::kV2, Protocol::kGrpc}) {
    std::string labels = "protocol=\"" + std::string(ProtocolName(p)) + "\"," + model_label;
    request_seconds_[static_cast<size_t>(p)].Render(out, "skiff_serving_request_duration_seconds",
                                                    labels);
  }
  Header(out, "skiff_serving_queue_duration_seconds", "histogram",
         "Time a request waited for the batcher before its model call started.");
  queue_.Render(out, "skiff_serving_queue_duration_seconds", model_label);
  Header(out, "skiff_serving_inference_duration_seconds", "histogram",
         "Duration of one model call (one batch).");
  inference_.Render(out, "skiff_serving_inference_duration_seconds", model_label);
  Header(out, "skiff_serving_batch_size", "histogram", "Requests served by one model call.");
  batch_size_.Render(out, "skiff_serving_batch_size", model_label);
  Header(out, "skiff_serving_inflight_requests", "gauge",
         "Requests received and not yet answered.");
  out.append("skiff_serving_inflight_requests{").append(model_label).append("} ");
  out.append(std::to_string(inflight_.load(std::memory_order_relaxed))).append("\n");
  Header(out, "skiff_serving_logger_dropped_total", "counter",
         "Payload-logger events dropped because the queue to the sink was full.");
  out.append("skiff_serving_logger_dropped_total{").append(model_label).append("} ");
  out.append(std::to_string(logger_drops_.load(std::memory_order_relaxed))).append("\n");
  Header(out, "skiff_internal_errors_total", "counter",
         "Unexpected failures caught by a last-resort handler.");
  out.append("skiff_internal_errors_total{component=\"serving\"} ");
  out.append(std::to_string(internal_errors_.load(std::memory_order_relaxed))).append("\n");
  return out;
}

}  // namespace skiff::serving
