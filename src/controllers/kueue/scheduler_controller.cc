// The Kueue scheduler controller: keeps the core's model in step with the informers (flavors,
// cohorts, ClusterQueues, LocalQueues, Workloads), runs a cycle whenever something changed, and
// writes the decisions back: Workload admissions and evictions, pending reasons, ClusterQueue
// and LocalQueue status, Events.
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "client/client.h"
#include "controllers/kueue/config.h"
#include "controllers/kueue/kueue_controller.h"
#include "controllers/kueue/model.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"
#include "kueue/scheduler.h"

namespace skiff::controllers::kueue {
namespace {

constexpr char kV1beta2[] = "kueue.x-k8s.io/v1beta2";
constexpr char kCycleKey[] = "cycle";

std::string Key(const Json& obj) { return MetaString(obj, "namespace") + "/" + MetaString(obj, "name"); }

class SchedulerReconciler final : public Reconciler {
 public:
  SchedulerReconciler(Manager* mgr, const KueueConfig& config)
      : mgr_(mgr),
        events_(&mgr->EventsFor("kueue-admission")),
        sched_(core::SchedulerOptions{.fair_sharing = config.fair_sharing}) {}

  Status Init() {
    auto& inf = mgr_->informers();
    SKIFF_ASSIGN_OR_RETURN(workloads_, inf.ForKind(kV1beta2, "Workload"));
    SKIFF_ASSIGN_OR_RETURN(cqs_, inf.ForKind(kV1beta2, "ClusterQueue"));
    SKIFF_ASSIGN_OR_RETURN(lqs_, inf.ForKind(kV1beta2, "LocalQueue"));
    SKIFF_ASSIGN_OR_RETURN(flavors_, inf.ForKind(kV1beta2, "ResourceFlavor"));
    SKIFF_ASSIGN_OR_RETURN(cohorts_, inf.ForKind(kV1beta2, "Cohort"));
    return Status::Ok();
  }

  void set_controller(Controller* c) { controller_ = c; }

  // Informer handlers: mirror the object into the core's model, then ask for a cycle.
  void Wire() {
    auto kick = [this] { controller_->Enqueue(Request{"", kCycleKey}); };
    flavors_->AddEventHandler(Handler(
        [this](const Json& o) { sched_.UpsertFlavor(ParseFlavor(o)); },
        [this](const Json& o) { sched_.DeleteFlavor(MetaString(o, "name")); }, kick));
    cohorts_->AddEventHandler(Handler(
        [this](const Json& o) { sched_.UpsertCohort(ParseCohort(o)); },
        [this](const Json& o) { sched_.DeleteCohort(MetaString(o, "name")); }, kick));
    cqs_->AddEventHandler(Handler(
        [this](const Json& o) {
          core::ClusterQueue q = ParseClusterQueue(o);
          cq_selector_null_[q.name] = Field(Field(o, "spec"), "namespaceSelector").is_null();
          sched_.UpsertClusterQueue(std::move(q));
          ReresolveAll();
        },
        [this](const Json& o) {
          sched_.DeleteClusterQueue(MetaString(o, "name"));
          ReresolveAll();
        },
        kick));
    lqs_->AddEventHandler(Handler(
        [this](const Json& o) {
          lq_to_cq_[Key(o)] = StringField(Field(o, "spec"), "clusterQueue");
          ReresolveAll();
        },
        [this](const Json& o) {
          lq_to_cq_.erase(Key(o));
          ReresolveAll();
        },
        kick));
    workloads_->AddEventHandler(Handler([this](const Json& o) { UpsertWorkload(o); },
                                        [this](const Json& o) { sched_.DeleteWorkload(Key(o)); },
                                        kick));
  }

