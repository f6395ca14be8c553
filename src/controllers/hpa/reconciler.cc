// One HPA sync, following kube's reconcileAutoscaler: scale target, metrics, normalization,
// rescale, status. Messages, reasons and Events are upstream's.
#include "controllers/hpa/reconciler.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/label_selector.h"
#include "api/quantity.h"
#include "client/client.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::hpa {
namespace {

std::string Str(const Json& obj, const char* key) { return StringField(obj, key); }

int32_t Int32(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  return v.is_number_integer() ? static_cast<int32_t>(v.get<int64_t>()) : 0;
}

std::string MilliQuantity(int64_t milli) { return api::Quantity::FromMilli(milli).ToString(); }

// A metric's outcome: a proposal with its status, or an error with the ScalingActive=False
// condition it implies.
struct MetricResult {
  int32_t replicas = 0;
  std::string name;  // "cpu resource utilization (percentage of request)"
  Json status = {{"type", ""}};
  Status error;
  std::string reason;   // FailedGetResourceMetric, ...
  std::string message;  // the condition message
};

}  // namespace

HpaReconciler::HpaReconciler(client::Client* client, client::Informer* hpas, client::Informer* pods,
                             EventRecorder* events, HpaOptions options)
    : client_(client), hpas_(hpas), pods_(pods), events_(events), options_(options) {}

