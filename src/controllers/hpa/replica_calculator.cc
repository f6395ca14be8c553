// kube's ReplicaCalculator for resource metrics, step by step.
#include "controllers/hpa/replica_calculator.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace skiff::controllers::hpa {
namespace {

struct Groups {
  int ready = 0;
  std::set<std::string> unready, missing, ignored;
};

// kube's groupPods: deleted and failed pods are ignored; pending ones and (for CPU) pods whose
// samples may predate readiness are unready; pods without a sample are missing.
Groups GroupPods(const std::vector<PodFacts>& pods, const PodMetrics& metrics,
                 const std::string& resource, SystemTime now, const CalculatorOptions& o) {
  Groups g;
  for (const PodFacts& pod : pods) {
    if (pod.deleting || pod.phase == "Failed") {
      g.ignored.insert(pod.name);
      continue;
    }
    if (pod.phase == "Pending") {
      g.unready.insert(pod.name);
      continue;
    }
    auto it = metrics.find(pod.name);
    if (it == metrics.end()) {
      g.missing.insert(pod.name);
      continue;
    }
    if (resource == "cpu") {
      bool unready;
      if (!pod.has_ready_condition || !pod.start_time) {
        unready = true;
      } else if (*pod.start_time + o.cpu_initialization_period > now) {
        // Young pod: trust the sample only if it is ready and a whole window was measured
        // after it became ready (start-up CPU bursts would otherwise read as load).
        unready = !pod.ready || it->second.timestamp < pod.ready_transition + it->second.window;
      } else {
        // Older pod: ignore it only while it has never been ready.
        unready =
            !pod.ready && *pod.start_time + o.delay_of_initial_readiness > pod.ready_transition;
      }
      if (unready) {
        g.unready.insert(pod.name);
        continue;
      }
    }
    ++g.ready;
  }
  return g;
}

void RemoveMetrics(PodMetrics& metrics, const std::set<std::string>& pods) {
  for (const auto& p : pods) metrics.erase(p);
}

bool WithinTolerance(double ratio, const CalculatorOptions& o) {
  return std::fabs(1.0 - ratio) <= o.tolerance;
}

int32_t CeilTimes(double ratio, size_t n) {
  return static_cast<int32_t>(std::ceil(ratio * static_cast<double>(n)));
}

struct Utilization {
  double ratio = 0;
  int32_t utilization = 0;
  int64_t raw_average = 0;
};

// kube's GetResourceUtilizationRatio: total usage over total requests of the pods with samples.
StatusOr<Utilization> UtilizationRatio(const PodMetrics& metrics,
                                       const std::map<std::string, int64_t>& requests,
                                       int32_t target) {
  int64_t metrics_total = 0, requests_total = 0, n = 0;
  for (const auto& [pod, m] : metrics) {
    auto r = requests.find(pod);
    if (r == requests.end()) continue;
    metrics_total += m.value_milli;
    requests_total += r->second;
    ++n;
  }
  if (requests_total == 0) return InvalidArgument("no metrics returned matched known pods");
  Utilization u;
  u.utilization = static_cast<int32_t>(metrics_total * 100 / requests_total);
  u.ratio = static_cast<double>(u.utilization) / static_cast<double>(target);
  u.raw_average = metrics_total / n;
  return u;
}

// kube's GetMetricUsageRatio: average usage per pod against the target average.
std::pair<double, int64_t> UsageRatio(const PodMetrics& metrics, int64_t target) {
  int64_t total = 0;
  for (const auto& [pod, m] : metrics) total += m.value_milli;
  int64_t average = total / static_cast<int64_t>(metrics.size());
  return {static_cast<double>(average) / static_cast<double>(target), average};
}

// Samples of pods the selector no longer lists (deleted since the metrics were read) take no
// part, so the metrics and the pod list describe the same set.
void KeepKnownPods(PodMetrics& metrics, const std::vector<PodFacts>& pods) {
  std::set<std::string> known;
  for (const auto& p : pods) known.insert(p.name);
  for (auto it = metrics.begin(); it != metrics.end();) {
    it = known.count(it->first) ? std::next(it) : metrics.erase(it);
  }
}

}  // namespace

