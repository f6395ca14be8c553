// Plain pods and pod groups under Kueue: a Workload per single pod or per complete group, the
// kueue.x-k8s.io/admission gate lifted (with the flavors' nodeSelector/tolerations) on
// admission, the pods deleted on eviction (pods cannot be suspended), Finished from pod phases.
#include "controllers/kueue/pod_groups.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/client.h"
#include "controllers/kueue/config.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/runtime/pods.h"

namespace skiff::controllers::kueue {
namespace {

constexpr char kWorkloadApiVersion[] = "kueue.x-k8s.io/v1beta2";
constexpr char kSinglePrefix[] = "pod/";

const Json& Labels(const Json& pod) { return Field(Field(pod, "metadata"), "labels"); }

std::string Phase(const Json& pod) { return StringField(Field(pod, "status"), "phase"); }

Json WithoutKueueLabels(const Json& labels) {
  Json out = Json::object();
  for (auto it = labels.begin(); labels.is_object() && it != labels.end(); ++it) {
    if (it.key().rfind("kueue.x-k8s.io/", 0) != 0) out[it.key()] = *it;
  }
  return out;
}

Json PodSetTemplate(const Json& pod) {
  Json spec = Field(pod, "spec").is_object() ? pod["spec"] : Json::object();
  spec.erase("schedulingGates");
  spec.erase("nodeName");
  Json meta = Json::object();
  Json labels = WithoutKueueLabels(Labels(pod));
  if (!labels.empty()) meta["labels"] = std::move(labels);
  return {{"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

}  // namespace

const JobKind& PodKind() {
  static const JobKind kKind{"v1", "Pod", "pod"};
  return kKind;
}

std::string PodGroupName(const Json& pod) { return StringField(Labels(pod), kPodGroupNameLabel); }

std::string PodGroupKey(const Json& pod) {
  if (StringField(Labels(pod), kQueueLabel).empty() || GetControllerOf(pod)) return "";
  std::string group = PodGroupName(pod);
  return group.empty() ? kSinglePrefix + MetaString(pod, "name") : group;
}

std::string PodRoleHash(const Json& pod) {
  const Json& spec = Field(pod, "spec");
  Json shape = Json::object();
  for (const char* list : {"initContainers", "containers"}) {
    Json cs = Json::array();
    for (const Json& c : Field(spec, list)) {
      cs.push_back({{"image", Field(c, "image")},
                    {"resources", Field(c, "resources")},
                    {"ports", Field(c, "ports")}});
    }
    shape[list] = std::move(cs);
  }
  for (const char* f : {"affinity", "runtimeClassName", "priorityClassName", "priority",
                        "preemptionPolicy", "topologySpreadConstraints", "overhead",
                        "resourceClaims"}) {
    shape[f] = Field(spec, f);
  }
  shape["labels"] = WithoutKueueLabels(Labels(pod));
  std::string input = shape.dump();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) out += std::string{kHex[md[i] >> 4], kHex[md[i] & 15]};
  return out;
}

StatusOr<Json> PodGroupPodSets(const std::vector<Json>& pods, bool single) {
  if (pods.empty()) return InvalidArgument("no pods");
  if (single) {
    return Json::array({{{"name", "main"}, {"count", 1}, {"template", PodSetTemplate(pods[0])}}});
  }
  std::vector<std::string> order;
  std::map<std::string, Json> sets;
  for (const Json& p : pods) {
    std::string role = PodRoleHash(p);
    auto it = sets.find(role);
    if (it == sets.end()) {
      order.push_back(role);
      sets[role] = {{"name", role}, {"count", 1}, {"template", PodSetTemplate(p)}};
    } else {
      it->second["count"] = it->second["count"].get<int64_t>() + 1;
    }
  }
  if (order.size() > 8) {
    return InvalidArgument("the pod group has " + std::to_string(order.size()) +
                           " different pod shapes; at most 8 are supported");
  }
  Json out = Json::array();
  for (const std::string& r : order) out.push_back(std::move(sets[r]));
  return out;
}

StatusOr<int64_t> PodGroupTotalCount(const std::vector<Json>& pods) {
  std::optional<std::string> seen;
  for (const Json& p : pods) {
    std::string v = StringField(Field(Field(p, "metadata"), "annotations"),
                                kPodGroupTotalCountAnnotation);
    if (seen && *seen != v) {
      return InvalidArgument("pods of the group have different " +
                             std::string(kPodGroupTotalCountAnnotation) + " values: \"" + *seen +
                             "\" and \"" + v + "\"");
    }
    seen = v;
  }
  std::string v = seen.value_or("");
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(v) < 1) {
    return InvalidArgument("the annotation " + std::string(kPodGroupTotalCountAnnotation) +
                           " must be a positive integer, got \"" + v + "\"");
  }
  return std::stoll(v);
}

std::optional<Finished> PodGroupFinished(const std::vector<Json>& pods, int64_t total,
                                         bool single) {
  int64_t succeeded = 0;
  bool active = false, unretriable_failure = false;
  for (const Json& p : pods) {
    std::string phase = Phase(p);
    if (phase == "Succeeded") {
      ++succeeded;
    } else if (phase == "Failed") {
      if (single || StringField(Field(Field(p, "metadata"), "annotations"),
                                kRetriableInGroupAnnotation) == "false") {
        unretriable_failure = true;
      }
    } else if (!IsPodTerminating(p)) {
      active = true;
    }
  }
  if (succeeded >= total) {
    return Finished{true, "Succeeded",
                    single ? "Pod succeeded"
                           : "Pods succeeded: " + std::to_string(succeeded) + "/" +
                                 std::to_string(total)};
  }
  if (unretriable_failure && !active) {
    return Finished{false, "Failed", single ? "Pod failed" : "Pods failed in the group"};
  }
  return std::nullopt;
}

bool IsGatedByKueue(const Json& pod) {
  for (const Json& g : Field(Field(pod, "spec"), "schedulingGates")) {
    if (StringField(g, "name") == kAdmissionGate) return true;
  }
  return false;
}

Json UngatedPod(const Json& pod, const PodSetStart& start) {
  Json out = pod;
  Json& spec = out["spec"];
  if (spec.contains("schedulingGates") && spec["schedulingGates"].is_array()) {
    Json& gates = spec["schedulingGates"];
    for (auto it = gates.begin(); it != gates.end();) {
      it = StringField(*it, "name") == kAdmissionGate ? gates.erase(it) : it + 1;
    }
    if (gates.empty()) spec.erase("schedulingGates");
  }
  if (!start.node_selector.empty()) {
    Json& ns = spec["nodeSelector"];
    if (!ns.is_object()) ns = Json::object();
    for (auto it = start.node_selector.begin(); it != start.node_selector.end(); ++it) {
      ns[it.key()] = *it;
    }
  }
  if (!start.tolerations.empty()) {
    Json& tol = spec["tolerations"];
    if (!tol.is_array()) tol = Json::array();
    for (const Json& t : start.tolerations) tol.push_back(t);
  }
  return out;
}

namespace {

const Json& Conditions(const Json& wl) { return Field(Field(wl, "status"), "conditions"); }

class PodGroupReconciler final : public Reconciler {
 public:
  PodGroupReconciler(Manager* mgr, client::Informer* pods, client::Informer* workloads,
                     client::Informer* flavors, client::Informer* priorities)
      : mgr_(mgr),
        pods_(pods),
        workloads_(workloads),
        flavors_(flavors),
        priorities_(priorities),
        events_(&mgr->EventsFor("kueue-admission")) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    bool single = req.name.rfind(kSinglePrefix, 0) == 0;
    std::vector<Json> pods;
    for (const client::ObjectPtr& p : pods_->List(req.ns)) {
      Json pod = *p;
      if (PodGroupKey(pod) != req.name) continue;
      pod["apiVersion"] = "v1";
      pod["kind"] = "Pod";
      pods.push_back(std::move(pod));
    }
    std::sort(pods.begin(), pods.end(), [](const Json& a, const Json& b) {
      std::string ta = MetaString(a, "creationTimestamp"), tb = MetaString(b, "creationTimestamp");
      return ta != tb ? ta < tb : MetaString(a, "name") < MetaString(b, "name");
    });
    if (pods.empty()) return Result{};
    int64_t total = 1;
    if (!single) {
      StatusOr<int64_t> t = PodGroupTotalCount(pods);
      if (!t.ok()) {
        events_->Event(pods[0], "Warning", "ErrWorkloadCompose", t.status().message());
        return Result{};
      }
      total = *t;
    }
    std::string wl_name =
        single ? WorkloadName(PodKind(), MetaString(pods[0], "name"), MetaString(pods[0], "uid"))
               : req.name;
    client::ObjectPtr cached = workloads_->Get(req.ns, wl_name);
    std::optional<Finished> finished = PodGroupFinished(pods, total, single);
    if (!cached) {
      if (finished) return Result{};
      return CreateWorkload(req.ns, wl_name, pods, total, single);
    }
    Json w = *cached;
    w["apiVersion"] = kWorkloadApiVersion;
    w["kind"] = "Workload";
    const Json& conds = Conditions(w);
    if (IsConditionTrue(conds, "Finished")) return Result{};
    if (finished) {
      Json status = Field(w, "status").is_object() ? w["status"] : Json::object();
      SetCondition(&status["conditions"],
                   {"Finished", "True", finished->reason, finished->message}, NowRfc3339());
      return WriteStatus(w, std::move(status));
    }
    bool admitted = IsConditionTrue(conds, "Admitted") &&
                    Field(Field(w, "status"), "admission").is_object();
    bool evicted = IsConditionTrue(conds, "Evicted");
    if (admitted && !evicted) {
      SKIFF_RETURN_IF_ERROR(Ungate(w, pods));
      return SyncPodsReady(w, pods, total);
    }
    if (evicted && Field(Field(w, "status"), "admission").is_object()) return Stop(w, pods);
    return Result{};
  }

