// Knative mode: revision objects, the traffic split and the rollout bookkeeping.
#include "controllers/inferenceservice/knative.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr char kAutoscalingPrefix[] = "autoscaling.knative.dev/";

// The revision template's annotations as KServe writes them from the component spec.
std::map<std::string, std::string> AutoscalingAnnotations(const Json& isvc) {
  std::map<std::string, std::string> out;
  const Json& annotations = Field(Field(isvc, "metadata"), "annotations");
  if (annotations.is_object()) {
    for (auto it = annotations.begin(); it != annotations.end(); ++it) {
      if (it.key().rfind(kAutoscalingPrefix, 0) != 0 || !it->is_string()) continue;
      // KServe drops these: minReplicas/maxReplicas are the only source.
      if (it.key() == "autoscaling.knative.dev/min-scale" ||
          it.key() == "autoscaling.knative.dev/max-scale") {
        continue;
      }
      out[it.key()] = it->get<std::string>();
    }
  }
  const Json& pred = Field(Field(isvc, "spec"), "predictor");
  const Json& min = Field(pred, "minReplicas");
  out["autoscaling.knative.dev/min-scale"] =
      min.is_number_integer() ? std::to_string(min.get<int64_t>()) : "1";
  const Json& max = Field(pred, "maxReplicas");
  if (max.is_number_integer() && max.get<int64_t>() > 0) {
    out["autoscaling.knative.dev/max-scale"] = std::to_string(max.get<int64_t>());
  }
  const Json& target = Field(pred, "scaleTarget");
  if (target.is_number_integer()) {
    out["autoscaling.knative.dev/target"] = std::to_string(target.get<int64_t>());
  }
  std::string metric = StringField(pred, "scaleMetric");
  if (!metric.empty()) out["autoscaling.knative.dev/metric"] = metric;
  if (!out.count("autoscaling.knative.dev/class")) {
    out["autoscaling.knative.dev/class"] = "kpa.autoscaling.knative.dev";
  }
  return out;
}

int64_t ContainerConcurrency(const Json& isvc) {
  const Json& cc = Field(Field(Field(isvc, "spec"), "predictor"), "containerConcurrency");
  return cc.is_number_integer() ? cc.get<int64_t>() : 0;
}

}  // namespace

std::string RevisionName(const std::string& configuration, int64_t number) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%05lld", static_cast<long long>(number));
  return configuration + "-" + buf;
}

