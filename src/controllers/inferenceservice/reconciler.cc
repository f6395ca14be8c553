// The InferenceService reconciler (Standard mode): runtime selection, predictor Deployment and
// Service create/update, status from the Deployment and its pods; and the installer that keeps
// the built-in ClusterServingRuntimes present.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "client/client.h"
#include "controllers/inferenceservice/build.h"
#include "controllers/inferenceservice/builtin_runtimes.h"
#include "controllers/inferenceservice/isvc_controller.h"
#include "controllers/inferenceservice/hpa.h"
#include "controllers/inferenceservice/knative.h"
#include "controllers/inferenceservice/storage_initializer.h"
#include "controllers/runtime/builtin_objects.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

// On the Deployment and Service: a digest of what was rendered, so the child is rewritten only
// when the InferenceService (or its runtime) changed, never because the API server defaulted it.
constexpr char kSpecHashAnnotation[] = "serving.skiff.dev/spec-hash";
constexpr char kFieldManager[] = "kserve-controller";
constexpr char kDefaultDomain[] = "example.com";
// Revisions with no traffic and no rollout role kept (scaled to zero) before GC deletes them.
constexpr size_t kRetainedRevisions = 3;

int64_t IntField(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

struct PendingEvent {
  std::string type, reason, message;
};

// A failed storage-initializer or kserve-container in `pod`: fills the failure and returns true.
bool PodFailure(const Json& pod, Json* info) {
  const Json& st = Field(pod, "status");
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    for (const Json& cs : Field(st, list)) {
      std::string name = StringField(cs, "name");
      if (name != kStorageInitializer && name != kKserveContainer) continue;
      const Json& state = Field(cs, "state");
      const Json* term = nullptr;
      if (Field(state, "terminated").is_object() &&
          IntField(state["terminated"], "exitCode") != 0) {
        term = &state["terminated"];
      } else if (StringField(Field(state, "waiting"), "reason") == "CrashLoopBackOff" &&
                 Field(Field(cs, "lastState"), "terminated").is_object()) {
        term = &cs["lastState"]["terminated"];
      }
      if (!term) continue;
      std::string msg = StringField(*term, "message");
      if (msg.empty()) msg = StringField(*term, "reason", "Error");
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      // A log tail (FallbackToLogsOnError): its last line is the error.
      if (size_t nl = msg.rfind('\n'); nl != std::string::npos) msg = msg.substr(nl + 1);
      *info = {{"location", MetaString(pod, "name")},
               {"reason", "ModelLoadFailed"},
               {"message", name + ": " + msg},
               {"exitCode", IntField(*term, "exitCode")}};
      return true;
    }
  }
  return false;
}

bool InitializerRunning(const Json& pod) {
  for (const Json& cs : Field(Field(pod, "status"), "initContainerStatuses")) {
    if (StringField(cs, "name") == kStorageInitializer &&
        Field(Field(cs, "state"), "running").is_object()) {
      return true;
    }
  }
  return false;
}

bool PodReady(const Json& pod) {
  return IsConditionTrue(Field(Field(pod, "status"), "conditions"), "Ready");
}

class IsvcReconciler final : public Reconciler {
 public:
  IsvcReconciler(Manager* mgr, client::Informer* isvcs, client::Informer* deployments,
                 client::Informer* services, client::Informer* runtimes,
                 client::Informer* cluster_runtimes, client::Informer* pods,
                 client::Informer* service_accounts, client::Informer* secrets,
                 client::Informer* configmaps, client::Informer* hpas)
      : mgr_(mgr),
        isvcs_(isvcs),
        deployments_(deployments),
        services_(services),
        runtimes_(runtimes),
        cluster_runtimes_(cluster_runtimes),
        pods_(pods),
        service_accounts_(service_accounts),
        secrets_(secrets),
        configmaps_(configmaps),
        hpas_(hpas),
        events_(&mgr->EventsFor("kserve-controller")) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = isvcs_->Get(req.ns, req.name);
    if (!cached) return Result{};
    if (Field(Field(*cached, "metadata"), "deletionTimestamp").is_string()) return Result{};
    Json isvc = *cached;
    isvc["apiVersion"] = kIsvcApiVersion;
    isvc["kind"] = "InferenceService";
    const Json& old_status = Field(isvc, "status");
    Json status = old_status.is_object() ? old_status : Json::object();
    Json& conds = status["conditions"];
    if (!conds.is_array()) conds = Json::array();
    std::string now = NowRfc3339();
    std::vector<PendingEvent> events;
    std::string mode = DeploymentMode(isvc);
    status["deploymentMode"] = mode;
    if (Field(Field(isvc, "metadata"), "generation").is_number_integer()) {
      status["observedGeneration"] = isvc["metadata"]["generation"];
    }

    auto not_ready = [&](const std::string& reason, const std::string& message) {
      SetCondition(&conds, {"PredictorReady", "False", reason, message}, now);
      if (SetCondition(&conds, {"Ready", "False", reason, message}, now)) {
        events.push_back({"Warning", reason, message});
      }
    };