 private:
  StatusOr<Result> CreateWorkload(const std::string& ns, const std::string& name,
                                  const std::vector<Json>& all, int64_t total, bool single) {
    std::vector<Json> pods;
    for (const Json& p : all) {
      if (Phase(p) != "Failed" && !IsPodTerminating(p)) pods.push_back(p);
    }
    // A group is admitted as a whole: wait until every pod it announces exists.
    if (pods.empty() || static_cast<int64_t>(pods.size()) < total) return Result{};
    if (static_cast<int64_t>(pods.size()) > total) pods.resize(total);
    StatusOr<Json> podsets = PodGroupPodSets(pods, single);
    if (!podsets.ok()) {
      events_->Event(pods[0], "Warning", "ErrWorkloadCompose", podsets.status().message());
      return Result{};
    }
    const Json& first = pods[0];
    Json spec = {{"queueName", StringField(Labels(first), kQueueLabel)},
                 {"podSets", std::move(*podsets)},
                 {"active", true}};
    std::string pc = StringField(Labels(first), kPriorityClassLabel);
    if (!pc.empty()) {
      spec["priorityClassRef"] = {
          {"group", "kueue.x-k8s.io"}, {"kind", "WorkloadPriorityClass"}, {"name", pc}};
      if (client::ObjectPtr p = priorities_->Get("", pc)) {
        spec["priority"] = Field(*p, "value").is_number_integer() ? (*p)["value"] : Json(0);
      }
    }
    // A single pod controls its Workload; a group's Workload is owned by all its pods (not as
    // controller, as upstream), so it goes away with the last of them.
    Json owners = Json::array();
    if (single) {
      owners.push_back(ControllerRef(first));
    } else {
      for (const Json& p : pods) {
        owners.push_back({{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"name", MetaString(p, "name")},
                          {"uid", MetaString(p, "uid")}});
      }
    }
    Json meta = {{"name", name}, {"namespace", ns}, {"ownerReferences", std::move(owners)}};
    if (single) meta["labels"] = {{kJobUidLabel, MetaString(first, "uid")}};
    Json wl = {{"apiVersion", kWorkloadApiVersion},
               {"kind", "Workload"},
               {"metadata", std::move(meta)},
               {"spec", std::move(spec)}};
    auto r = mgr_->client().Create(workloads_->resource(), ns, wl);
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
    if (r.ok()) {
      for (const Json& p : pods) {
        events_->Event(p, "Normal", "CreatedWorkload", "Created Workload: " + ns + "/" + name);
      }
    }
    return Result{};
  }