int64_t RevisionNumber(const std::string& configuration, const std::string& revision) {
  if (revision.size() <= configuration.size() + 1 || revision.rfind(configuration + "-", 0) != 0) {
    return 0;
  }
  std::string digits = revision.substr(configuration.size() + 1);
  if (digits.size() < 5 || digits.size() > 12 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoll(digits);
}

std::string TemplateHash(const Json& isvc, const Rendered& standard) {
  Json basis = {{"template", Field(Field(standard.deployment, "spec"), "template")},
                {"strategy", Field(Field(standard.deployment, "spec"), "strategy")},
                {"autoscaling", AutoscalingAnnotations(isvc)},
                {"containerConcurrency", ContainerConcurrency(isvc)},
                {"timeout", Field(Field(Field(isvc, "spec"), "predictor"), "timeout")}};
  return Digest(DumpJson(basis));
}

Rendered RevisionObjects(const Json& isvc, const Rendered& standard, const std::string& revision,
                         const std::string& hash) {
  std::string name = MetaString(isvc, "name");
  std::string component = name + "-predictor";
  std::map<std::string, std::string> autoscaling = AutoscalingAnnotations(isvc);

  Rendered out = standard;
  Json labels = Field(Field(standard.deployment, "metadata"), "labels");
  if (!labels.is_object()) labels = Json::object();
  labels[kRevisionLabel] = revision;
  labels[kConfigurationLabel] = component;
  labels[kKnativeServiceLabel] = component;
  labels["app"] = revision;
  Json annotations = Json::object();
  for (const auto& [k, v] : autoscaling) annotations[k] = v;
  annotations[kTemplateHashAnnotation] = hash;
  annotations[kContainerConcurrencyAnnotation] = std::to_string(ContainerConcurrency(isvc));

  Json& dep = out.deployment;
  dep["metadata"]["name"] = revision;
  dep["metadata"]["labels"] = labels;
  dep["metadata"]["annotations"] = annotations;
  Json& spec = dep["spec"];
  spec["selector"] = {{"matchLabels", {{kRevisionLabel, revision}}}};
  Json& pod_meta = spec["template"]["metadata"];
  pod_meta["labels"] = labels;
  Json pod_annotations = Field(pod_meta, "annotations");
  if (!pod_annotations.is_object()) pod_annotations = Json::object();
  for (const auto& [k, v] : autoscaling) pod_annotations[k] = v;
  // The node agent probes readiness every 20 ms until the pod is ready, as Knative's
  // queue-proxy does, so a revision woken from zero serves as soon as its model is loaded.
  pod_annotations["serving.skiff.dev/aggressive-readiness"] = "true";
  pod_meta["annotations"] = std::move(pod_annotations);
  // initial-scale (1) raised to min-scale, capped by max-scale.
  int64_t replicas = std::max<int64_t>(1, std::stoll(autoscaling["autoscaling.knative.dev/min-scale"]));
  auto max = autoscaling.find("autoscaling.knative.dev/max-scale");
  if (max != autoscaling.end()) replicas = std::min<int64_t>(replicas, std::stoll(max->second));
  auto initial = autoscaling.find("autoscaling.knative.dev/initial-scale");
  if (initial != autoscaling.end()) {
    try {
      replicas = std::max<int64_t>(replicas, std::stoll(initial->second));
    } catch (...) {
      // A malformed value is the KPA's to report; the revision still starts.
    }
  }
  spec["replicas"] = replicas;

  Json& svc = out.service;
  svc["metadata"]["name"] = revision;
  svc["metadata"]["labels"] = labels;
  svc["spec"]["selector"] = {{kRevisionLabel, revision}};
  return out;
}

std::vector<TrafficTarget> ComputeTraffic(std::optional<int> canary_percent, bool tag_routing,
                                          const Rollout& rollout) {
  std::vector<TrafficTarget> out;
  if (rollout.latest_ready.empty()) return out;
  std::string latest_tag = tag_routing ? "latest" : "";
  if (canary_percent && !rollout.latest_rolledout.empty()) {
    int p = std::clamp(*canary_percent, 0, 100);
    out.push_back({rollout.latest_ready, p, true, latest_tag});
    if (p < 100) out.push_back({rollout.latest_rolledout, 100 - p, false, "prev"});
    return out;
  }
  out.push_back({rollout.latest_ready, 100, true, latest_tag});
  return out;
}

bool PropagateRollout(const std::vector<TrafficTarget>& traffic, Rollout* rollout) {
  const TrafficTarget* latest = nullptr;
  int sum_for_latest_ready = 0;
  for (const TrafficTarget& t : traffic) {
    if (t.latest) latest = &t;
    if (t.revision == rollout->latest_ready) sum_for_latest_ready += t.percent;
  }
  if (!latest || latest->revision != rollout->latest_ready || rollout->latest_ready.empty()) {
    return false;
  }
  if (latest->percent == 100 && rollout->latest_ready != rollout->latest_rolledout) {
    rollout->previous_rolledout = rollout->latest_rolledout;
    rollout->latest_rolledout = rollout->latest_ready;
    return true;
  }
  if (rollout->latest_ready == rollout->latest_rolledout &&
      rollout->latest_ready == rollout->latest_created && latest->percent < 100 &&
      sum_for_latest_ready == 100 && !rollout->previous_rolledout.empty()) {
    rollout->latest_rolledout = rollout->previous_rolledout;
    return true;
  }
  return false;
}

Json TrafficJson(const std::vector<TrafficTarget>& traffic, const std::string& component,
                 const std::string& ns, const std::string& domain) {
  Json out = Json::array();
  for (const TrafficTarget& t : traffic) {
    Json e = {{"revisionName", t.revision}, {"latestRevision", t.latest}, {"percent", t.percent}};
    if (!t.tag.empty()) {
      e["tag"] = t.tag;
      e["url"] = "http://" + t.tag + "-" + component + "." + ns + "." + domain;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace skiff::controllers::inferenceservice