    if (mode != "Standard" && mode != "Knative") {
      not_ready("DeploymentModeNotSupported",
                "deployment mode " + mode +
                    " is not implemented by Skiff; use Standard (the default) or Knative "
                    "(annotation serving.kserve.io/deploymentMode)");
      return WriteStatus(req, isvc, old_status, std::move(status), events);
    }

    Json pred = NormalizePredictor(Field(Field(isvc, "spec"), "predictor"));
    Json runtime;  // null: custom containers
    status.erase("servingRuntimeName");
    status.erase("clusterServingRuntimeName");
    if (Field(pred, "model").is_object()) {
      ModelRequest mreq = ModelRequestOf(pred);
      std::vector<Json> ns_rts, cl_rts;
      for (const client::ObjectPtr& r : runtimes_->List(req.ns)) ns_rts.push_back(*r);
      for (const client::ObjectPtr& r : cluster_runtimes_->List()) cl_rts.push_back(*r);
      RuntimeChoice choice = SelectRuntime(mreq, ns_rts, cl_rts);
      if (!choice.runtime) {
        not_ready(choice.reason, choice.condition_message);
        Json& ms = status["modelStatus"];
        Json info = {{"reason", choice.reason}, {"message", choice.message}};
        KeepFailureTime(ms, &info, now);
        ms = {{"transitionStatus", "InvalidSpec"},
              {"states", {{"activeModelState", ""}, {"targetModelState", "FailedToLoad"}}},
              {"lastFailureInfo", std::move(info)}};
        return WriteStatus(req, isvc, old_status, std::move(status), events);
      }
      runtime = *choice.runtime;
      status[choice.cluster ? "clusterServingRuntimeName" : "servingRuntimeName"] =
          MetaString(runtime, "name");
    } else if (!Field(pred, "containers").is_array() || pred["containers"].empty()) {
      not_ready("InvalidPredictorSpec", "the predictor has neither a model nor containers");
      return WriteStatus(req, isvc, old_status, std::move(status), events);
    }

