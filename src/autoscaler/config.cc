// ResolveKpaConfig: config-autoscaler data + autoscaling.knative.dev/* annotations +
// containerConcurrency → KpaConfig, validated with upstream's ranges and messages that name the
// key (knative pkg/autoscaler/config/config.go, pkg/apis/autoscaling/annotation_validation.go).
#include "autoscaler/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

namespace skiff::autoscaler {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::string_view kAnnotationPrefix = "autoscaling.knative.dev/";
// Upstream allows stable windows in [6s, 1h]; Skiff allows 1 s so e2e tests stay short.
constexpr nanoseconds kWindowMin = seconds(1);
constexpr nanoseconds kWindowMax = std::chrono::hours(1);
constexpr std::chrono::hours kLongestPeriod{24};

Status Bad(std::string_view key, std::string message) {
  return InvalidArgument(std::string(key) + ": " + std::move(message));
}

Status BadValue(std::string_view key, std::string_view value, std::string_view why) {
  return Bad(key, "invalid value \"" + std::string(value) + "\": " + std::string(why));
}

std::string FormatNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

// strconv.ParseFloat without NaN/Inf (a NaN target would poison every decision).
StatusOr<double> ParseFloat(std::string_view key, std::string_view value) {
  std::string_view s = value;
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    return BadValue(key, value, "must be a number");
  }
  return v;
}

// strconv.ParseInt(v, 10, 32).
StatusOr<int32_t> ParseInt32(std::string_view key, std::string_view value) {
  std::string_view s = value;
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec == std::errc::invalid_argument || ptr != s.data() + s.size()) {
    return BadValue(key, value, "must be an integer");
  }
  if (ec == std::errc::result_out_of_range || v < INT32_MIN || v > INT32_MAX) {
    return BadValue(key, value, "out of range for a 32-bit integer");
  }
  return static_cast<int32_t>(v);
}

// strconv.ParseBool.
StatusOr<bool> ParseBool(std::string_view key, std::string_view value) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == t) {
      return true;
    }
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == f) {
      return false;
    }
  }
  return BadValue(key, value, "must be a boolean");
}

StatusOr<nanoseconds> ParseDurationValue(std::string_view key, std::string_view value) {
  auto d = ParseGoDuration(value);
  if (!d.ok()) {
    return BadValue(key, value, "must be a duration such as \"60s\" or \"1m30s\"");
  }
  return *d;
}

// Duration in [lo, hi] with whole-second precision (upstream's window and delay rules).
StatusOr<nanoseconds> ParseWholeSeconds(std::string_view key, std::string_view value,
                                        nanoseconds lo, nanoseconds hi) {
  SKIFF_ASSIGN_OR_RETURN(nanoseconds d, ParseDurationValue(key, value));
  if (d < lo || d > hi) {
    return Bad(key, "\"" + std::string(value) + "\" is outside [" +
                        std::to_string(std::chrono::duration_cast<seconds>(lo).count()) + "s, " +
                        std::to_string(std::chrono::duration_cast<seconds>(hi).count()) + "s]");
  }
  if (d % seconds(1) != nanoseconds(0)) {
    return Bad(key,
               "\"" + std::string(value) + "\" must be specified with at most second precision");
  }
  return d;
}

Status CheckRange(std::string_view key, std::string_view value, double v, double lo, double hi) {
  if (v < lo || v > hi) {
    return Bad(key, "\"" + std::string(value) + "\" is outside [" + FormatNumber(lo) + ", " +
                        FormatNumber(hi) + "]");
  }
  return Status::Ok();
}

Status CheckBurstCapacity(std::string_view key, std::string_view value, double v) {
  if (v < 0 && v != -1) {
    return BadValue(key, value, "must be non-negative or -1 (unlimited)");
  }
  return Status::Ok();
}

// config-autoscaler as parsed before the per-revision annotations apply.
struct ClusterDefaults {
  std::string pod_autoscaler_class{kClassKpa};
  bool enable_scale_to_zero = true;
  bool allow_zero_initial_scale = false;
  double max_scale_up_rate = 1000;
  double max_scale_down_rate = 2;
  double target_fraction = 0.7;
  double concurrency_target_default = 100;
  double rps_target_default = 200;
  double target_burst_capacity = 211;
  double panic_window_percentage = 10;
  double panic_threshold_percentage = 200;
  double activator_capacity = 100;
  int32_t initial_scale = 1;
  int32_t min_scale = 0;
  int32_t max_scale = 0;
  int32_t max_scale_limit = 0;
  nanoseconds stable_window = seconds(60);
  nanoseconds scale_down_delay{0};
  nanoseconds scale_to_zero_grace = seconds(30);
  nanoseconds pod_retention{0};
  nanoseconds tick = seconds(2);
};