  // The admission's flavors per pod set (shared with jobs), by pod set name.
  StatusOr<std::map<std::string, PodSetStart>> Starts(const Json& admission) {
    SKIFF_ASSIGN_OR_RETURN(std::vector<PodSetStart> starts,
                           PodSetStartsOf(admission, FlavorLookup(flavors_)));
    std::map<std::string, PodSetStart> out;
    for (PodSetStart& s : starts) {
      std::string name = s.name;
      out[name] = std::move(s);
    }
    return out;
  }

  Status Ungate(const Json& wl, const std::vector<Json>& pods) {
    const Json& admission = Field(Field(wl, "status"), "admission");
    SKIFF_ASSIGN_OR_RETURN(auto starts, Starts(admission));
    for (const Json& p : pods) {
      if (!IsGatedByKueue(p) || IsPodTerminating(p)) continue;
      // A single pod's (and a one-role group's) pod set is the only one; otherwise by role.
      PodSetStart start;
      if (starts.size() == 1) {
        start = starts.begin()->second;
      } else if (auto it = starts.find(PodRoleHash(p)); it != starts.end()) {
        start = it->second;
      } else {
        continue;  // a pod of a role the Workload does not have: stays gated
      }
      Json updated = UngatedPod(p, start);
      client::WriteOptions o;
      o.field_manager = "kueue";
      auto r = mgr_->client().Replace(pods_->resource(), MetaString(p, "namespace"),
                                      MetaString(p, "name"), updated, o);
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kNotFound) continue;
        return r.status();
      }
      events_->Event(p, "Normal", "Started",
                     "Admitted by clusterQueue " + StringField(admission, "clusterQueue"));
    }
    return Status::Ok();
  }