    StatusOr<Rendered> rendered = RenderPredictor(isvc, runtime);
    if (!rendered.ok()) {
      not_ready("InvalidPredictorSpec", rendered.status().message());
      return WriteStatus(req, isvc, old_status, std::move(status), events);
    }
    // Storage credentials for the initializer, from the service account's Secrets.
    {
      Json account;
      std::string sa = StringField(pred, "serviceAccountName", "default");
      if (client::ObjectPtr a = service_accounts_->Get(req.ns, sa)) account = *a;
      std::vector<Json> secrets;
      for (const client::ObjectPtr& o : secrets_->List(req.ns)) secrets.push_back(*o);
      StatusOr<StorageCredentials> creds = StorageCredentialsFor(isvc, account, secrets);
      if (!creds.ok()) {
        not_ready("StorageCredentialsNotFound", creds.status().message());
        return WriteStatus(req, isvc, old_status, std::move(status), events);
      }
      AddStorageCredentials(*creds, &rendered->deployment["spec"]["template"]["spec"]);
    }
    if (mode == "Knative" && Field(Field(isvc, "spec"), "transformer").is_object()) {
      not_ready("TransformerNotSupported",
                "a transformer is supported in Standard mode only; Skiff's Knative mode "
                "revisions the predictor alone");
      return WriteStatus(req, isvc, old_status, std::move(status), events);
    }
    // Objects of the other mode (the annotation changed) go: no pods left running for nothing.
    SKIFF_RETURN_IF_ERROR(DeleteOtherModeObjects(req, isvc, mode == "Knative"));
    if (mode == "Knative") {
      return ReconcileKnative(req, isvc, old_status, std::move(status), *rendered,
                              std::move(events));
    }
    std::string component = req.name + "-predictor";
    client::ObjectPtr dep = deployments_->Get(req.ns, component);
    client::ObjectPtr svc = services_->Get(req.ns, component);
    std::string uid = MetaString(isvc, "uid");
    for (const auto& [kind, child] : {std::pair{"Deployment", dep}, std::pair{"Service", svc}}) {
      if (child && !IsControlledBy(*child, uid)) {
        not_ready("ResourceConflict", std::string(kind) + " " + component +
                                          " exists and is not owned by this InferenceService");
        return WriteStatus(req, isvc, old_status, std::move(status), events);
      }
    }
    // With an HPA the replica count is the HPA's: a re-render keeps the Deployment's.
    bool hpa = WantsHpa(isvc);
    SKIFF_RETURN_IF_ERROR(
        Apply(deployments_, dep, std::move(rendered->deployment), &events, /*keep_replicas=*/hpa));
    SKIFF_RETURN_IF_ERROR(Apply(services_, svc, std::move(rendered->service), &events));
    // The predictor's HorizontalPodAutoscaler (autoscalerClass hpa, the default).
    client::ObjectPtr existing_hpa = hpas_->Get(req.ns, component);
    if (hpa) {
      if (existing_hpa && !IsControlledBy(*existing_hpa, uid)) {
        not_ready("ResourceConflict", "HorizontalPodAutoscaler " + component +
                                          " exists and is not owned by this InferenceService");
        return WriteStatus(req, isvc, old_status, std::move(status), events);
      }
      SKIFF_RETURN_IF_ERROR(Apply(hpas_, existing_hpa, RenderPredictorHpa(isvc), &events));
    } else if (existing_hpa && IsControlledBy(*existing_hpa, uid)) {
      auto d = mgr_->client().Delete(hpas_->resource(), req.ns, component);
      if (!d.ok() && d.status().code() != StatusCode::kNotFound) return d.status();
    }
    // The transformer: its own Deployment and Service in front of the predictor.
    std::string tname = req.name + "-transformer";
    client::ObjectPtr tdep = deployments_->Get(req.ns, tname);
    client::ObjectPtr tsvc = services_->Get(req.ns, tname);
    if (Field(Field(isvc, "spec"), "transformer").is_object()) {
      StatusOr<Rendered> t = RenderTransformer(isvc);
      if (!t.ok()) {
        not_ready("InvalidTransformerSpec", t.status().message());
        return WriteStatus(req, isvc, old_status, std::move(status), events);
      }
      for (const auto& [kind, child] : {std::pair{"Deployment", tdep}, std::pair{"Service", tsvc}}) {
        if (child && !IsControlledBy(*child, uid)) {
          not_ready("ResourceConflict", std::string(kind) + " " + tname +
                                            " exists and is not owned by this InferenceService");
          return WriteStatus(req, isvc, old_status, std::move(status), events);
        }
      }
      SKIFF_RETURN_IF_ERROR(Apply(deployments_, tdep, std::move(t->deployment), &events));
      SKIFF_RETURN_IF_ERROR(Apply(services_, tsvc, std::move(t->service), &events));
    } else {
      // The transformer was removed from the spec: so are its objects.
      for (auto [inf, child] : {std::pair{deployments_, tdep}, std::pair{services_, tsvc}}) {
        if (!child || !IsControlledBy(*child, uid)) continue;
        auto d = mgr_->client().Delete(inf->resource(), req.ns, tname);
        if (!d.ok() && d.status().code() != StatusCode::kNotFound) return d.status();
      }
    }
    // Apply returned OK, so the Service exists (created now or before).
    ComponentStatus(isvc, dep, /*service_exists=*/true, &status, now);
    // A model that cannot load (storage initializer or server failing) is a clear False, not a
    // Deployment that is merely not available yet.
    const Json& ms = Field(status, "modelStatus");
    const Json* pred_ready = FindCondition(Field(status, "conditions"), "PredictorReady");
    if (StringField(ms, "transitionStatus") == "BlockedByFailedLoad" &&
        (!pred_ready || StringField(*pred_ready, "status") != "True")) {
      const Json& info = Field(ms, "lastFailureInfo");
      not_ready(StringField(info, "reason", "ModelLoadFailed"), StringField(info, "message"));
    }
    return WriteStatus(req, isvc, old_status, std::move(status), events);
  }

 private:
  // Creates `desired`, or rewrites the existing child's spec when the rendering changed.
  // keep_replicas: an existing object keeps its spec.replicas (an autoscaler owns it).
  Status Apply(client::Informer* inf, const client::ObjectPtr& existing, Json desired,
               std::vector<PendingEvent>* events, bool keep_replicas = false) {
    std::string hash = Digest(DumpJson(desired["spec"]) + DumpJson(desired["metadata"]["labels"]));
    desired["metadata"]["annotations"][kSpecHashAnnotation] = hash;
    std::string ns = desired["metadata"]["namespace"].get<std::string>();
    std::string name = desired["metadata"]["name"].get<std::string>();
    std::string kind = desired["kind"].get<std::string>();
    client::WriteOptions opts;
    opts.field_manager = kFieldManager;
    if (!existing) {
      auto r = mgr_->client().Create(inf->resource(), ns, desired, opts);
      if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
      if (r.ok()) events->push_back({"Normal", "Created", "Created " + kind + " " + name});
      return Status::Ok();
    }
    if (StringField(Field(Field(*existing, "metadata"), "annotations"), kSpecHashAnnotation) ==
        hash) {
      return Status::Ok();
    }
    Json updated = *existing;
    updated["metadata"]["labels"] = desired["metadata"]["labels"];
    updated["metadata"]["annotations"][kSpecHashAnnotation] = hash;
    if (kind == "Service") {
      // Keep what the API server allocated (clusterIP, ...).
      updated["spec"]["selector"] = desired["spec"]["selector"];
      updated["spec"]["ports"] = desired["spec"]["ports"];
    } else {
      Json replicas = Field(updated["spec"], "replicas");
      updated["spec"] = desired["spec"];
      if (keep_replicas && replicas.is_number_integer()) updated["spec"]["replicas"] = replicas;
    }
    auto r = mgr_->client().Replace(inf->resource(), ns, name, updated, opts);
    if (!r.ok()) return r.status();
    events->push_back({"Normal", "Updated", "Updated " + kind + " " + name});
    return Status::Ok();
  }

  static void KeepFailureTime(const Json& old_model_status, Json* info, const std::string& now) {
    const Json& old = Field(old_model_status, "lastFailureInfo");
    bool same = StringField(old, "reason") == StringField(*info, "reason") &&
                StringField(old, "message") == StringField(*info, "message") &&
                StringField(old, "location") == StringField(*info, "location");
    (*info)["time"] = same && Field(old, "time").is_string() ? old["time"] : Json(now);
  }

  // In Knative mode, the Standard-mode predictor objects (Deployment, Service, HPA) and the
  // transformer's; in Standard mode, the revisions. Only objects this isvc controls.
  Status DeleteOtherModeObjects(const Request& req, const Json& isvc, bool knative) {
    std::string uid = MetaString(isvc, "uid");
    std::vector<std::pair<client::Informer*, std::string>> doomed;
    if (knative) {
      for (const std::string& n : {req.name + "-predictor", req.name + "-transformer"}) {
        for (client::Informer* inf : {deployments_, services_, hpas_}) {
          client::ObjectPtr o = inf->Get(req.ns, n);
          if (o && IsControlledBy(*o, uid)) doomed.emplace_back(inf, n);
        }
      }
    } else {
      for (client::Informer* inf : {deployments_, services_}) {
        for (const client::ObjectPtr& o : inf->List(req.ns)) {
          if (!IsControlledBy(*o, uid)) continue;
          if (StringField(Field(Field(*o, "metadata"), "labels"), kRevisionLabel).empty()) continue;
          doomed.emplace_back(inf, MetaString(*o, "name"));
        }
      }
    }
    for (const auto& [inf, name] : doomed) {
      client::DeleteOptions del;
      del.propagation_policy = "Background";
      auto d = mgr_->client().Delete(inf->resource(), req.ns, name, del);
      if (!d.ok() && d.status().code() != StatusCode::kNotFound) return d.status();
    }
    return Status::Ok();
  }

  // The domain of status.url: Knative mode reads Knative's config-domain (its default domain
  // is the key whose value is empty, else the first key); both modes then read KServe's
  // inferenceservice-config `ingress` JSON `ingressDomain`; example.com otherwise.
  std::string IngressDomain(bool knative) {
    if (knative) {
      if (client::ObjectPtr cm = configmaps_->Get("knative-serving", "config-domain")) {
        const Json& data = Field(*cm, "data");
        std::string first;
        if (data.is_object()) {
          for (auto it = data.begin(); it != data.end(); ++it) {
            if (it.key().empty() || it.key()[0] == '_') continue;  // _example holds the docs
            if (first.empty()) first = it.key();
            if (it->is_string() && it->get<std::string>().empty()) return it.key();
          }
        }
        if (!first.empty()) return first;
      }
    }
    if (client::ObjectPtr cm = configmaps_->Get("kserve", "inferenceservice-config")) {
      StatusOr<Json> ingress = ParseJson(StringField(Field(*cm, "data"), "ingress"));
      if (ingress.ok()) {
        std::string domain = StringField(*ingress, "ingressDomain");
        if (!domain.empty()) return domain;
      }
    }
    return kDefaultDomain;
  }

  // A component's readiness from its Deployment, as KServe's raw-mode reconciler derives it.
  static Condition DeploymentCondition(const std::string& type, const std::string& component,
                                       const client::ObjectPtr& dep, bool* current,
                                       int64_t* generation) {
    Condition c{type, "Unknown", "DeploymentNotReady",
                "Deployment " + component + " is being created"};
    *current = false;
    *generation = 0;
    if (!dep) return c;
    *generation = IntField(Field(*dep, "metadata"), "generation");
    const Json& ds = Field(*dep, "status");
    *current = IntField(ds, "observedGeneration") >= *generation;
    const Json& dconds = Field(ds, "conditions");
    const Json* progressing = FindCondition(dconds, "Progressing");
    const Json* available = FindCondition(dconds, "Available");
    if (progressing && StringField(*progressing, "status") == "False") {
      return {type, "False", StringField(*progressing, "reason"),
              StringField(*progressing, "message")};
    }
    if (IntField(ds, "availableReplicas") > 0 &&
        (!available || StringField(*available, "status") == "True")) {
      return {type, "True", "", ""};
    }
    if (available) {
      if (StringField(*available, "status") == "True") {
        return {type, "Unknown", "MinimumReplicasUnavailable",
                "Deployment " + component + " has no available replicas"};
      }
      return {type, StringField(*available, "status"), StringField(*available, "reason"),
              StringField(*available, "message")};
    }
    c.message = "Deployment " + component + " has no available replicas yet";
    return c;
  }

  // PredictorReady / TransformerReady / IngressReady / Ready, URLs, components and modelStatus.
  void ComponentStatus(const Json& isvc, const client::ObjectPtr& dep, bool service_exists,
                       Json* status, const std::string& now) {
    std::string name = MetaString(isvc, "name");
    std::string ns = MetaString(isvc, "namespace");
    std::string component = name + "-predictor";
    const std::string domain = IngressDomain(/*knative=*/false);
    Json& conds = (*status)["conditions"];

    bool current = false;  // the Deployment controller has seen the latest spec
    int64_t generation = 0;
    Condition pred = DeploymentCondition("PredictorReady", component, dep, &current, &generation);
    // A transformer in front: its Deployment is a component of Ready too.
    std::optional<Condition> transformer;
    if (Field(Field(isvc, "spec"), "transformer").is_object()) {
      bool t_current = false;
      int64_t t_generation = 0;
      transformer = DeploymentCondition("TransformerReady", name + "-transformer",
                                        deployments_->Get(ns, name + "-transformer"), &t_current,
                                        &t_generation);
      SetCondition(&conds, *transformer, now);
      current = current && t_current;
    } else {
      for (size_t i = 0; i < conds.size(); ++i) {
        if (StringField(conds[i], "type") == "TransformerReady") {
          conds.erase(conds.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
      }
    }
    SetCondition(&conds, pred, now);
    Condition ingress = service_exists
                            ? Condition{"IngressReady", "True", "", ""}
                            : Condition{"IngressReady", "Unknown", "ServiceNotCreated", ""};
    SetCondition(&conds, ingress, now);
    // Knative's living condition set: False wins, then Unknown.
    Condition ready{"Ready", "True", "", ""};
    std::vector<const Condition*> parts = {&pred, &ingress};
    if (transformer) parts.push_back(&*transformer);
    for (const Condition* c : parts) {
      if (c->status == "False" || (c->status == "Unknown" && ready.status == "True")) {
        ready = {"Ready", c->status, c->reason, c->message};
        if (c->status == "False") break;
      }
    }
    SetCondition(&conds, ready, now);

    bool is_ready = ready.status == "True";
    Json& comp = (*status)["components"]["predictor"];
    if (!comp.is_object()) comp = Json::object();
    if (dep) comp["latestCreatedRevision"] = RevisionName(component, generation);
    if (is_ready && current) {
      std::string rev = RevisionName(component, generation);
      comp["latestReadyRevision"] = rev;
      comp["latestRolledoutRevision"] = rev;
      comp["url"] = "http://" + component + "." + ns + "." + domain;
      comp["address"] = {{"url", "http://" + component + "." + ns + ".svc.cluster.local"}};
      comp["traffic"] =
          Json::array({{{"revisionName", rev}, {"latestRevision", true}, {"percent", 100}}});
    }
    if (service_exists) {
      std::string entry = transformer ? name + "-transformer" : component;
      (*status)["url"] = "http://" + name + "." + ns + "." + domain;
      (*status)["address"] = {{"url", "http://" + entry + "." + ns + ".svc.cluster.local"}};
    }
    if (transformer) {
      Json& tc = (*status)["components"]["transformer"];
      tc = {{"url", "http://" + name + "-transformer." + ns + "." + domain},
            {"address", {{"url", "http://" + name + "-transformer." + ns + ".svc.cluster.local"}}}};
    } else if (Field(*status, "components").is_object()) {
      (*status)["components"].erase("transformer");
    }

    UpdateModelStatus(ns, name, "", is_ready && current, status, now);
  }

  // modelStatus from the predictor's pods (of `revision` only, when set). `loaded`: the
  // InferenceService is Ready with its latest spec.
  void UpdateModelStatus(const std::string& ns, const std::string& name,
                         const std::string& revision, bool loaded, Json* status,
                         const std::string& now) {
    bool is_ready = loaded, current = loaded;
    Json failure;
    bool loading = false;
    int64_t ready_pods = 0;
    for (const client::ObjectPtr& p : pods_->List(ns)) {
      const Json& labels = Field(Field(*p, "metadata"), "labels");
      if (StringField(labels, kIsvcLabel) != name ||
          StringField(labels, kComponentLabel) != "predictor" ||
          (!revision.empty() && StringField(labels, kRevisionLabel) != revision)) {
        continue;
      }
      if (failure.is_null()) PodFailure(*p, &failure);
      loading = loading || InitializerRunning(*p);
      if (PodReady(*p)) ++ready_pods;
    }
    Json& ms = (*status)["modelStatus"];
    std::string active = StringField(Field(ms, "states"), "activeModelState");
    Json next;
    if (!failure.is_null()) {
      KeepFailureTime(ms, &failure, now);
      next = {{"transitionStatus", "BlockedByFailedLoad"},
              {"states", {{"activeModelState", active}, {"targetModelState", "FailedToLoad"}}},
              {"lastFailureInfo", std::move(failure)}};
      if (!is_ready) next["states"]["activeModelState"] = "FailedToLoad";
    } else if (is_ready && current) {
      next = {{"transitionStatus", "UpToDate"},
              {"states", {{"activeModelState", "Loaded"}, {"targetModelState", "Loaded"}}}};
    } else {
      next = {{"transitionStatus", "InProgress"},
              {"states",
               {{"activeModelState", active == "Loaded" ? "Loaded" : "Pending"},
                {"targetModelState", loading ? "Loading" : "Pending"}}}};
    }
    next["copies"] = {{"failedCopies", failure.is_null() ? 0 : 1}, {"totalCopies", ready_pods}};
    ms = std::move(next);
  }

  // Knative mode: one Deployment + Service per revision, the split written to
  // components.predictor.traffic (the gateway routes by it) and the rollout bookkeeping.
  StatusOr<Result> ReconcileKnative(const Request& req, const Json& isvc, const Json& old_status,
                                    Json status, const Rendered& rendered,
                                    std::vector<PendingEvent> events) {
    std::string now = NowRfc3339();
    std::string component = req.name + "-predictor";
    std::string uid = MetaString(isvc, "uid");
    Json& conds = status["conditions"];

    struct Rev {
      client::ObjectPtr dep;
      int64_t number;
      std::string name;
    };
    std::vector<Rev> revs;
    for (const client::ObjectPtr& d : deployments_->List(req.ns)) {
      if (!IsControlledBy(*d, uid)) continue;
      if (StringField(Field(Field(*d, "metadata"), "labels"), kConfigurationLabel) != component) {
        continue;
      }
      std::string name = MetaString(*d, "name");
      int64_t n = RevisionNumber(component, name);
      if (n > 0) revs.push_back({d, n, name});
    }
    std::sort(revs.begin(), revs.end(), [](const Rev& a, const Rev& b) { return a.number < b.number; });

    // A new revision when the template changed (or there is none).
    std::string hash = TemplateHash(isvc, rendered);
    auto annotation = [](const client::ObjectPtr& o, const char* key) {
      return StringField(Field(Field(*o, "metadata"), "annotations"), key);
    };
    if (revs.empty() || annotation(revs.back().dep, kTemplateHashAnnotation) != hash) {
      int64_t next = revs.empty() ? 1 : revs.back().number + 1;
      // The status remembers the newest number, so a deleted latest revision is not reused
      // (a Standard-mode status names Deployment generations instead: not revisions).
      int64_t created =
          StringField(old_status, "deploymentMode") != "Knative"
              ? 0
              : RevisionNumber(component, StringField(Field(Field(old_status, "components"),
                                                            "predictor"),
                                                      "latestCreatedRevision"));
      if (created >= next && (revs.empty() || created > revs.back().number)) next = created + 1;
      std::string rev = RevisionName(component, next);
      Rendered objs = RevisionObjects(isvc, rendered, rev, hash);
      client::WriteOptions opts;
      opts.field_manager = kFieldManager;
      auto s = mgr_->client().Create(services_->resource(), req.ns, objs.service, opts);
      if (!s.ok() && s.status().code() != StatusCode::kAlreadyExists) return s.status();
      auto d = mgr_->client().Create(deployments_->resource(), req.ns, objs.deployment, opts);
      if (!d.ok() && d.status().code() != StatusCode::kAlreadyExists) return d.status();
      if (d.ok()) {
        events_->Event(isvc, "Normal", "RevisionCreated", "Created revision " + rev);
        revs.push_back({std::make_shared<const Json>(*d), next, rev});
      } else {
        return Result{std::chrono::milliseconds(200)};  // the cache has not seen it yet
      }
    }

    // Per revision: ready (once), or failed before it ever was.
    Rollout rollout;
    if (StringField(old_status, "deploymentMode") == "Knative") {  // else not revisions
      const Json& old_pred = Field(Field(old_status, "components"), "predictor");
      rollout.latest_rolledout = StringField(old_pred, "latestRolledoutRevision");
      rollout.previous_rolledout = StringField(old_pred, "previousRolledoutRevision");
    }
    rollout.latest_created = revs.back().name;
    Json latest_failure;
    for (const Rev& r : revs) {
      bool ready = annotation(r.dep, kRevisionReadyAnnotation) == "true";
      if (!ready && IntField(Field(*r.dep, "status"), "availableReplicas") > 0) {
        Json patch = {{"metadata", {{"annotations", {{kRevisionReadyAnnotation, "true"}}}}}};
        client::PatchOptions po;
        po.field_manager = kFieldManager;
        auto p = mgr_->client().Patch(deployments_->resource(), req.ns, r.name, DumpJson(patch), po);
        if (!p.ok() && p.status().code() != StatusCode::kNotFound) return p.status();
        ready = p.ok();
        if (ready) events_->Event(isvc, "Normal", "RevisionReady", "Revision " + r.name + " is ready");
      }
      if (ready) rollout.latest_ready = r.name;
    }
    const Rev& latest = revs.back();
    bool latest_ready = rollout.latest_ready == latest.name;
    if (!latest_ready) {
      for (const client::ObjectPtr& p : pods_->List(req.ns)) {
        if (StringField(Field(Field(*p, "metadata"), "labels"), kRevisionLabel) != latest.name) {
          continue;
        }
        if (PodFailure(*p, &latest_failure)) break;
      }
      const Json* progressing = FindCondition(Field(Field(*latest.dep, "status"), "conditions"),
                                              "Progressing");
      if (latest_failure.is_null() && progressing &&
          StringField(*progressing, "status") == "False") {
        latest_failure = {{"reason", StringField(*progressing, "reason")},
                          {"message", StringField(*progressing, "message")}};
      }
    }

    // The split, settled: a roll back changes latestRolledout, which changes the split once.
    const Json& canary_field = Field(Field(Field(isvc, "spec"), "predictor"), "canaryTrafficPercent");
    std::optional<int> canary;
    if (canary_field.is_number_integer()) canary = canary_field.get<int>();
    bool tags = StringField(Field(Field(isvc, "metadata"), "annotations"),
                            "serving.kserve.io/enable-tag-routing") == "true";
    std::vector<TrafficTarget> traffic = ComputeTraffic(canary, tags, rollout);
    for (int i = 0; i < 2 && PropagateRollout(traffic, &rollout); ++i) {
      traffic = ComputeTraffic(canary, tags, rollout);
    }

    // Conditions, as the Knative Service's propagate into the InferenceService.
    Condition config{"PredictorConfigurationReady", "Unknown", "RevisionMissing",
                     "Revision " + latest.name + " is not ready yet"};
    if (latest_ready) {
      config = {"PredictorConfigurationReady", "True", "", ""};
    } else if (!latest_failure.is_null()) {
      config = {"PredictorConfigurationReady", "False", "RevisionFailed",
                "Revision " + latest.name + " failed: " + StringField(latest_failure, "message")};
    }
    Condition route = traffic.empty()
                          ? Condition{"PredictorRouteReady", "Unknown", "RevisionMissing",
                                      "no revision is ready to take traffic"}
                          : Condition{"PredictorRouteReady", "True", "", ""};
    Condition pred{"PredictorReady", config.status, config.reason, config.message};
    if (pred.status == "True" && route.status != "True") {
      pred = {"PredictorReady", route.status, route.reason, route.message};
    }
    Condition ingress = traffic.empty()
                            ? Condition{"IngressReady", "Unknown", "RevisionMissing",
                                        "no revision is ready to take traffic"}
                            : Condition{"IngressReady", "True", "", ""};
    for (const Condition& c : {config, route, pred, ingress}) SetCondition(&conds, c, now);
    SetCondition(&conds, {"LatestDeploymentReady", config.status, config.reason, config.message},
                 now);
    SetCondition(&conds, {"RoutesReady", route.status, route.reason, route.message}, now);
    Condition ready{"Ready", "True", "", ""};
    for (const Condition* c : {&pred, &ingress}) {
      if (c->status == "False" || (c->status == "Unknown" && ready.status == "True")) {
        ready = {"Ready", c->status, c->reason, c->message};
        if (c->status == "False") break;
      }
    }
    if (SetCondition(&conds, ready, now) && ready.status == "False") {
      events.push_back({"Warning", ready.reason, ready.message});
    }

    Json& comp = status["components"]["predictor"];
    comp = Json::object();
    comp["latestCreatedRevision"] = rollout.latest_created;
    if (!rollout.latest_ready.empty()) comp["latestReadyRevision"] = rollout.latest_ready;
    if (!rollout.latest_rolledout.empty()) {
      comp["latestRolledoutRevision"] = rollout.latest_rolledout;
    }
    if (!rollout.previous_rolledout.empty()) {
      comp["previousRolledoutRevision"] = rollout.previous_rolledout;
    }
    const std::string domain = IngressDomain(/*knative=*/true);
    comp["traffic"] = TrafficJson(traffic, component, req.ns, domain);
    if (!traffic.empty()) {
      comp["url"] = "http://" + component + "." + req.ns + "." + domain;
      comp["address"] = {{"url", "http://" + component + "." + req.ns + ".svc.cluster.local"}};
      status["url"] = "http://" + req.name + "." + req.ns + "." + domain;
      status["address"] = {{"url", "http://" + req.name + "." + req.ns + ".svc.cluster.local"}};
    }
    UpdateModelStatus(req.ns, req.name, latest.name, ready.status == "True" && latest_ready,
                      &status, now);
    if (!latest_failure.is_null()) {
      Json& info = status["modelStatus"]["lastFailureInfo"];
      if (!info.is_object()) {
        Json f = latest_failure;
        f["modelRevisionName"] = latest.name;
        KeepFailureTime(status["modelStatus"], &f, now);
        info = std::move(f);
        status["modelStatus"]["transitionStatus"] = "BlockedByFailedLoad";
      } else {
        info["modelRevisionName"] = latest.name;
      }
    }

    // Revisions nobody routes to and that are not among the named ones: keep the newest
    // kRetainedRevisions, delete older ones (Knative's revision GC, simplified).
    std::vector<const Rev*> idle;
    for (const Rev& r : revs) {
      bool named = r.name == rollout.latest_created || r.name == rollout.latest_ready ||
                   r.name == rollout.latest_rolledout || r.name == rollout.previous_rolledout;
      for (const TrafficTarget& t : traffic) named = named || t.revision == r.name;
      if (!named) idle.push_back(&r);
    }
    for (size_t i = 0; i + kRetainedRevisions < idle.size(); ++i) {
      client::DeleteOptions del;
      del.propagation_policy = "Background";
      auto d = mgr_->client().Delete(deployments_->resource(), req.ns, idle[i]->name, del);
      if (!d.ok() && d.status().code() != StatusCode::kNotFound) return d.status();
      auto s = mgr_->client().Delete(services_->resource(), req.ns, idle[i]->name, del);
      if (!s.ok() && s.status().code() != StatusCode::kNotFound) return s.status();
    }
    return WriteStatus(req, isvc, old_status, std::move(status), events);
  }

  StatusOr<Result> WriteStatus(const Request& req, const Json& isvc, const Json& old_status,
                               Json status, const std::vector<PendingEvent>& events) {
    if (status == old_status) return Result{};
    Json updated = isvc;
    updated["status"] = std::move(status);
    client::WriteOptions opts;
    opts.subresource = "status";
    opts.field_manager = kFieldManager;
    auto r = mgr_->client().Replace(isvcs_->resource(), req.ns, req.name, updated, opts);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kNotFound) return Result{};
      return r.status();
    }
    for (const PendingEvent& e : events) events_->Event(isvc, e.type, e.reason, e.message);
    return Result{};
  }

  Manager* mgr_;
  client::Informer* isvcs_;
  client::Informer* deployments_;
  client::Informer* services_;
  client::Informer* runtimes_;
  client::Informer* cluster_runtimes_;
  client::Informer* pods_;
  client::Informer* service_accounts_;
  client::Informer* secrets_;
  client::Informer* configmaps_;
  client::Informer* hpas_;
  EventRecorder* events_;
};

}  // namespace

