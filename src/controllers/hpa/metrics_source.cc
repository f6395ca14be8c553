// The metrics.k8s.io source: one PodMetrics list per metric per sync.
#include "controllers/hpa/metrics_source.h"

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "client/client.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::hpa {
namespace {

// Go's time.ParseDuration for the simple forms metrics servers write ("15s", "1.5s", "500ms",
// "1m0s"); 0 when unparsable.
std::chrono::milliseconds ParseGoDuration(const std::string& text) {
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) {
      ++j;
    }
    if (j == i) return std::chrono::milliseconds(0);
    double v = std::strtod(text.substr(i, j - i).c_str(), nullptr);
    size_t k = j;
    while (k < text.size() && !std::isdigit(static_cast<unsigned char>(text[k])) &&
           text[k] != '.') {
      ++k;
    }
    std::string unit = text.substr(j, k - j);
    if (unit == "h")
      total_ms += v * 3600000;
    else if (unit == "m")
      total_ms += v * 60000;
    else if (unit == "s")
      total_ms += v * 1000;
    else if (unit == "ms")
      total_ms += v;
    else if (unit == "us" || unit == "\xc2\xb5s")
      total_ms += v / 1000;
    else if (unit == "ns")
      total_ms += v / 1e6;
    else
      return std::chrono::milliseconds(0);
    i = k;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

class ApiMetricsSource final : public MetricsSource {
 public:
  explicit ApiMetricsSource(client::Client* client) : client_(client) {}

  StatusOr<PodMetrics> ResourceMetrics(const std::string& ns, const std::string& selector,
                                       const std::string& resource,
                                       const std::string& container) override {
    auto r = client_->discovery().ResolveKind("metrics.k8s.io/v1beta1", "PodMetrics");
    if (!r.ok()) {
      return Unavailable("unable to fetch metrics from resource metrics API: " +
                         r.status().message());
    }
    client::ListOptions o;
    o.label_selector = selector;
    auto list = client_->List(*r, ns, o);
    if (!list.ok()) {
      return Unavailable("unable to fetch metrics from resource metrics API: " +
                         list.status().message());
    }
    if (!Field(*list, "items").is_array() || (*list)["items"].empty()) {
      return Unavailable("no metrics returned from resource metrics API");
    }
    return PodMetricsFromList(*list, resource, container);
  }

 private:
  client::Client* client_;
};

}  // namespace

std::unique_ptr<MetricsSource> NewApiMetricsSource(client::Client* client) {
  return std::make_unique<ApiMetricsSource>(client);
}

PodMetrics PodMetricsFromList(const Json& list, const std::string& resource,
                              const std::string& container) {
  PodMetrics out;
  for (const Json& item : Field(list, "items")) {
    const Json& containers = Field(item, "containers");
    int64_t sum = 0;
    bool missing = !containers.is_array() || containers.empty();
    bool container_found = container.empty();
    for (const Json& c : containers) {
      if (!container.empty() && StringField(c, "name") != container) continue;
      container_found = true;
      auto q = api::QuantityFromJson(Field(Field(c, "usage"), resource.c_str()));
      if (!q.ok()) {
        missing = true;
        break;
      }
      sum += q->MilliValue();
    }
    if (missing || !container_found) continue;
    PodMetric m{.value_milli = sum, .window = ParseGoDuration(StringField(item, "window"))};
    if (auto t = ParseRfc3339(StringField(item, "timestamp")); t.ok()) m.timestamp = *t;
    out[MetaString(item, "name")] = m;
  }
  return out;
}

}  // namespace skiff::controllers::hpa