  StatusOr<Result> SyncPodsReady(const Json& wl, const std::vector<Json>& pods, int64_t total) {
    int64_t ready = 0;
    for (const Json& p : pods) {
      if (Phase(p) == "Succeeded" || (!IsPodTerminating(p) && IsPodReady(p))) ++ready;
    }
    bool now_ready = ready >= total;
    const Json* c = FindCondition(Conditions(wl), "PodsReady");
    if (c && now_ready == (StringField(*c, "status") == "True")) return Result{};
    Json status = wl["status"];
    SetCondition(&status["conditions"],
                 now_ready ? Condition{"PodsReady", "True", "PodsReady",
                                       "All pods reached readiness"}
                           : Condition{"PodsReady", "False", "WaitForStart",
                                       "Not all pods are ready or succeeded"},
                 NowRfc3339());
    return WriteStatus(wl, std::move(status));
  }

  // Evicted: pods cannot be suspended, so the running ones are deleted (as upstream); then the
  // quota is released and the Workload requeued. Recreated pods join it again.
  StatusOr<Result> Stop(const Json& wl, const std::vector<Json>& pods) {
    const Json* e = FindCondition(Conditions(wl), "Evicted");
    std::string msg = e ? StringField(*e, "message") : "Evicted";
    for (const Json& p : pods) {
      if (IsPodTerminal(p) || IsPodTerminating(p)) continue;
      auto r = mgr_->client().Delete(pods_->resource(), MetaString(p, "namespace"),
                                     MetaString(p, "name"));
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
      events_->Event(p, "Normal", "Stopped", msg);
    }
    Json status = wl["status"];
    status.erase("admission");
    std::string now = NowRfc3339();
    std::string reason = e ? StringField(*e, "reason") : "Evicted";
    SetCondition(&status["conditions"],
                 {"QuotaReserved", "False", "Pending", "The workload is pending after eviction"},
                 now);
    SetCondition(&status["conditions"],
                 {"Admitted", "False", "NoReservation", "The workload has no reservation"}, now);
    SetCondition(&status["conditions"],
                 {"Requeued", "True", reason, "The workload was requeued after eviction"}, now);
    if (FindCondition(status["conditions"], "PodsReady")) {
      SetCondition(&status["conditions"],
                   {"PodsReady", "False", "Evicted", "The workload was evicted"}, now);
    }
    return WriteStatus(wl, std::move(status));
  }

  StatusOr<Result> WriteStatus(const Json& wl, Json status) {
    Json updated = wl;
    updated["status"] = std::move(status);
    client::WriteOptions o;
    o.subresource = "status";
    o.field_manager = "kueue";
    auto r = mgr_->client().Replace(workloads_->resource(), MetaString(wl, "namespace"),
                                    MetaString(wl, "name"), updated, o);
    if (!r.ok()) return r.status();
    return Result{};
  }

  Manager* mgr_;
  client::Informer* pods_;
  client::Informer* workloads_;
  client::Informer* flavors_;
  client::Informer* priorities_;
  EventRecorder* events_;
};

}  // namespace

Status RegisterPodGroups(Manager* mgr, const KueueConfig& config) {
  (void)config;  // waitForPodsReady timeouts are not applied to pod groups yet
  auto& inf = mgr->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, inf.ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * workloads,
                         inf.ForKind(kWorkloadApiVersion, "Workload"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * flavors,
                         inf.ForKind("kueue.x-k8s.io/v1beta2", "ResourceFlavor"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * priorities,
                         inf.ForKind("kueue.x-k8s.io/v1beta2", "WorkloadPriorityClass"));
  Controller* c = mgr->NewController(
      "kueue-pod", std::make_unique<PodGroupReconciler>(mgr, pods, workloads, flavors, priorities),
      1);
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Pod", [](const Json& pod) {
    std::string key = PodGroupKey(pod);
    if (key.empty()) return std::vector<Request>{};
    return std::vector<Request>{{MetaString(pod, "namespace"), key}};
  }));
  // A Workload's owners are its pods: their key is the Workload's.
  SKIFF_RETURN_IF_ERROR(c->Watches(kWorkloadApiVersion, "Workload", [pods](const Json& wl) {
    std::vector<Request> out;
    std::string ns = MetaString(wl, "namespace");
    for (const Json& ref : Field(Field(wl, "metadata"), "ownerReferences")) {
      if (StringField(ref, "kind") != "Pod" || StringField(ref, "apiVersion") != "v1") continue;
      client::ObjectPtr p = pods->Get(ns, StringField(ref, "name"));
      std::string key = p ? PodGroupKey(*p) : "";
      if (!key.empty()) {
        out.push_back({ns, key});
        break;
      }
    }
    return out;
  }));
  return Status::Ok();
}

}  // namespace skiff::controllers::kueue
