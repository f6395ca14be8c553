// MetricWindow: 1 s buckets and Knative's partial-window average (pkg/autoscaler/aggregation).
#include "autoscaler/metric_window.h"

#include <algorithm>
#include <iterator>

namespace skiff::autoscaler {
namespace {

int64_t SecondOf(std::chrono::steady_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

int64_t WholeSeconds(std::chrono::milliseconds d) {
  return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(d).count());
}

}  // namespace

void MetricWindow::Record(TimePoint t, double concurrency, double rps) {
  const int64_t second = SecondOf(t);
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), second,
                             [](const Bucket& b, int64_t s) { return b.second < s; });
  if (it == buckets_.end() || it->second != second) {
    it = buckets_.insert(it, Bucket{.second = second});
  }
  it->concurrency_sum += concurrency;
  it->rps_sum += rps;
  it->count += 1;
  Prune();
}

void MetricWindow::Prune() {
  // Keep the newest bucket at or before the oldest window start: it supplies the value carried
  // into that window's first second and shows whether a run began inside the window.
  const int64_t window_start = buckets_.back().second - WholeSeconds(retain_) + 1;
  while (buckets_.size() >= 2 && buckets_[1].second <= window_start) {
    buckets_.pop_front();
  }
}

double MetricWindow::Average(TimePoint now, std::chrono::milliseconds window,
                             MetricKind kind) const {
  const int64_t n = SecondOf(now);
  const int64_t w = WholeSeconds(window);
  auto end_it = std::upper_bound(buckets_.begin(), buckets_.end(), n,
                                 [](int64_t s, const Bucket& b) { return s < b.second; });
  if (end_it == buckets_.begin()) {
    return 0;
  }
  const size_t last = static_cast<size_t>(std::distance(buckets_.begin(), end_it)) - 1;
  if (n - buckets_[last].second >= w) {
    return 0;  // nothing for a whole window
  }
  const int64_t window_start = n - w + 1;
  size_t first = last;
  while (first > 0 && buckets_[first].second > window_start &&
         buckets_[first].second - buckets_[first - 1].second <= w) {
    --first;
  }
  const int64_t start = std::max(window_start, buckets_[first].second);
  const int64_t end = buckets_[last].second;
  double sum = 0;
  for (size_t k = first; k <= last; ++k) {
    const int64_t lo = std::max(buckets_[k].second, start);
    const int64_t hi = k == last ? end : buckets_[k + 1].second - 1;
    if (hi >= lo) {
      sum += buckets_[k].Value(kind) * static_cast<double>(hi - lo + 1);
    }
  }
  return sum / static_cast<double>(end - start + 1);
}

}  // namespace skiff::autoscaler