Status Register(Manager* mgr) {
  auto& inf = mgr->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * isvcs,
                         inf.ForKind(kIsvcApiVersion, "InferenceService"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * deployments, inf.ForKind("apps/v1", "Deployment"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * services, inf.ForKind("v1", "Service"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * runtimes,
                         inf.ForKind(kRuntimeApiVersion, "ServingRuntime"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * cluster_runtimes,
                         inf.ForKind(kRuntimeApiVersion, "ClusterServingRuntime"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, inf.ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * service_accounts,
                         inf.ForKind("v1", "ServiceAccount"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * secrets, inf.ForKind("v1", "Secret"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * configmaps, inf.ForKind("v1", "ConfigMap"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * hpas,
                         inf.ForKind("autoscaling/v2", "HorizontalPodAutoscaler"));
  Controller* c =
      mgr->NewController("inferenceservice",
                         std::make_unique<IsvcReconciler>(mgr, isvcs, deployments, services,
                                                          runtimes, cluster_runtimes, pods,
                                                          service_accounts, secrets, configmaps,
                                                          hpas),
                         2);
  SKIFF_RETURN_IF_ERROR(c->For(kIsvcApiVersion, "InferenceService"));
  SKIFF_RETURN_IF_ERROR(c->Owns("apps/v1", "Deployment", "InferenceService"));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Service", "InferenceService"));
  SKIFF_RETURN_IF_ERROR(c->Owns("autoscaling/v2", "HorizontalPodAutoscaler", "InferenceService"));
  // Pod states feed modelStatus (storage-initializer progress and failures).
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Pod", [](const Json& pod) {
    std::vector<Request> out;
    std::string isvc = StringField(Field(Field(pod, "metadata"), "labels"), kIsvcLabel);
    if (!isvc.empty()) out.push_back(Request{MetaString(pod, "namespace"), isvc});
    return out;
  }));
  // A runtime appearing, changing or going away can change every selection in its scope.
  auto all_in = [isvcs](const std::string& ns) {
    std::vector<Request> out;
    for (const client::ObjectPtr& o : isvcs->List(ns)) {
      out.push_back(Request{MetaString(*o, "namespace"), MetaString(*o, "name")});
    }
    return out;
  };
  SKIFF_RETURN_IF_ERROR(c->Watches(kRuntimeApiVersion, "ServingRuntime", [all_in](const Json& r) {
    return all_in(MetaString(r, "namespace"));
  }));
  SKIFF_RETURN_IF_ERROR(c->Watches(kRuntimeApiVersion, "ClusterServingRuntime",
                                   [all_in](const Json&) { return all_in(""); }));
  // The ingress domain's ConfigMaps change every URL.
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "ConfigMap", [all_in](const Json& cm) {
    std::string ns = MetaString(cm, "namespace"), name = MetaString(cm, "name");
    if ((ns == "kserve" && name == "inferenceservice-config") ||
        (ns == "knative-serving" && name == "config-domain")) {
      return all_in("");
    }
    return std::vector<Request>{};
  }));
  // Storage credentials come from the namespace's service accounts and Secrets.
  for (const char* kind : {"ServiceAccount", "Secret"}) {
    SKIFF_RETURN_IF_ERROR(c->Watches("v1", kind, [all_in](const Json& o) {
      return all_in(MetaString(o, "namespace"));
    }));
  }

  return RegisterBuiltinObjects(mgr, "servingruntimes", kRuntimeApiVersion, "ClusterServingRuntime", BuiltinRuntimes());
}

}  // namespace skiff::controllers::inferenceservice
