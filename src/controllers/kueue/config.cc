// Kueue Configuration parsing and loading.
#include "controllers/kueue/config.h"

#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "client/client.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::kueue {
namespace {

// "5m", "30m0s", "90s", "1h" (Go durations, the subset configs use).
StatusOr<std::chrono::seconds> ParseDuration(const std::string& text) {
  int64_t total = 0;
  size_t i = 0;
  if (text.empty()) return InvalidArgument("empty duration");
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i || j - i > 9) return InvalidArgument("invalid duration \"" + text + "\"");
    int64_t n = std::stoll(text.substr(i, j - i));
    if (j == text.size()) return InvalidArgument("missing unit in duration \"" + text + "\"");
    char unit = text[j];
    int64_t mult = unit == 'h' ? 3600 : unit == 'm' ? 60 : unit == 's' ? 1 : -1;
    if (mult < 0) return InvalidArgument("unknown unit in duration \"" + text + "\"");
    total += n * mult;
    i = j + 1;
  }
  return std::chrono::seconds(total);
}

}  // namespace

StatusOr<KueueConfig> ParseKueueConfig(const std::string& yaml) {
  auto parsed = api::ParseYamlOrJson(yaml);
  if (!parsed.ok()) return InvalidArgument("kueue configuration: " + parsed.status().message());
  const Json& doc = *parsed;
  if (!doc.is_object()) return InvalidArgument("kueue configuration: not a mapping");
  std::string api = StringField(doc, "apiVersion", "config.kueue.x-k8s.io/v1beta2");
  bool v1beta1 = api == "config.kueue.x-k8s.io/v1beta1";
  if (!v1beta1 && api != "config.kueue.x-k8s.io/v1beta2") {
    return InvalidArgument("kueue configuration: apiVersion " + api +
                           " is not config.kueue.x-k8s.io/v1beta1 or v1beta2");
  }
  KueueConfig c;
  const Json& fs = Field(doc, "fairSharing");
  c.fair_sharing = v1beta1 ? Field(fs, "enable") == true : fs.is_object() && Field(fs, "enable") != false;
  const Json& w = Field(doc, "waitForPodsReady");
  if (v1beta1) {
    c.wait_for_pods_ready = Field(w, "enable") == true;
    c.block_admission = Field(w, "blockAdmission") != false;
  } else {
    c.wait_for_pods_ready = Field(w, "enable") != false;
    c.pods_ready_timeout = std::chrono::seconds(1800);
    c.block_admission = Field(w, "blockAdmission") == true;
  }
  if (Field(w, "timeout").is_string()) {
    auto d = ParseDuration(w["timeout"].get<std::string>());
    if (!d.ok()) return InvalidArgument("waitForPodsReady.timeout: " + d.status().message());
    c.pods_ready_timeout = *d;
  }
  const Json& rq = Field(w, "requeuingStrategy");
  if (Field(rq, "backoffBaseSeconds").is_number_integer()) {
    c.backoff_base_seconds = rq["backoffBaseSeconds"].get<int64_t>();
  }
  if (Field(rq, "backoffMaxSeconds").is_number_integer()) {
    c.backoff_max_seconds = rq["backoffMaxSeconds"].get<int64_t>();
  }
  if (Field(rq, "backoffLimitCount").is_number_integer()) {
    c.backoff_limit_count = rq["backoffLimitCount"].get<int64_t>();
  }
  if (c.backoff_base_seconds < 0 || c.backoff_max_seconds < 0) {
    return InvalidArgument("waitForPodsReady.requeuingStrategy: backoff seconds must be >= 0");
  }
  return c;
}

StatusOr<KueueConfig> LoadKueueConfig(client::Client& client) {
  auto cm_kind = client.discovery().ResolveKind("v1", "ConfigMap");
  if (!cm_kind.ok()) return cm_kind.status();
  auto cm = client.Get(*cm_kind, kConfigNamespace, kConfigMapName);
  if (!cm.ok()) {
    if (cm.status().code() == StatusCode::kNotFound) return ParseKueueConfig("{}");
    return cm.status();
  }
  return ParseKueueConfig(StringField(Field(*cm, "data"), kConfigKey, "{}"));
}

}  // namespace skiff::controllers::kueue
