// The Job reconciler: reads the Job and its pods from the informer caches, asks
// PlanSync what to do, creates/deletes pods, and writes status and Events. Also
// the TTL-after-finished clean-up.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "controllers/job/expectations.h"
#include "controllers/job/job_controller.h"
#include "controllers/job/job_sync.h"
#include "controllers/job/pod_template.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"

namespace skiff::controllers::job {

namespace {

using std::chrono::milliseconds;

std::optional<SystemTime> TimeField(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (!v.is_string()) return std::nullopt;
  auto t = ParseRfc3339(v.get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

PriorStatus ReadPrior(const Json& status) {
  PriorStatus p;
  const Json& s = Field(status, "succeeded");
  if (s.is_number_integer()) p.succeeded = s.get<int32_t>();
  const Json& f = Field(status, "failed");
  if (f.is_number_integer()) p.failed = f.get<int32_t>();
  const Json& ci = Field(status, "completedIndexes");
  if (ci.is_string()) p.completed_indexes = ci.get<std::string>();
  p.start_time = TimeField(status, "startTime");
  const Json& conds = Field(status, "conditions");
  if (const Json* c = FindCondition(conds, "FailureTarget");
      c && c->value("status", "") == "True") {
    p.failure_target = true;
    p.failure_reason = c->value("reason", "");
    p.failure_message = c->value("message", "");
  }
  p.success_criteria_met = IsConditionTrue(conds, "SuccessCriteriaMet");
  p.suspended = IsConditionTrue(conds, "Suspended");
  return p;
}

class JobReconciler final : public Reconciler {
 public:
  JobReconciler(Manager* mgr, client::Informer* jobs, client::Informer* pods)
      : mgr_(mgr), jobs_(jobs), pods_(pods), expectations_(&clock_) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = jobs_->Get(req.ns, req.name);
    if (!cached) {
      expectations_.Forget(req.Key());
      return Result{};
    }
    const Json& meta = Field(*cached, "metadata");
    if (Field(meta, "deletionTimestamp").is_string()) return Result{};
    Json job = *cached;  // copy: cached objects are shared and immutable
    job["apiVersion"] = "batch/v1";
    job["kind"] = "Job";
    std::string uid = MetaString(*cached, "uid");
    const Json& conds = Field(Field(job, "status"), "conditions");
    JobSpecView spec = ParseJobSpec(job);
    if (IsConditionTrue(conds, "Complete") || IsConditionTrue(conds, "Failed")) {
      expectations_.Forget(req.Key());
      return HandleTtl(req, job, spec);
    }

    SyncInput in;
    in.ns = req.ns;
    in.name = req.name;
    in.spec = spec;
    for (const client::ObjectPtr& p : pods_->ListByOwner(uid)) {
      if (IsControlledBy(*p, uid) && Field(Field(*p, "metadata"), "namespace") == req.ns) {
        in.pods.push_back(ParsePod(*p));
      }
    }
    in.prior = ReadPrior(Field(job, "status"));
    in.in_flight = expectations_.Observe(req.Key(), in.pods);
    in.now = clock_.Now();
    SyncPlan plan = PlanSync(in);

    client::Client& c = mgr_->client();
    const client::ResourceInfo& pod_res = pods_->resource();
    Status first_error;
    for (const std::string& name : plan.delete_pods) {
      expectations_.ExpectDelete(req.Key(), name);
      auto r = c.Delete(pod_res, req.ns, name);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
        mgr_->events().Event(job, "Warning", "FailedDelete",
                             "Error deleting: " + r.status().message());
        if (first_error.ok()) first_error = r.status();
        continue;
      }
      mgr_->events().Event(job, "Normal", "SuccessfulDelete", "Deleted pod: " + name);
    }
    std::vector<int64_t> creates = plan.create_indexes;
    for (int64_t i = 0; i < plan.create_count; ++i) creates.push_back(-1);
    for (int64_t index : creates) {
      auto r = c.Create(pod_res, req.ns, RenderPod(job, index));
      if (!r.ok()) {
        mgr_->events().Event(job, "Warning", "FailedCreate",
                             "Error creating: " + r.status().message());
        if (first_error.ok()) first_error = r.status();
        break;  // the same error would repeat for every pod; retry with backoff
      }
      std::string pod_name = Field(Field(*r, "metadata"), "name").is_string()
                                 ? (*r)["metadata"]["name"].get<std::string>()
                                 : std::string();
      expectations_.ExpectCreate(req.Key(), pod_name, index);
      ++plan.active;
      mgr_->events().Event(job, "Normal", "SuccessfulCreate", "Created pod: " + pod_name);
    }

    SKIFF_RETURN_IF_ERROR(WriteStatus(req, job, spec, plan));
    if (!first_error.ok()) return first_error;
    Result result;
    result.requeue_after = plan.requeue_after;
    return result;
  }

 private:
  Status WriteStatus(const Request& req, const Json& job, const JobSpecView& spec,
                     const SyncPlan& plan) {
    std::string now = FormatRfc3339(clock_.Now());
    const Json& old_status = Field(job, "status");
    Json status = old_status.is_object() ? old_status : Json::object();
    status["active"] = plan.active;
    status["ready"] = plan.ready;
    status["terminating"] = plan.terminating;
    status["succeeded"] = plan.succeeded;
    status["failed"] = plan.failed;
    if (spec.completion_mode == CompletionMode::kIndexed) {
      if (plan.completed_indexes.empty()) {
        status.erase("completedIndexes");
      } else {
        status["completedIndexes"] = plan.completed_indexes;
      }
    }
    if (!status.contains("uncountedTerminatedPods")) {
      status["uncountedTerminatedPods"] = Json::object();
    }
    Json& conds = status["conditions"];
    struct PendingEvent {
      std::string type, reason, message;
    };
    std::vector<PendingEvent> events;
    if (plan.suspended) {
      if (SetCondition(&conds, {"Suspended", "True", "JobSuspended", "Job suspended"}, now,
                       "lastProbeTime")) {
        events.push_back({"Normal", "Suspended", "Job suspended"});
      }
    } else if (plan.resumed) {
      SetCondition(&conds, {"Suspended", "False", "JobResumed", "Job resumed"}, now,
                   "lastProbeTime");
      events.push_back({"Normal", "Resumed", "Job resumed"});
      status["startTime"] = now;  // a resumed Job's activeDeadlineSeconds counts from now
    } else if (plan.set_start_time) {
      status["startTime"] = now;
    }
    if (plan.outcome == Outcome::kFailing) {
      SetCondition(&conds, {"FailureTarget", "True", plan.reason, plan.message}, now,
                   "lastProbeTime");
      if (plan.terminal && SetCondition(&conds, {"Failed", "True", plan.reason, plan.message}, now,
                                        "lastProbeTime")) {
        events.push_back({"Warning", plan.reason, plan.message});
      }
    } else if (plan.outcome == Outcome::kSucceeding) {
      SetCondition(&conds, {"SuccessCriteriaMet", "True", plan.reason, plan.message}, now,
                   "lastProbeTime");
      if (plan.terminal && SetCondition(&conds, {"Complete", "True", plan.reason, plan.message},
                                        now, "lastProbeTime")) {
        status["completionTime"] = now;
        events.push_back({"Normal", "Completed", "Job completed"});
      }
    }
    if (conds.empty()) status.erase("conditions");
    if (status == old_status) return Status::Ok();
    Json updated = job;
    updated["status"] = std::move(status);
    client::WriteOptions opts;
    opts.subresource = "status";
    opts.field_manager = mgr_->options().component;
    auto r = mgr_->client().Replace(jobs_->resource(), req.ns, req.name, updated, opts);
    if (!r.ok()) return r.status();
    for (const PendingEvent& e : events) mgr_->events().Event(job, e.type, e.reason, e.message);
    return Status::Ok();
  }

  // ttlSecondsAfterFinished: delete the finished Job (and, in the background,
  // its pods).
  StatusOr<Result> HandleTtl(const Request& req, const Json& job, const JobSpecView& spec) {
    if (!spec.ttl_seconds_after_finished) return Result{};
    const Json& status = Field(job, "status");
    std::optional<SystemTime> finished = TimeField(status, "completionTime");
    if (!finished) {
      const Json& conds = Field(status, "conditions");
      for (const char* type : {"Failed", "Complete"}) {
        const Json* c = FindCondition(conds, type);
        if (c && c->value("status", "") == "True") {
          finished = TimeField(*c, "lastTransitionTime");
          break;
        }
      }
    }
    SystemTime expiry =
        finished.value_or(clock_.Now()) + std::chrono::seconds(*spec.ttl_seconds_after_finished);
    SystemTime now = clock_.Now();
    if (now < expiry) {
      Result r;
      r.requeue_after = std::chrono::duration_cast<milliseconds>(expiry - now) + milliseconds(1);
      return r;
    }
    client::DeleteOptions opts;
    opts.propagation_policy = "Background";
    opts.precondition_uid = MetaString(job, "uid");
    auto r = mgr_->client().Delete(jobs_->resource(), req.ns, req.name, opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Result{};
  }

  Manager* mgr_;
  client::Informer* jobs_;
  client::Informer* pods_;
  RealClock clock_;
  Expectations expectations_;
};

}  // namespace

Status Register(Manager* mgr) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobs, mgr->informers().ForKind("batch/v1", "Job"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, mgr->informers().ForKind("v1", "Pod"));
  Controller* c = mgr->NewController("job", std::make_unique<JobReconciler>(mgr, jobs, pods), 2);
  SKIFF_RETURN_IF_ERROR(c->For("batch/v1", "Job"));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Pod", "Job"));
  return Status::Ok();
}

}  // namespace skiff::controllers::job