StatusOr<ClusterDefaults> ParseCluster(const std::map<std::string, std::string>& data) {
  ClusterDefaults c;
  auto get = [&](std::string_view key) -> const std::string* {
    auto it = data.find(std::string(key));
    return it == data.end() ? nullptr : &it->second;
  };
  const std::string* v = nullptr;
  if ((v = get("pod-autoscaler-class"))) {
    c.pod_autoscaler_class = *v;
  }
  if ((v = get("enable-scale-to-zero"))) {
    SKIFF_ASSIGN_OR_RETURN(c.enable_scale_to_zero, ParseBool("enable-scale-to-zero", *v));
  }
  if ((v = get("allow-zero-initial-scale"))) {
    SKIFF_ASSIGN_OR_RETURN(c.allow_zero_initial_scale, ParseBool("allow-zero-initial-scale", *v));
  }
  struct FloatKey {
    std::string_view key;
    double* out;
  };
  for (const FloatKey& f : {
           FloatKey{"max-scale-up-rate", &c.max_scale_up_rate},
           FloatKey{"max-scale-down-rate", &c.max_scale_down_rate},
           FloatKey{"container-concurrency-target-percentage", &c.target_fraction},
           FloatKey{"container-concurrency-target-default", &c.concurrency_target_default},
           FloatKey{"requests-per-second-target-default", &c.rps_target_default},
           FloatKey{"target-burst-capacity", &c.target_burst_capacity},
           FloatKey{"panic-window-percentage", &c.panic_window_percentage},
           FloatKey{"panic-threshold-percentage", &c.panic_threshold_percentage},
           FloatKey{"activator-capacity", &c.activator_capacity},
       }) {
    if ((v = get(f.key))) {
      SKIFF_ASSIGN_OR_RETURN(*f.out, ParseFloat(f.key, *v));
    }
  }
  struct IntKey {
    std::string_view key;
    int32_t* out;
  };
  for (const IntKey& i :
       {IntKey{"initial-scale", &c.initial_scale}, IntKey{"min-scale", &c.min_scale},
        IntKey{"max-scale", &c.max_scale}, IntKey{"max-scale-limit", &c.max_scale_limit}}) {
    if ((v = get(i.key))) {
      SKIFF_ASSIGN_OR_RETURN(*i.out, ParseInt32(i.key, *v));
    }
  }
  struct DurationKey {
    std::string_view key;
    nanoseconds* out;
  };
  for (const DurationKey& d : {DurationKey{"stable-window", &c.stable_window},
                               DurationKey{"scale-down-delay", &c.scale_down_delay},
                               DurationKey{"scale-to-zero-grace-period", &c.scale_to_zero_grace},
                               DurationKey{"scale-to-zero-pod-retention-period", &c.pod_retention},
                               DurationKey{"tick-interval", &c.tick}}) {
    if ((v = get(d.key))) {
      SKIFF_ASSIGN_OR_RETURN(*d.out, ParseDurationValue(d.key, *v));
    }
  }
  // For legacy reasons (0, 1] reads as a fraction, larger values as a percentage.
  if (c.target_fraction > 1.0) {
    c.target_fraction /= 100.0;
  }

  // Validation in config.go's order.
  if (c.scale_to_zero_grace <= nanoseconds(0)) {
    return Bad("scale-to-zero-grace-period", "must be positive");
  }
  // Skiff's bounds (Knative has none): they keep every time sum far from overflow.
  if (c.scale_to_zero_grace > kLongestPeriod) {
    return Bad("scale-to-zero-grace-period", "must be at most 24h");
  }
  if (c.pod_retention > kLongestPeriod) {
    return Bad("scale-to-zero-pod-retention-period", "must be at most 24h");
  }
  if (c.scale_down_delay < nanoseconds(0) || c.scale_down_delay > kWindowMax) {
    return Bad("scale-down-delay", "must be in [0s, 3600s]");
  }
  if (c.scale_down_delay % seconds(1) != nanoseconds(0)) {
    return Bad("scale-down-delay", "must be specified with at most second precision");
  }
  if (c.pod_retention < nanoseconds(0)) {
    return Bad("scale-to-zero-pod-retention-period", "cannot be negative");
  }
  if (c.target_burst_capacity < 0 && c.target_burst_capacity != -1) {
    return Bad("target-burst-capacity", "must be non-negative or -1 (unlimited)");
  }
  if (c.target_fraction <= 0 || c.target_fraction > 1) {
    return Bad("container-concurrency-target-percentage",
               FormatNumber(c.target_fraction * 100) + " is outside of valid range of (0, 100]");
  }
  if (c.target_fraction * c.concurrency_target_default < kTargetMin) {
    return Bad("container-concurrency-target-default",
               "with container-concurrency-target-percentage yields a target below 0.01");
  }
  if (c.rps_target_default < kTargetMin) {
    return Bad("requests-per-second-target-default", "must be at least 0.01");
  }
  if (c.activator_capacity < 1) {
    return Bad("activator-capacity", "must be at least 1");
  }
  if (c.max_scale_up_rate <= 1.0) {
    return Bad("max-scale-up-rate", "must be greater than 1.0");
  }
  if (c.max_scale_down_rate <= 1.0) {
    return Bad("max-scale-down-rate", "must be greater than 1.0");
  }
  if (c.stable_window < kWindowMin || c.stable_window > kWindowMax) {
    return Bad("stable-window", "must be in [1s, 3600s]");
  }
  if (c.stable_window % seconds(1) != nanoseconds(0)) {
    return Bad("stable-window", "must be specified with at most second precision");
  }
  if (c.panic_window_percentage < 1 || c.panic_window_percentage > 100) {
    return Bad("panic-window-percentage", "must be in [1, 100]");
  }
  if (c.panic_threshold_percentage < 110 || c.panic_threshold_percentage > 1000) {
    return Bad("panic-threshold-percentage", "must be in [110, 1000]");
  }
  if (c.initial_scale < 0 || (c.initial_scale == 0 && !c.allow_zero_initial_scale)) {
    return Bad("initial-scale",
               "must be at least 0 (or at least 1 when allow-zero-initial-scale is false)");
  }
  if (c.min_scale < 0) {
    return Bad("min-scale", "must be at least 0");
  }
  if (c.max_scale_limit < 0) {
    return Bad("max-scale-limit", "must be at least 0");
  }
  const int32_t min_max_scale = c.max_scale_limit > 0 ? 1 : 0;
  if (c.max_scale < min_max_scale || (c.max_scale_limit > 0 && c.max_scale > c.max_scale_limit)) {
    return Bad("max-scale", "must be in [" + std::to_string(min_max_scale) + ", max-scale-limit(" +
                                std::to_string(c.max_scale_limit) + ")]");
  }
  if (c.tick < milliseconds(1) || c.tick > kWindowMax) {
    return Bad("tick-interval", "must be in [1ms, 3600s]");
  }
  return c;
}

