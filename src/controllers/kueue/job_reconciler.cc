// The job side of Kueue (upstream's jobframework reconciler), one controller per managed kind:
// creates the Workload of a queued job, starts the job when its Workload is admitted (flavor
// nodeSelector/tolerations injected), stops it when evicted and requeues the Workload once the
// job is suspended, marks the Workload Finished and PodsReady.
#include <nlohmann/json.hpp>
#include <set>

#include "client/client.h"
#include "base/time.h"
#include "controllers/kueue/config.h"
#include "controllers/kueue/jobs.h"
#include "controllers/kueue/kueue_controller.h"
#include "controllers/kueue/pod_groups.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::kueue {
namespace {

constexpr char kWorkloadApiVersion[] = "kueue.x-k8s.io/v1beta2";

const Json& Conditions(const Json& wl) { return Field(Field(wl, "status"), "conditions"); }

}  // namespace

std::function<std::optional<Json>(const std::string&)> FlavorLookup(client::Informer* flavors) {
  return [flavors](const std::string& name) -> std::optional<Json> {
    client::ObjectPtr rf = flavors->Get("", name);
    if (!rf) return std::nullopt;
    return *rf;
  };
}

namespace {

class JobReconciler final : public Reconciler {
 public:
  JobReconciler(Manager* mgr, const KueueConfig& config, JobKind kind, client::Informer* jobs,
                client::Informer* workloads, client::Informer* flavors,
                client::Informer* priorities, client::Informer* jobsets)
      : mgr_(mgr),
        config_(config),
        kind_(std::move(kind)),
        jobs_(jobs),
        workloads_(workloads),
        flavors_(flavors),
        priorities_(priorities),
        jobsets_(jobsets),
        events_(&mgr->EventsFor("kueue-admission")) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = jobs_->Get(req.ns, req.name);
    if (!cached) return Result{};
    Json job = *cached;
    job["apiVersion"] = kind_.api_version;
    job["kind"] = kind_.kind;
    const Json& meta = Field(job, "metadata");
    if (Field(meta, "deletionTimestamp").is_string()) return Result{};
    std::string queue = StringField(Field(meta, "labels"), kQueueLabel);
    if (queue.empty() || GetControllerOf(job)) return Result{};
    std::string uid = MetaString(job, "uid");

    client::ObjectPtr wl;
    for (const client::ObjectPtr& w : workloads_->ListByOwner(uid)) {
      if (IsControlledBy(*w, uid)) wl = w;
    }
    std::optional<Finished> finished = FinishedOf(kind_, job);
    if (!wl) {
      if (finished) return Result{};
      return CreateWorkload(job, queue);
    }
    Json w = *wl;
    w["apiVersion"] = kWorkloadApiVersion;
    w["kind"] = "Workload";
    const Json& conds = Conditions(w);
    if (finished) {
      if (IsConditionTrue(conds, "Finished")) return Result{};
      Json status = Field(w, "status").is_object() ? w["status"] : Json::object();
      SetCondition(&status["conditions"],
                   {"Finished", "True", finished->reason,
                    finished->message.empty() ? "Job finished" : finished->message},
                   NowRfc3339());
      return WriteStatus(w, std::move(status));
    }
    bool suspended = IsSuspended(kind_, job);
    bool admitted = IsConditionTrue(conds, "Admitted") &&
                    Field(Field(w, "status"), "admission").is_object();
    bool evicted = IsConditionTrue(conds, "Evicted");
    if (admitted && !evicted) {
      if (suspended) return StartJob(job, w);
      return SyncPodsReady(job, w);
    }
    if (!suspended) {
      Json stopped = StoppedJob(kind_, job, Field(Field(w, "spec"), "podSets"));
      SKIFF_RETURN_IF_ERROR(Replace(jobs_->resource(), stopped));
      const Json* e = FindCondition(conds, "Evicted");
      events_->Event(job, "Normal", "Stopped",
                     e ? StringField(*e, "message") : "Not admitted by cluster queue");
      return Result{};
    }
    if (evicted && Field(Field(w, "status"), "admission").is_object()) return Requeue(w);
    return Result{};
  }

