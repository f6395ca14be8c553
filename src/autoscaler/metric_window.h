// MetricWindow: revision-wide metric samples in 1 s buckets and their average over a trailing
// window, with the partial-window rules of Knative's TimedFloat64Buckets.WindowAverage.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace skiff::autoscaler {

enum class MetricKind { kConcurrency, kRps };

// Not thread-safe (owned by one Kpa).
class MetricWindow {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `retain` is the longest window Average will be asked for; older buckets are dropped.
  explicit MetricWindow(std::chrono::milliseconds retain) : retain_(retain) {}
  void set_retain(std::chrono::milliseconds retain) { retain_ = retain; }

  // Samples landing in the same second are averaged (one source, like one pod's stats in
  // Knative's collector). Out-of-order samples are placed in their own second.
  void Record(TimePoint t, double concurrency, double rps);

  // The average over the seconds (now - window, now]. As in Knative: a second with no sample
  // between two samples repeats the earlier sample (Skiff: a gauge holds its value; with one
  // sample a second, as Knative's scraper gives, this never applies), the average covers only
  // seconds since the first sample of the current run (a run ends at a gap longer than the
  // window) and up to the last sample, and it is 0 once the last sample is a window old.
  double Average(TimePoint now, std::chrono::milliseconds window, MetricKind kind) const;

  bool empty() const { return buckets_.empty(); }

 private:
  struct Bucket {
    int64_t second = 0;
    double concurrency_sum = 0;
    double rps_sum = 0;
    int count = 0;
    double Value(MetricKind kind) const {
      return (kind == MetricKind::kRps ? rps_sum : concurrency_sum) / count;
    }
  };
  void Prune();

  std::chrono::milliseconds retain_;
  std::deque<Bucket> buckets_;  // ascending by second
};

}  // namespace skiff::autoscaler