  StatusOr<Result> Reconcile(const Request&) override {
    core::CycleResult r;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r = sched_.Schedule(std::chrono::system_clock::now());
    }
    std::string now = NowRfc3339();
    for (const core::AdmissionDecision& a : r.admissions) ApplyAdmission(a, now);
    for (const core::PreemptionDecision& p : r.preemptions) ApplyPreemption(p, now);
    std::map<std::string, std::array<int64_t, 3>> lq_counts;  // pending, reserving, admitted
    for (const core::PendingWorkload& p : r.pending) {
      client::ObjectPtr wl = Cached(p.workload_key);
      if (!wl) continue;
      lq_counts[MetaString(*wl, "namespace") + "/" + StringField(Field(*wl, "spec"), "queueName")][0]++;
      if (const core::PendingReason* why = r.ReasonOf(p)) ApplyPending(*wl, p, *why, now);
    }
    for (const client::ObjectPtr& wl : workloads_->List()) {
      const Json& st = Field(*wl, "status");
      if (!Field(st, "admission").is_object() || IsConditionTrue(Field(st, "conditions"), "Finished")) continue;
      auto& c = lq_counts[MetaString(*wl, "namespace") + "/" + StringField(Field(*wl, "spec"), "queueName")];
      c[1]++;
      c[2]++;
    }
    for (const core::AdmissionDecision& a : r.admissions) {
      if (client::ObjectPtr wl = Cached(a.workload_key)) {
        auto& c = lq_counts[MetaString(*wl, "namespace") + "/" + StringField(Field(*wl, "spec"), "queueName")];
        c[1]++;
        c[2]++;
      }
    }
    for (const core::ClusterQueueStatus& s : r.cluster_queues) WriteClusterQueueStatus(s, now);
    WriteLocalQueueStatuses(lq_counts, now);
    Result res;
    if (r.next_requeue_at) {
      auto wait = *r.next_requeue_at - std::chrono::system_clock::now();
      res.requeue_after = std::max(std::chrono::milliseconds(1),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(wait));
    }
    return res;
  }