 private:
  StatusOr<Result> CreateWorkload(const Json& job, const std::string& queue) {
    const Json* child = nullptr;
    client::ObjectPtr js;
    if (kind_.kind == "TrainJob" && jobsets_) {
      js = jobsets_->Get(MetaString(job, "namespace"), MetaString(job, "name"));
      if (js && IsControlledBy(*js, MetaString(job, "uid"))) child = js.get();
    }
    StatusOr<Json> podsets = PodSetsOf(kind_, job, child);
    if (!podsets.ok()) {
      if (podsets.status().code() == StatusCode::kNotFound) return Result{};  // JobSet pending
      events_->Event(job, "Warning", "FailedToCreateWorkload", podsets.status().message());
      return Result{};
    }
    Json spec = {{"queueName", queue}, {"podSets", std::move(*podsets)}, {"active", true}};
    std::string pc = StringField(Field(Field(job, "metadata"), "labels"), kPriorityClassLabel);
    if (!pc.empty()) {
      spec["priorityClassRef"] = {
          {"group", "kueue.x-k8s.io"}, {"kind", "WorkloadPriorityClass"}, {"name", pc}};
      if (client::ObjectPtr p = priorities_->Get("", pc)) {
        spec["priority"] = Field(*p, "value").is_number_integer() ? (*p)["value"] : Json(0);
      }
    }
    std::string name = WorkloadName(kind_, MetaString(job, "name"), MetaString(job, "uid"));
    Json wl = {{"apiVersion", kWorkloadApiVersion},
               {"kind", "Workload"},
               {"metadata",
                {{"name", name},
                 {"namespace", MetaString(job, "namespace")},
                 {"labels", {{kJobUidLabel, MetaString(job, "uid")}}},
                 {"ownerReferences", Json::array({ControllerRef(job)})}}},
               {"spec", std::move(spec)}};
    auto r = mgr_->client().Create(workloads_->resource(), MetaString(job, "namespace"), wl);
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
    if (r.ok()) {
      events_->Event(job, "Normal", "CreatedWorkload",
                     "Created Workload: " + MetaString(job, "namespace") + "/" + name);
    }
    return Result{};
  }

  // Admission → the flavors' nodeLabels and tolerations into each pod set, then unsuspend.
  StatusOr<Result> StartJob(const Json& job, const Json& wl) {
    const Json& admission = Field(Field(wl, "status"), "admission");
    std::string flavors_used;
    SKIFF_ASSIGN_OR_RETURN(std::vector<PodSetStart> starts,
                           PodSetStartsOf(admission, FlavorLookup(flavors_), &flavors_used));
    SKIFF_RETURN_IF_ERROR(Replace(jobs_->resource(), StartedJob(kind_, job, starts)));
    events_->Event(job, "Normal", "Started",
                   "Admitted by clusterQueue " + StringField(admission, "clusterQueue") +
                       (flavors_used.empty() ? "" : " (flavors: " + flavors_used + ")"));
    return Result{};
  }

  StatusOr<Result> SyncPodsReady(const Json& job, const Json& wl) {
    bool ready = PodsReady(kind_, job);
    const Json* c = FindCondition(Conditions(wl), "PodsReady");
    bool was = c && StringField(*c, "status") == "True";
    if (!ready && config_.wait_for_pods_ready) {
      StatusOr<Result> timeout = CheckPodsReadyTimeout(wl);
      if (!timeout.ok() || timeout->requeue_after.count() == 0) return timeout;
      if (c && !was) return timeout;
      Json status = wl["status"];
      SetCondition(&status["conditions"],
                   {"PodsReady", "False", "WaitForStart", "Not all pods are ready or succeeded"},
                   NowRfc3339());
      SKIFF_RETURN_IF_ERROR(WriteStatus(wl, std::move(status)).status());
      return timeout;
    }
    if (c && ready == was) return Result{};
    Json status = wl["status"];
    SetCondition(&status["conditions"],
                 ready ? Condition{"PodsReady", "True", "PodsReady", "All pods reached readiness"}
                       : Condition{"PodsReady", "False", "WaitForStart",
                                   "Not all pods are ready or succeeded"},
                 NowRfc3339());
    return WriteStatus(wl, std::move(status));
  }