StatusOr<ReplicaProposal> ResourceUtilizationReplicas(int32_t current_replicas,
                                                      int32_t target_utilization,
                                                      const std::string& resource,
                                                      const std::vector<PodFacts>& pods,
                                                      PodMetrics metrics, SystemTime now,
                                                      const CalculatorOptions& options) {
  if (pods.empty()) {
    return InvalidArgument("no pods returned by selector while calculating replica count");
  }
  if (target_utilization <= 0) return InvalidArgument("target utilization must be positive");
  KeepKnownPods(metrics, pods);
  Groups g = GroupPods(pods, metrics, resource, now, options);
  RemoveMetrics(metrics, g.ignored);
  RemoveMetrics(metrics, g.unready);
  std::map<std::string, int64_t> requests;
  for (const PodFacts& p : pods) {
    if (!p.request_milli) return InvalidArgument(p.missing_request);
    requests[p.name] = *p.request_milli;
  }
  if (metrics.empty()) {
    return InvalidArgument("did not receive metrics for targeted pods (pods might be unready)");
  }
  SKIFF_ASSIGN_OR_RETURN(Utilization u, UtilizationRatio(metrics, requests, target_utilization));
  ReplicaProposal out{.replicas = current_replicas,
                      .utilization = u.utilization,
                      .raw_average_milli = u.raw_average};
  bool scale_up_with_unready = !g.unready.empty() && u.ratio > 1.0;
  if (!scale_up_with_unready && g.missing.empty()) {
    if (WithinTolerance(u.ratio, options)) return out;
    out.replicas = CeilTimes(u.ratio, static_cast<size_t>(g.ready));
    return out;
  }
  if (!g.missing.empty()) {
    if (u.ratio < 1.0) {
      // Scale-down: a pod without a sample counts as using its whole request (or the target,
      // when that is above 100%), so missing samples never speed a scale-down.
      int64_t fallback = std::max<int64_t>(100, target_utilization);
      for (const auto& p : g.missing) metrics[p] = {.value_milli = requests[p] * fallback / 100};
    } else if (u.ratio > 1.0) {
      // Scale-up: it counts as idle, so missing samples never inflate a scale-up.
      for (const auto& p : g.missing) metrics[p] = {.value_milli = 0};
    }
  }
  if (scale_up_with_unready) {
    for (const auto& p : g.unready) metrics[p] = {.value_milli = 0};
  }
  SKIFF_ASSIGN_OR_RETURN(Utilization nu, UtilizationRatio(metrics, requests, target_utilization));
  if (WithinTolerance(nu.ratio, options) || (u.ratio < 1.0 && nu.ratio > 1.0) ||
      (u.ratio > 1.0 && nu.ratio < 1.0)) {
    return out;  // too small a change, or the direction flipped
  }
  int32_t replicas = CeilTimes(nu.ratio, metrics.size());
  if ((nu.ratio < 1.0 && replicas > current_replicas) ||
      (nu.ratio > 1.0 && replicas < current_replicas)) {
    return out;
  }
  out.replicas = replicas;
  return out;
}

StatusOr<ReplicaProposal> ResourceAverageValueReplicas(int32_t current_replicas,
                                                       int64_t target_average_milli,
                                                       const std::string& resource,
                                                       const std::vector<PodFacts>& pods,
                                                       PodMetrics metrics, SystemTime now,
                                                       const CalculatorOptions& options) {
  if (pods.empty()) {
    return InvalidArgument("no pods returned by selector while calculating replica count");
  }
  if (target_average_milli <= 0) return InvalidArgument("target average value must be positive");
  KeepKnownPods(metrics, pods);
  Groups g = GroupPods(pods, metrics, resource, now, options);
  RemoveMetrics(metrics, g.ignored);
  RemoveMetrics(metrics, g.unready);
  if (metrics.empty()) {
    return InvalidArgument("did not receive metrics for targeted pods (pods might be unready)");
  }
  auto [ratio, usage] = UsageRatio(metrics, target_average_milli);
  ReplicaProposal out{.replicas = current_replicas, .raw_average_milli = usage};
  bool scale_up_with_unready = !g.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && g.missing.empty()) {
    if (WithinTolerance(ratio, options)) return out;
    out.replicas = CeilTimes(ratio, static_cast<size_t>(g.ready));
    return out;
  }
  if (!g.missing.empty()) {
    int64_t fill = ratio < 1.0 ? target_average_milli : 0;
    for (const auto& p : g.missing) metrics[p] = {.value_milli = fill};
  }
  if (scale_up_with_unready) {
    for (const auto& p : g.unready) metrics[p] = {.value_milli = 0};
  }
  double new_ratio = UsageRatio(metrics, target_average_milli).first;
  if (WithinTolerance(new_ratio, options) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    return out;
  }
  out.replicas = CeilTimes(new_ratio, metrics.size());
  return out;
}

}  // namespace skiff::controllers::hpa
