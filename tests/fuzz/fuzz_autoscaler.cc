// Fuzzes the KPA's configuration parsing (config-autoscaler data and autoscaling.knative.dev/*
// annotations are user text) and then drives the decider with whatever config was accepted,
// so extreme but valid values (windows, rates, targets) cannot crash or overflow a decision.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "autoscaler/config.h"
#include "autoscaler/kpa.h"

namespace {

const char* const kClusterKeys[] = {
    "stable-window", "panic-window-percentage", "panic-threshold-percentage",
    "container-concurrency-target-default", "container-concurrency-target-percentage",
    "requests-per-second-target-default", "target-burst-capacity", "max-scale-up-rate",
    "max-scale-down-rate", "enable-scale-to-zero", "scale-to-zero-grace-period",
    "scale-to-zero-pod-retention-period", "initial-scale", "allow-zero-initial-scale",
    "min-scale", "max-scale", "scale-down-delay", "max-scale-limit", "activator-capacity",
    "tick-interval"};
const char* const kAnnotationKeys[] = {
    "autoscaling.knative.dev/metric", "autoscaling.knative.dev/target",
    "autoscaling.knative.dev/target-utilization-percentage", "autoscaling.knative.dev/window",
    "autoscaling.knative.dev/panic-window-percentage",
    "autoscaling.knative.dev/panic-threshold-percentage",
    "autoscaling.knative.dev/target-burst-capacity", "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/initial-scale",
    "autoscaling.knative.dev/activation-scale", "autoscaling.knative.dev/scale-down-delay",
    "autoscaling.knative.dev/scale-to-zero-pod-retention-period"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)skiff::autoscaler::ParseGoDuration(in);
  if (size == 0) return 0;
  // Lines "<selector byte><value>": the selector picks a key, cluster or annotation.
  std::map<std::string, std::string> cluster, annotations;
  int64_t cc = 0;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t nl = in.find('\n', pos);
    std::string_view line = in.substr(pos, nl == std::string_view::npos ? in.npos : nl - pos);
    pos = nl == std::string_view::npos ? in.size() : nl + 1;
    if (line.empty()) continue;
    unsigned char k = static_cast<unsigned char>(line[0]);
    std::string value(line.substr(1));
    constexpr size_t kc = sizeof(kClusterKeys) / sizeof(kClusterKeys[0]);
    constexpr size_t ka = sizeof(kAnnotationKeys) / sizeof(kAnnotationKeys[0]);
    if (k % (kc + ka + 1) < kc) {
      cluster[kClusterKeys[k % (kc + ka + 1)]] = value;
    } else if (k % (kc + ka + 1) < kc + ka) {
      annotations[kAnnotationKeys[k % (kc + ka + 1) - kc]] = value;
    } else {
      cc = static_cast<int64_t>(value.size()) * 37 - 5;
    }
  }
  auto config = skiff::autoscaler::ResolveKpaConfig(cluster, annotations, cc);
  if (!config.ok()) return 0;
  auto t = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  skiff::autoscaler::Kpa kpa(*config, t, static_cast<int32_t>(size % 7));
  int32_t replicas = 1;
  for (int i = 0; i < 40; ++i) {
    t += config->tick;
    double load = static_cast<double>(data[i % size]) * (i < 20 ? 10.0 : 0.0);
    kpa.Record(t, load, load * 3);
    if (i == 25) kpa.Poke(t);
    auto d = kpa.Decide(t, replicas, replicas, (i % 5) != 0);
    if (d.replicas < 0) __builtin_trap();
    replicas = d.replicas;
  }
  return 0;
}