  // waitForPodsReady: the requeue delay until the timeout, or an eviction (reason
  // PodsReadyTimeout) with requeueState backoff base*2^(n-1) capped at max; past
  // backoffLimitCount the Workload is deactivated.
  StatusOr<Result> CheckPodsReadyTimeout(const Json& wl) {
    const Json* qr = FindCondition(Conditions(wl), "QuotaReserved");
    auto since = ParseRfc3339(qr ? StringField(*qr, "lastTransitionTime") : "");
    if (!since.ok()) return Result{};
    SystemTime deadline = *since + config_.pods_ready_timeout;
    SystemTime now = std::chrono::system_clock::now();
    if (now < deadline) {
      Result r;
      r.requeue_after =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
          std::chrono::milliseconds(1);
      return r;
    }
    Json status = wl["status"];
    int64_t count = Field(Field(status, "requeueState"), "count").is_number_integer()
                        ? status["requeueState"]["count"].get<int64_t>() + 1
                        : 1;
    std::string nowt = NowRfc3339();
    std::string msg = "Exceeded the PodsReady timeout " + MetaString(wl, "namespace") + "/" +
                      MetaString(wl, "name");
    SetCondition(&status["conditions"], {"Evicted", "True", "PodsReadyTimeout", msg}, nowt);
    if (config_.backoff_limit_count && count > *config_.backoff_limit_count) {
      Json spec_patch = {{"spec", {{"active", false}}}};
      client::PatchOptions o;
      o.field_manager = "kueue";
      auto r = mgr_->client().Patch(workloads_->resource(), MetaString(wl, "namespace"),
                                    MetaString(wl, "name"), DumpJson(spec_patch), o);
      if (!r.ok()) return r.status();
      SetCondition(&status["conditions"],
                   {"Evicted", "True", "Deactivated",
                    "The workload is deactivated due to exceeding the maximum number of "
                    "re-queuing retries"},
                   nowt);
    } else {
      int64_t delay = config_.backoff_base_seconds;
      for (int64_t i = 1; i < count && delay < config_.backoff_max_seconds; ++i) delay *= 2;
      delay = std::min(delay, config_.backoff_max_seconds);
      status["requeueState"] = {{"count", count},
                                {"requeueAt", FormatRfc3339(now + std::chrono::seconds(delay))}};
    }
    events_->Event(wl, "Normal", "EvictedDueToPodsReadyTimeout", msg);
    SKIFF_RETURN_IF_ERROR(WriteStatus(wl, std::move(status)).status());
    return Result{};
  }

  // The evicted job is suspended: release the quota (clear the admission) and requeue.
  StatusOr<Result> Requeue(const Json& wl) {
    Json status = wl["status"];
    status.erase("admission");
    std::string now = NowRfc3339();
    const Json* e = FindCondition(status["conditions"], "Evicted");
    std::string reason = e ? StringField(*e, "reason") : "Evicted";
    SetCondition(&status["conditions"],
                 {"QuotaReserved", "False", "Pending", "The workload is pending after eviction"},
                 now);
    SetCondition(&status["conditions"],
                 {"Admitted", "False", "NoReservation", "The workload has no reservation"}, now);
    SetCondition(&status["conditions"],
                 {"Requeued", "True", reason, "The workload was requeued after eviction"}, now);
    if (const Json* pr = FindCondition(status["conditions"], "PodsReady")) {
      (void)pr;
      SetCondition(&status["conditions"],
                   {"PodsReady", "False", "Evicted", "The workload was evicted"}, now);
    }
    return WriteStatus(wl, std::move(status));
  }

  Status Replace(const client::ResourceInfo& r, const Json& obj) {
    client::WriteOptions o;
    o.field_manager = "kueue";
    auto res = mgr_->client().Replace(r, MetaString(obj, "namespace"), MetaString(obj, "name"),
                                      obj, o);
    return res.ok() ? Status::Ok() : res.status();
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
  KueueConfig config_;
  JobKind kind_;
  client::Informer* jobs_;
  client::Informer* workloads_;
  client::Informer* flavors_;
  client::Informer* priorities_;
  client::Informer* jobsets_;
  EventRecorder* events_;
};

}  // namespace

Status RegisterJobIntegrations(Manager* mgr, const KueueConfig& config) {
  auto& inf = mgr->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * workloads, inf.ForKind(kWorkloadApiVersion, "Workload"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * flavors,
                         inf.ForKind("kueue.x-k8s.io/v1beta2", "ResourceFlavor"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * priorities,
                         inf.ForKind("kueue.x-k8s.io/v1beta2", "WorkloadPriorityClass"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobsets,
                         inf.ForKind("jobset.x-k8s.io/v1alpha2", "JobSet"));
  for (const JobKind& k : ManagedKinds()) {
    auto jobs = inf.ForKind(k.api_version, k.kind);
    if (!jobs.ok()) continue;  // a kind this server does not serve
    Controller* c = mgr->NewController(
        "kueue-" + k.prefix,
        std::make_unique<JobReconciler>(mgr, config, k, *jobs, workloads, flavors, priorities,
                                        k.kind == "TrainJob" ? jobsets : nullptr),
        1);
    SKIFF_RETURN_IF_ERROR(c->For(k.api_version, k.kind));
    SKIFF_RETURN_IF_ERROR(c->Owns(kWorkloadApiVersion, "Workload", k.kind));
    if (k.kind == "TrainJob") {
      // The TrainJob's pod sets come from its JobSet.
      SKIFF_RETURN_IF_ERROR(c->Owns("jobset.x-k8s.io/v1alpha2", "JobSet", "TrainJob"));
    }
  }
  return RegisterPodGroups(mgr, config);  // plain pods and pod groups (pod_groups.cc)
}

}  // namespace skiff::controllers::kueue