// One annotation: its key as written (for messages) and value.
struct Annotation {
  std::string key;
  std::string value;
};

// Knative's kmap.KeyPriority: the kebab-case key wins over the legacy camelCase one.
std::optional<Annotation> Find(const std::map<std::string, std::string>& annotations,
                               std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    std::string key = std::string(kAnnotationPrefix) + std::string(name);
    if (auto it = annotations.find(key); it != annotations.end()) {
      return Annotation{std::move(key), it->second};
    }
  }
  return std::nullopt;
}

}  // namespace

std::chrono::milliseconds PanicWindow(const KpaConfig& config) {
  const double ms =
      static_cast<double>(config.stable_window.count()) * config.panic_window_percentage / 100.0;
  const auto rounded = milliseconds(static_cast<int64_t>(std::llround(ms / 1000.0)) * 1000);
  return std::max(rounded, milliseconds(1000));
}

StatusOr<nanoseconds> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  auto fail = [&] { return InvalidArgument("invalid duration \"" + std::string(text) + "\""); };
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return nanoseconds(0);
  }
  if (s.empty()) {
    return fail();
  }
  double total_ns = 0;
  while (!s.empty()) {
    size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) {
      return fail();
    }
    size_t j = i;
    while (j < s.size() && s[j] != '.' && (s[j] < '0' || s[j] > '9')) {
      ++j;
    }
    const std::string_view unit = s.substr(i, j - i);
    double unit_ns = 0;
    if (unit == "ns") {
      unit_ns = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      unit_ns = 1e3;
    } else if (unit == "ms") {
      unit_ns = 1e6;
    } else if (unit == "s") {
      unit_ns = 1e9;
    } else if (unit == "m") {
      unit_ns = 60e9;
    } else if (unit == "h") {
      unit_ns = 3600e9;
    } else {
      return fail();
    }
    total_ns += value * unit_ns;
    if (total_ns > 9.2e18) {
      return fail();
    }
    s.remove_prefix(j);
  }
  const auto ns = nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
  return negative ? -ns : ns;
}