StatusOr<Result> HpaReconciler::Reconcile(const Request& request) {
  client::ObjectPtr cached = hpas_->Get(request.ns, request.name);
  std::string key = request.Key();
  if (!cached || !Field(Field(*cached, "metadata"), "deletionTimestamp").is_null()) {
    std::lock_guard lock(mu_);
    states_.erase(key);
    return Result{};
  }
  const Json& hpa = *cached;
  SystemTime now = options_.clock->Now();
  const Json& gen = Field(Field(hpa, "metadata"), "generation");
  int64_t generation = gen.is_number_integer() ? gen.get<int64_t>() : 0;
  State* state;
  {
    std::lock_guard lock(mu_);
    state = &states_[key];
  }
  // kube queues every HPA event with the sync period as its delay: an HPA is evaluated once per
  // period however often it changes (our own status writes included). A spec change (new
  // generation) is evaluated at once.
  if (state->last_sync && state->generation == generation &&
      now < *state->last_sync + options_.sync_period) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*state->last_sync +
                                                                      options_.sync_period - now);
    return Result{.requeue_after = std::max(left, std::chrono::milliseconds(1))};
  }
  state->last_sync = now;
  state->generation = generation;
  const Result next{.requeue_after = options_.sync_period};

  const Json& old_status = Field(hpa, "status");
  struct {
    std::string ns, now_s;
    Json conditions;
  } s{request.ns, FormatRfc3339(now),
      Field(old_status, "conditions").is_array() ? old_status["conditions"] : Json::array()};
  auto set_condition = [&](const char* type, const std::string& status, const std::string& reason,
                           const std::string& message) {
    SetCondition(&s.conditions,
                 {.type = type, .status = status, .reason = reason, .message = message}, s.now_s);
  };
  auto event = [&](const char* type, const std::string& reason, const std::string& message) {
    events_->Event(hpa, type, reason, message);
  };
  // Status as kube's setStatus builds it; written only when it differs.
  auto write_status = [&](int32_t current, int32_t desired, const Json& metrics,
                          bool rescaled) -> Status {
    Json status = {{"currentReplicas", current}, {"desiredReplicas", desired}};
    if (metrics.is_array() && !metrics.empty()) status["currentMetrics"] = metrics;
    if (rescaled) {
      status["lastScaleTime"] = s.now_s;
    } else if (!Field(old_status, "lastScaleTime").is_null()) {
      status["lastScaleTime"] = old_status["lastScaleTime"];
    }
    if (!s.conditions.empty()) status["conditions"] = s.conditions;
    if (old_status.is_object() && status == old_status) return Status::Ok();
    Json patch_status = status;
    if (old_status.is_object()) {
      for (auto it = old_status.begin(); it != old_status.end(); ++it) {
        if (!status.contains(it.key())) patch_status[it.key()] = nullptr;
      }
    }
    auto resource = client_->discovery().ResolveKind("autoscaling/v2", "HorizontalPodAutoscaler");
    if (!resource.ok()) return resource.status();
    client::PatchOptions po;
    po.type = client::PatchType::kMerge;
    po.subresource = "status";
    auto r = client_->Patch(*resource, s.ns, MetaString(hpa, "name"),
                            DumpJson(Json{{"status", patch_status}}), po);
    if (!r.ok()) {
      event("Warning", "FailedUpdateStatus", r.status().message());
      return r.status().WithContext("failed to update status for " + MetaString(hpa, "name"));
    }
    return Status::Ok();
  };
  int32_t old_current = Int32(old_status, "currentReplicas");
  int32_t old_desired = Int32(old_status, "desiredReplicas");
  const Json& old_metrics = Field(old_status, "currentMetrics");

  auto spec = ParseHpaSpec(hpa);
  if (!spec.ok()) {
    set_condition("ScalingActive", "False", "InvalidMetricSourceType",
                  "the HPA was unable to compute the replica count: " + spec.status().message());
    SKIFF_RETURN_IF_ERROR(write_status(old_current, old_desired, old_metrics, false));
    return next;
  }
  std::string reference = spec->target_kind + "/" + s.ns + "/" + spec->target_name;

  // The target's scale subresource.
  StatusOr<Json> scale = InvalidArgument("unresolved");
  client::ResourceInfo target;
  auto resolved = client_->discovery().ResolveKind(spec->target_api_version, spec->target_kind);
  if (resolved.ok()) {
    target = *resolved;
    scale = client_->Get(target, s.ns, spec->target_name, {.subresource = "scale"});
  } else {
    scale = resolved.status();
  }
  if (!scale.ok()) {
    event("Warning", "FailedGetScale", scale.status().message());
    set_condition("AbleToScale", "False", "FailedGetScale",
                  "the HPA controller was unable to get the target's current scale: " +
                      scale.status().message());
    SKIFF_RETURN_IF_ERROR(write_status(old_current, old_desired, old_metrics, false));
    spdlog::debug("component=hpa ns={} name={} failed to query scale subresource for {}: {}", s.ns,
                  MetaString(hpa, "name"), reference, scale.status().message());
    return next;
  }
  set_condition("AbleToScale", "True", "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  int32_t current = Int32(Field(*scale, "spec"), "replicas");
  std::string selector_text = Str(Field(*scale, "status"), "selector");
  RecordInitialRecommendation(state->history, current, now);

  int32_t min_replicas = spec->min_replicas;
  int32_t desired = 0;
  std::string rescale_reason;
  bool rescale = true;
  Json metric_statuses = Json::array();
  if (current == 0 && min_replicas != 0) {
    desired = 0;
    rescale = false;
    set_condition("ScalingActive", "False", "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
  } else if (current > spec->max_replicas) {
    rescale_reason = "Current number of replicas above Spec.MaxReplicas";
    desired = spec->max_replicas;
  } else if (current < min_replicas) {
    rescale_reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
  } else {
    // computeReplicasForMetrics.
    Status failure;
    std::string metric_name;
    int32_t metric_desired = 0;
    if (selector_text.empty()) {
      event("Warning", "SelectorRequired", "selector is required");
      set_condition("ScalingActive", "False", "InvalidSelector",
                    "the HPA target's scale is missing a selector");
      failure = InvalidArgument("selector is required");
    }
    auto selector = api::ParseLabelSelector(selector_text);
    if (failure.ok() && !selector.ok()) {
      std::string msg =
          "couldn't convert selector into a corresponding internal selector object: " +
          selector.status().message();
      event("Warning", "InvalidSelector", msg);
      set_condition("ScalingActive", "False", "InvalidSelector", msg);
      failure = InvalidArgument(msg);
    }
    if (failure.ok()) {
      std::vector<client::ObjectPtr> pods;
      for (const auto& p : pods_->List(s.ns)) {
        if (selector->Matches(Field(Field(*p, "metadata"), "labels"))) pods.push_back(p);
      }
      int invalid = 0;
      MetricResult first_invalid;
      for (const MetricSpec& m : spec->metrics) {
        MetricResult r;
        bool resource = m.type == "Resource" || m.type == "ContainerResource";
        bool container = m.type == "ContainerResource";
        const char* failed_reason =
            container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
        auto fail = [&](const char* reason, const std::string& why, const std::string& err) {
          r.reason = reason;
          r.message = "the HPA was unable to compute the replica count: " + why;
          r.error = InvalidArgument(err);
          event("Warning", reason, why);
        };
        if (resource && !m.target.average_value_milli && !m.target.average_utilization) {
          std::string msg = std::string("invalid ") + (container ? "container " : "") +
                            "resource metric source: neither a utilization target nor a value "
                            "target was set";
          fail(failed_reason, msg, msg);
        } else if (resource) {
          std::vector<PodFacts> facts;
          for (const auto& p : pods) facts.push_back(PodFactsOf(*p, m.resource, m.container));
          auto metrics =
              options_.metrics->ResourceMetrics(s.ns, selector_text, m.resource, m.container);
          StatusOr<ReplicaProposal> proposal = ReplicaProposal{};
          if (!metrics.ok()) {
            proposal = InvalidArgument("unable to get metrics for resource " + m.resource + ": " +
                                       metrics.status().message());
          } else if (m.target.average_value_milli) {
            proposal =
                ResourceAverageValueReplicas(current, *m.target.average_value_milli, m.resource,
                                             facts, *metrics, now, options_.calculator);
          } else {
            proposal =
                ResourceUtilizationReplicas(current, *m.target.average_utilization, m.resource,
                                            facts, *metrics, now, options_.calculator);
          }
          if (!proposal.ok()) {
            fail(failed_reason, proposal.status().message(),
                 "failed to get " + m.resource + " utilization: " + proposal.status().message());
          } else {
            const char* key = container ? "containerResource" : "resource";
            Json src = {{"name", m.resource}};
            if (container) src["container"] = m.container;
            Json cur = {{"averageValue", MilliQuantity(proposal->raw_average_milli)}};
            std::string what = m.resource + (container ? " container resource" : " resource");
            if (m.target.average_value_milli) {
              r.name = what;
            } else {
              cur["averageUtilization"] = proposal->utilization;
              r.name = what + " utilization (percentage of request)";
            }
            src["current"] = cur;
            r.status = {{"type", m.type}, {key, src}};
            r.replicas = proposal->replicas;
          }
        } else if (m.type == "Pods" || m.type == "Object" || m.type == "External") {
          // Custom and external metrics need an adapter (custom.metrics.k8s.io,
          // external.metrics.k8s.io) that Skiff does not serve; KEDA's ScaledObject covers
          // event-driven scaling.
          bool external = m.type == "External";
          std::string msg = std::string("unable to fetch metrics from ") +
                            (external ? "external" : "custom") + " metrics API: no " +
                            (external ? "external metrics API (external.metrics.k8s.io)"
                                      : "custom metrics API (custom.metrics.k8s.io)") +
                            " registered";
          fail(m.type == "Pods"     ? "FailedGetPodsMetric"
               : m.type == "Object" ? "FailedGetObjectMetric"
                                    : "FailedGetExternalMetric",
               msg, msg);
        } else {
          std::string msg = "unknown metric source type \"" + m.type + "\"";
          fail("InvalidMetricSourceType", msg, msg);
        }
        metric_statuses.push_back(r.status);
        if (!r.error.ok()) {
          if (invalid++ == 0) first_invalid = r;
        } else if (metric_desired == 0 || r.replicas > metric_desired) {
          metric_desired = r.replicas;
          metric_name = r.name;
        }
      }
      if (invalid >= static_cast<int>(spec->metrics.size())) {
        set_condition("ScalingActive", "False", first_invalid.reason, first_invalid.message);
        failure = InvalidArgument("invalid metrics (" + std::to_string(invalid) +
                                  " invalid out of " + std::to_string(spec->metrics.size()) +
                                  "), first error is: " + first_invalid.error.message());
      } else {
        set_condition(
            "ScalingActive", "True", "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from " + metric_name);
      }
    }
    if (!failure.ok()) {
      // kube keeps the last desired count and metrics when none could be computed.
      SKIFF_RETURN_IF_ERROR(write_status(current, old_desired, old_metrics, false));
      std::string msg =
          "failed to compute desired number of replicas based on listed metrics "
          "for " +
          reference + ": " + failure.message();
      event("Warning", "FailedComputeMetricsReplicas", failure.message());
      spdlog::debug("component=hpa ns={} name={} {}", s.ns, MetaString(hpa, "name"), msg);
      return next;
    }
    desired = metric_desired;
    if (desired > current) rescale_reason = metric_name + " above target";
    if (desired < current) rescale_reason = "All metrics below target";
    Normalized n = spec->behavior
                       ? NormalizeWithBehavior(state->history, *spec->behavior,
                                               options_.downscale_stabilization, current, desired,
                                               min_replicas, spec->max_replicas, now)
                       : NormalizeLegacy(state->history, options_.downscale_stabilization, current,
                                         desired, min_replicas, spec->max_replicas, now);
    set_condition("AbleToScale", n.able_to_scale.status, n.able_to_scale.reason,
                  n.able_to_scale.message);
    set_condition("ScalingLimited", n.scaling_limited.status, n.scaling_limited.reason,
                  n.scaling_limited.message);
    desired = n.replicas;
    rescale = desired != current;
  }

  if (rescale) {
    client::PatchOptions po;
    po.type = client::PatchType::kMerge;
    po.subresource = "scale";
    auto patched = client_->Patch(target, s.ns, spec->target_name,
                                  DumpJson(Json{{"spec", {{"replicas", desired}}}}), po);
    if (!patched.ok()) {
      event("Warning", "FailedRescale",
            "New size: " + std::to_string(desired) + "; reason: " + rescale_reason +
                "; error: " + patched.status().message());
      set_condition("AbleToScale", "False", "FailedUpdateScale",
                    "the HPA controller was unable to update the target scale: " +
                        patched.status().message());
      SKIFF_RETURN_IF_ERROR(write_status(current, old_desired, old_metrics, false));
      return patched.status().WithContext("failed to rescale " + reference);
    }
    set_condition(
        "AbleToScale", "True", "SucceededRescale",
        "the HPA controller was able to update the target scale to " + std::to_string(desired));
    event("Normal", "SuccessfulRescale",
          "New size: " + std::to_string(desired) + "; reason: " + rescale_reason);
    if (spec->behavior) StoreScaleEvent(state->history, *spec->behavior, current, desired, now);
    spdlog::debug("component=hpa ns={} name={} rescaled {} from {} to {}: {}", s.ns,
                  MetaString(hpa, "name"), reference, current, desired, rescale_reason);
  } else {
    desired = current;
  }
  SKIFF_RETURN_IF_ERROR(write_status(current, desired, metric_statuses, rescale));
  return next;
}

}  // namespace skiff::controllers::hpa