 private:
  client::EventHandler Handler(std::function<void(const Json&)> upsert,
                               std::function<void(const Json&)> remove,
                               std::function<void()> kick) {
    client::EventHandler h;
    h.on_add = [this, upsert, kick](const client::ObjectPtr& o) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        upsert(*o);
      }
      kick();
    };
    h.on_update = [this, upsert, kick](const client::ObjectPtr&, const client::ObjectPtr& o) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        upsert(*o);
      }
      kick();
    };
    h.on_delete = [this, remove, kick](const client::ObjectPtr& o) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        remove(*o);
      }
      kick();
    };
    return h;
  }

  // Caller holds mu_.
  std::string ResolveClusterQueue(const Json& wl) {
    auto it = lq_to_cq_.find(MetaString(wl, "namespace") + "/" +
                             StringField(Field(wl, "spec"), "queueName"));
    if (it == lq_to_cq_.end()) return "";
    auto sel = cq_selector_null_.find(it->second);
    // A nil namespaceSelector admits no namespace (upstream); an unknown CQ resolves as named.
    if (sel != cq_selector_null_.end() && sel->second) return "";
    return it->second;
  }

  // Caller holds mu_.
  void UpsertWorkload(const Json& wl) {
    if (IsConditionTrue(Field(Field(wl, "status"), "conditions"), "Finished") ||
        Field(Field(wl, "metadata"), "deletionTimestamp").is_string()) {
      sched_.DeleteWorkload(Key(wl));
      return;
    }
    sched_.UpsertWorkload(ParseWorkload(wl, ResolveClusterQueue(wl)));
  }

  // Caller holds mu_. A LocalQueue or ClusterQueue change can move workloads between queues.
  void ReresolveAll() {
    if (!workloads_->HasSynced()) return;
    for (const client::ObjectPtr& wl : workloads_->List()) UpsertWorkload(*wl);
  }

  client::ObjectPtr Cached(const std::string& key) {
    size_t slash = key.find('/');
    return workloads_->Get(key.substr(0, slash), key.substr(slash + 1));
  }

  Status WriteWorkloadStatus(const Json& wl, Json status) {
    Json updated = wl;
    updated["apiVersion"] = kV1beta2;
    updated["kind"] = "Workload";
    updated["status"] = std::move(status);
    client::WriteOptions o;
    o.subresource = "status";
    o.field_manager = "kueue-admission";
    auto r = mgr_->client().Replace(workloads_->resource(), MetaString(wl, "namespace"),
                                    MetaString(wl, "name"), updated, o);
    return r.ok() ? Status::Ok() : r.status();
  }

  void ApplyAdmission(const core::AdmissionDecision& a, const std::string& now) {
    client::ObjectPtr wl = Cached(a.workload_key);
    Status s = wl ? Status::Ok() : NotFound(a.workload_key);
    if (wl) {
      Json status = Field(*wl, "status").is_object() ? (*wl)["status"] : Json::object();
      status["admission"] = AdmissionJson(a.admission);
      Json& conds = status["conditions"];
      std::string cq = a.admission.cluster_queue;
      SetCondition(&conds, {"QuotaReserved", "True", "QuotaReserved",
                            "Quota reserved in ClusterQueue " + cq}, now);
      SetCondition(&conds, {"Admitted", "True", "Admitted",
                            "The workload is admitted"}, now);
      if (FindCondition(conds, "Evicted")) {
        SetCondition(&conds, {"Evicted", "False", "QuotaReserved", "Previously: evicted"}, now);
      }
      if (FindCondition(conds, "Preempted")) {
        SetCondition(&conds, {"Preempted", "False", "QuotaReserved", "Previously: preempted"}, now);
      }
      if (FindCondition(conds, "Requeued")) {
        SetCondition(&conds, {"Requeued", "False", "QuotaReserved", "The workload is admitted"}, now);
      }
      s = WriteWorkloadStatus(*wl, std::move(status));
      if (s.ok()) {
        events_->Event(*wl, "Normal", "QuotaReserved",
                       "Quota reserved in ClusterQueue " + cq);
        events_->Event(*wl, "Normal", "Admitted",
                       "Admitted by ClusterQueue " + cq);
      }
    }
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      sched_.ForgetAssumed(a.workload_key);
      controller_->Enqueue(Request{"", kCycleKey});
    }
  }

  void ApplyPreemption(const core::PreemptionDecision& p, const std::string& now) {
    client::ObjectPtr wl = Cached(p.victim_key);
    if (!wl) return;
    Json status = (*wl)["status"];
    Json& conds = status["conditions"];
    SetCondition(&conds, {"Evicted", "True", "Preempted", p.message}, now);
    SetCondition(&conds, {"Preempted", "True", core::PreemptionReasonName(p.reason), p.message},
                 now);
    if (WriteWorkloadStatus(*wl, std::move(status)).ok()) {
      events_->Event(*wl, "Normal", "Preempted", p.message);
    }
  }

  void ApplyPending(const Json& wl, const core::PendingWorkload& p, const core::PendingReason& why,
                    const std::string& now) {
    std::string reason = why.reason.empty() ? "Pending" : why.reason;
    std::string message = why.message;
    if (p.cluster_queue.empty()) {
      std::string lq = StringField(Field(wl, "spec"), "queueName");
      std::lock_guard<std::mutex> lock(mu_);
      auto it = lq_to_cq_.find(MetaString(wl, "namespace") + "/" + lq);
      reason = "Inadmissible";
      message = it == lq_to_cq_.end() ? "LocalQueue " + lq + " doesn't exist"
                                      : "ClusterQueue " + it->second +
                                            " doesn't exist or does not admit namespace " +
                                            MetaString(wl, "namespace");
    }
    const Json& conds = Field(Field(wl, "status"), "conditions");
    const Json* c = FindCondition(conds, "QuotaReserved");
    if (c && StringField(*c, "status") == "False" && StringField(*c, "reason") == reason &&
        StringField(*c, "message") == message) {
      return;
    }
    Json status = Field(wl, "status").is_object() ? wl["status"] : Json::object();
    SetCondition(&status["conditions"], {"QuotaReserved", "False", reason, message}, now);
    (void)WriteWorkloadStatus(wl, std::move(status));
  }

  void WriteClusterQueueStatus(const core::ClusterQueueStatus& s, const std::string& now) {
    client::ObjectPtr cq = cqs_->Get("", s.name);
    if (!cq) return;
    const Json& old = Field(*cq, "status");
    Json status = old.is_object() ? old : Json::object();
    status["pendingWorkloads"] = s.pending_workloads;
    status["reservingWorkloads"] = s.reserving_workloads;
    status["admittedWorkloads"] = s.reserving_workloads;
    status["flavorsReservation"] = FlavorsUsageJson(s.flavors_usage);
    status["flavorsUsage"] = FlavorsUsageJson(s.flavors_usage);
    if (s.weighted_share) {
      status["fairSharing"]["weightedShare"] = static_cast<int64_t>(*s.weighted_share);
    }
    SetCondition(&status["conditions"],
                 {"Active", s.active ? "True" : "False", s.reason, s.message}, now);
    if (status == old) return;
    Json updated = *cq;
    updated["apiVersion"] = kV1beta2;
    updated["kind"] = "ClusterQueue";
    updated["status"] = std::move(status);
    client::WriteOptions o;
    o.subresource = "status";
    o.field_manager = "kueue-admission";
    (void)mgr_->client().Replace(cqs_->resource(), "", s.name, updated, o);
  }

  void WriteLocalQueueStatuses(const std::map<std::string, std::array<int64_t, 3>>& counts,
                               const std::string& now) {
    for (const client::ObjectPtr& lq : lqs_->List()) {
      std::string key = Key(*lq);
      auto it = counts.find(key);
      std::array<int64_t, 3> c = it == counts.end() ? std::array<int64_t, 3>{0, 0, 0} : it->second;
      std::string cq = StringField(Field(*lq, "spec"), "clusterQueue");
      bool cq_exists = cqs_->Get("", cq) != nullptr;
      const Json& old = Field(*lq, "status");
      Json status = old.is_object() ? old : Json::object();
      status["pendingWorkloads"] = c[0];
      status["reservingWorkloads"] = c[1];
      status["admittedWorkloads"] = c[2];
      SetCondition(&status["conditions"],
                   cq_exists ? Condition{"Active", "True", "Ready", "Can submit new workloads to localQueue"}
                             : Condition{"Active", "False", "ClusterQueueDoesNotExist",
                                         "Can't submit new workloads to clusterQueue"},
                   now);
      if (status == old) continue;
      Json updated = *lq;
      updated["apiVersion"] = kV1beta2;
      updated["kind"] = "LocalQueue";
      updated["status"] = std::move(status);
      client::WriteOptions o;
      o.subresource = "status";
      o.field_manager = "kueue-admission";
      (void)mgr_->client().Replace(lqs_->resource(), MetaString(*lq, "namespace"),
                                   MetaString(*lq, "name"), updated, o);
    }
  }

  Manager* mgr_;
  EventRecorder* events_;
  Controller* controller_ = nullptr;
  client::Informer* workloads_ = nullptr;
  client::Informer* cqs_ = nullptr;
  client::Informer* lqs_ = nullptr;
  client::Informer* flavors_ = nullptr;
  client::Informer* cohorts_ = nullptr;
  std::mutex mu_;
  core::Scheduler sched_;                            // guarded by mu_
  std::map<std::string, std::string> lq_to_cq_;      // guarded by mu_
  std::map<std::string, bool> cq_selector_null_;     // guarded by mu_
};

}  // namespace

Status Register(Manager* mgr) {
  StatusOr<KueueConfig> config = LoadKueueConfig(mgr->client());
  if (!config.ok()) {
    return InvalidArgument("kueue: ConfigMap " + std::string(kConfigNamespace) + "/" +
                           kConfigMapName + ": " + config.status().message());
  }
  SKIFF_RETURN_IF_ERROR(RegisterJobIntegrations(mgr, *config));
  auto r = std::make_unique<SchedulerReconciler>(mgr, *config);
  SKIFF_RETURN_IF_ERROR(r->Init());
  SchedulerReconciler* raw = r.get();
  // One worker: cycles never overlap.
  Controller* c = mgr->NewController("kueue-scheduler", std::move(r), 1);
  raw->set_controller(c);
  raw->Wire();
  return Status::Ok();
}

}  // namespace skiff::controllers::kueue