StatusOr<KpaConfig> ResolveKpaConfig(const std::map<std::string, std::string>& cluster,
                                     const std::map<std::string, std::string>& annotations,
                                     int64_t container_concurrency) {
  SKIFF_ASSIGN_OR_RETURN(ClusterDefaults c, ParseCluster(cluster));
  if (container_concurrency < 0) {
    return Bad("containerConcurrency",
               "must be at least 0, was " + std::to_string(container_concurrency));
  }

  if (auto a = Find(annotations, {"class"})) {
    if (a->value != kClassKpa) {
      return BadValue(a->key, a->value, "only kpa.autoscaling.knative.dev is supported");
    }
  } else if (c.pod_autoscaler_class != kClassKpa) {
    return BadValue("pod-autoscaler-class", c.pod_autoscaler_class,
                    "only kpa.autoscaling.knative.dev is supported");
  }
  if (auto a = Find(annotations, {"metric-aggregation-algorithm", "metricAggregationAlgorithm"})) {
    if (a->value == "weighted-exponential" || a->value == "weightedExponential") {
      return BadValue(a->key, a->value, "not supported by Skiff; use \"linear\"");
    }
    if (a->value != "linear") {
      return BadValue(a->key, a->value, "must be \"linear\"");
    }
  }

  KpaConfig k;
  if (auto a = Find(annotations, {"metric"})) {
    if (a->value != kMetricConcurrency && a->value != kMetricRps) {
      return BadValue(a->key, a->value, "must be \"concurrency\" or \"rps\" for the KPA class");
    }
    k.metric = a->value;
  }

  // ResolveMetricTarget (pkg/reconciler/autoscaling/resources/target.go).
  double total = 0;
  double utilization = c.target_fraction;
  if (k.metric == kMetricRps) {
    total = c.rps_target_default;
  } else {
    total = container_concurrency > 0 ? static_cast<double>(container_concurrency)
                                      : c.concurrency_target_default;
  }
  if (auto a = Find(annotations, {"target"})) {
    auto t = ParseFloat(a->key, a->value);
    if (!t.ok() || *t < kTargetMin) {
      return Bad(a->key, "target \"" + a->value + "\" should be at least 0.01");
    }
    total = *t;
    if (k.metric == kMetricConcurrency && container_concurrency > 0) {
      total = std::min(total, static_cast<double>(container_concurrency));
    }
  }
  if (auto a =
          Find(annotations, {"target-utilization-percentage", "targetUtilizationPercentage"})) {
    SKIFF_ASSIGN_OR_RETURN(double pct, ParseFloat(a->key, a->value));
    SKIFF_RETURN_IF_ERROR(CheckRange(a->key, a->value, pct, 1, 100));
    utilization = pct / 100.0;
  }
  k.total_target = total;
  k.target = std::max(kTargetMin, total * utilization);

  k.target_burst_capacity = c.target_burst_capacity;
  if (auto a = Find(annotations, {"target-burst-capacity", "targetBurstCapacity"})) {
    SKIFF_ASSIGN_OR_RETURN(k.target_burst_capacity, ParseFloat(a->key, a->value));
    SKIFF_RETURN_IF_ERROR(CheckBurstCapacity(a->key, a->value, k.target_burst_capacity));
  }

  nanoseconds stable = c.stable_window;
  if (auto a = Find(annotations, {"window"})) {
    SKIFF_ASSIGN_OR_RETURN(stable, ParseWholeSeconds(a->key, a->value, kWindowMin, kWindowMax));
  }
  k.stable_window = std::chrono::duration_cast<milliseconds>(stable);

  k.panic_window_percentage = c.panic_window_percentage;
  if (auto a = Find(annotations, {"panic-window-percentage", "panicWindowPercentage"})) {
    SKIFF_ASSIGN_OR_RETURN(k.panic_window_percentage, ParseFloat(a->key, a->value));
    SKIFF_RETURN_IF_ERROR(CheckRange(a->key, a->value, k.panic_window_percentage, 1, 100));
  }
  k.panic_threshold_percentage = c.panic_threshold_percentage;
  if (auto a = Find(annotations, {"panic-threshold-percentage", "panicThresholdPercentage"})) {
    SKIFF_ASSIGN_OR_RETURN(k.panic_threshold_percentage, ParseFloat(a->key, a->value));
    SKIFF_RETURN_IF_ERROR(CheckRange(a->key, a->value, k.panic_threshold_percentage, 110, 1000));
  }

  k.max_scale_up_rate = c.max_scale_up_rate;
  k.max_scale_down_rate = c.max_scale_down_rate;
  k.enable_scale_to_zero = c.enable_scale_to_zero;
  k.scale_to_zero_grace = std::chrono::duration_cast<milliseconds>(c.scale_to_zero_grace);
  k.activator_capacity = c.activator_capacity;
  k.tick = std::chrono::duration_cast<milliseconds>(c.tick);

  nanoseconds retention = c.pod_retention;
  if (auto a = Find(annotations,
                    {"scale-to-zero-pod-retention-period", "scaleToZeroPodRetentionPeriod"})) {
    SKIFF_ASSIGN_OR_RETURN(retention, ParseDurationValue(a->key, a->value));
    if (retention < nanoseconds(0) || retention > kWindowMax) {
      return Bad(a->key, "\"" + a->value + "\" is outside [0s, 3600s]");
    }
  }
  k.pod_retention = std::chrono::duration_cast<milliseconds>(retention);

  nanoseconds delay = c.scale_down_delay;
  if (auto a = Find(annotations, {"scale-down-delay", "scaleDownDelay"})) {
    SKIFF_ASSIGN_OR_RETURN(delay, ParseWholeSeconds(a->key, a->value, nanoseconds(0), kWindowMax));
  }
  k.scale_down_delay = std::chrono::duration_cast<milliseconds>(delay);

  // Scale bounds: annotation, else the cluster default.
  std::string min_key = "min-scale", max_key = "max-scale";
  k.min_scale = c.min_scale;
  k.max_scale = c.max_scale;
  if (auto a = Find(annotations, {"min-scale", "minScale"})) {
    SKIFF_ASSIGN_OR_RETURN(k.min_scale, ParseInt32(a->key, a->value));
    if (k.min_scale < 0) {
      return Bad(a->key, "\"" + a->value + "\" must be at least 0");
    }
    min_key = a->key;
  }
  if (auto a = Find(annotations, {"max-scale", "maxScale"})) {
    SKIFF_ASSIGN_OR_RETURN(k.max_scale, ParseInt32(a->key, a->value));
    if (k.max_scale < 0) {
      return Bad(a->key, "\"" + a->value + "\" must be at least 0");
    }
    if (c.max_scale_limit > 0 && (k.max_scale < 1 || k.max_scale > c.max_scale_limit)) {
      return Bad(a->key, "\"" + a->value + "\" must be in [1, max-scale-limit(" +
                             std::to_string(c.max_scale_limit) + ")]");
    }
    max_key = a->key;
  }
  if (k.max_scale != 0 && k.max_scale < k.min_scale) {
    return Bad(max_key, "max-scale=" + std::to_string(k.max_scale) + " is less than min-scale=" +
                            std::to_string(k.min_scale) + " (" + min_key + ")");
  }

  k.initial_scale = c.initial_scale;
  if (auto a = Find(annotations, {"initial-scale", "initialScale"})) {
    auto v = ParseInt32(a->key, a->value);
    if (!v.ok() || *v < 0 || (*v == 0 && !c.allow_zero_initial_scale)) {
      return BadValue(a->key, a->value,
                      "must be at least 1 (0 only when allow-zero-initial-scale is true)");
    }
    k.initial_scale = *v;
  }

  if (auto a = Find(annotations, {"activation-scale"})) {
    SKIFF_ASSIGN_OR_RETURN(k.activation_scale, ParseInt32(a->key, a->value));
    if (k.activation_scale < 1) {
      return Bad(a->key, "\"" + a->value + "\" must be at least 1");
    }
    if (k.max_scale != 0 && k.activation_scale > k.max_scale) {
      return Bad(a->key, "activation-scale=" + a->value +
                             " is greater than max-scale=" + std::to_string(k.max_scale));
    }
  }
  return k;
}

}  // namespace skiff::autoscaler
