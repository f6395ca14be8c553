// The JobSet reconciler: classifies child Jobs by run, applies the failure and
// success policies, creates missing Jobs and the headless Service, propagates
// suspend, writes status and Events, and deletes finished JobSets after their
// TTL.
#include <nlohmann/json.hpp>
#include <set>

#include "client/client.h"
#include "controllers/jobset/child_jobs.h"
#include "controllers/jobset/jobset_controller.h"
#include "controllers/jobset/policy.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"

namespace skiff::controllers::jobset {

namespace {

using std::chrono::milliseconds;

struct PendingEvent {
  std::string type, reason, message;
};

// Upstream's updateCondition: a False condition is only written over an
// existing one.
bool SetJobSetCondition(Json* conds, const Condition& c, const std::string& now) {
  if (c.status != "True" && !FindCondition(*conds, c.type)) return false;
  return SetCondition(conds, c, now);
}

Json ToJson(const std::vector<ReplicatedJobStatus>& statuses) {
  Json out = Json::array();
  for (const ReplicatedJobStatus& s : statuses) {
    out.push_back({{"name", s.name},
                   {"ready", s.ready},
                   {"succeeded", s.succeeded},
                   {"failed", s.failed},
                   {"active", s.active},
                   {"suspended", s.suspended}});
  }
  return out;
}

class JobSetReconciler final : public Reconciler {
 public:
  JobSetReconciler(Manager* mgr, client::Informer* jobsets, client::Informer* jobs,
                   client::Informer* services)
      : mgr_(mgr), jobsets_(jobsets), jobs_(jobs), services_(services) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = jobsets_->Get(req.ns, req.name);
    if (!cached) return Result{};
    if (Field(Field(*cached, "metadata"), "deletionTimestamp").is_string()) return Result{};
    Json js = *cached;
    js["apiVersion"] = "jobset.x-k8s.io/v1alpha2";
    js["kind"] = "JobSet";
    JobSetSpecView spec = ParseJobSet(js);
    // A JobSet managed elsewhere (MultiKueue) is not ours to reconcile.
    if (!spec.managed_by.empty() && spec.managed_by != kJobSetControllerName) return Result{};
    JobSetStatusView st = ParseJobSetStatus(js);
    std::string uid = MetaString(js, "uid");

    std::vector<ChildJob> jobs;
    std::vector<client::ObjectPtr> job_objs;
    for (const client::ObjectPtr& j : jobs_->ListByOwner(uid)) {
      if (IsControlledBy(*j, uid) && Field(Field(*j, "metadata"), "namespace") == req.ns) {
        jobs.push_back(ParseChildJob(*j));
        job_objs.push_back(j);
      }
    }
    Children children = Classify(jobs, st.restarts);
    std::vector<ReplicatedJobStatus> rstatus = ReplicatedJobStatuses(spec, children);

    const Json& old_status = Field(js, "status");
    Json status = old_status.is_object() ? old_status : Json::object();
    status["replicatedJobsStatus"] = ToJson(rstatus);
    status["restarts"] = st.restarts;
    Json& conds = status["conditions"];
    if (!conds.is_array()) conds = Json::array();
    std::string now = NowRfc3339();
    std::vector<PendingEvent> events;
    Result result;

    auto finish = [&](const std::string& type, const std::string& reason,
                      const std::string& message) {
      if (SetJobSetCondition(&conds, {type, "True", reason, message}, now)) {
        events.push_back({type == "Failed" ? "Warning" : "Normal", reason, message});
      }
      status["terminalState"] = type;
    };

    bool finished = IsConditionTrue(conds, "Completed") || IsConditionTrue(conds, "Failed");
    if (finished) {
      SKIFF_RETURN_IF_ERROR(DeleteJobs(req.ns, children.active));
      SKIFF_RETURN_IF_ERROR(WriteStatus(req, js, old_status, status, events));
      return HandleTtl(req, js, spec, conds);
    }
    SKIFF_RETURN_IF_ERROR(DeleteJobs(req.ns, children.previous));

    if (!children.failed.empty()) {
      FailureDecision d = DecideFailure(spec, st, children);
      if (d.fail) {
        finish("Failed", d.reason, d.message);
      } else if (d.restart) {
        // The next pass sees every current Job as a previous run's, deletes it
        // and recreates.
        status["restarts"] = st.restarts + 1;
        if (d.count_towards_max)
          status["restartsCountTowardsMax"] = st.restarts_count_towards_max + 1;
        events.push_back({"Warning", d.reason, d.message});
      }
      SKIFF_RETURN_IF_ERROR(WriteStatus(req, js, old_status, status, events));
      return Result{};
    }
    if (!children.succeeded.empty() && SuccessPolicyMet(spec, children)) {
      finish("Completed", "AllJobsCompleted", "jobset completed successfully");
      SKIFF_RETURN_IF_ERROR(WriteStatus(req, js, old_status, status, events));
      return Result{};
    }

    if (spec.dns_hostnames) SKIFF_RETURN_IF_ERROR(EnsureService(req, js, spec));
    Status create_status = CreateJobs(req, js, spec, st, jobs, rstatus, &conds, now);
    Status suspend_status = spec.suspend ? SuspendJobs(children, job_objs, jobs)
                                         : ResumeJobs(js, spec, children, job_objs, jobs, rstatus,
                                                      &conds, now, &events);
    if (spec.suspend && suspend_status.ok() &&
        SetJobSetCondition(&conds, {"Suspended", "True", "SuspendedJobs", "jobset is suspended"},
                           now)) {
      events.push_back({"Normal", "SuspendedJobs", "jobset is suspended"});
    }
    SKIFF_RETURN_IF_ERROR(WriteStatus(req, js, old_status, status, events));
    SKIFF_RETURN_IF_ERROR(create_status);
    SKIFF_RETURN_IF_ERROR(suspend_status);
    return result;
  }

 private:
  Status DeleteJobs(const std::string& ns, const std::vector<const ChildJob*>& jobs) {
    for (const ChildJob* j : jobs) {
      if (j->deleting) continue;
      client::DeleteOptions opts;
      // Foreground: the Job's pods are gone before a replacement with the same
      // name appears.
      opts.propagation_policy = "Foreground";
      auto r = mgr_->client().Delete(jobs_->resource(), ns, j->name, opts);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    }
    return Status::Ok();
  }

  Status EnsureService(const Request& req, const Json& js, const JobSetSpecView& spec) {
    if (services_->Get(req.ns, spec.subdomain)) return Status::Ok();
    auto r = mgr_->client().Create(services_->resource(), req.ns, RenderHeadlessService(js, spec));
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
      mgr_->events().Event(js, "Warning", "HeadlessServiceCreationFailed", r.status().message());
      return r.status();
    }
    return Status::Ok();
  }

  Status CreateJobs(const Request& req, const Json& js, const JobSetSpecView& spec,
                    const JobSetStatusView& st, const std::vector<ChildJob>& jobs,
                    const std::vector<ReplicatedJobStatus>& rstatus, Json* conds,
                    const std::string& now) {
    std::set<std::string> existing;
    for (const ChildJob& j : jobs) existing.insert(j.name);
    bool in_order = spec.in_order && !spec.suspend;
    for (size_t i = 0; i < spec.replicated_jobs.size(); ++i) {
      const ReplicatedJob& r = spec.replicated_jobs[i];
      if (!DependenciesReached(spec, r, rstatus)) continue;
      if (in_order && rstatus[i].ready == r.replicas) continue;
      for (int64_t idx = 0; idx < r.replicas; ++idx) {
        std::string name = ChildJobName(spec.name, r.name, idx);
        if (existing.count(name)) continue;
        auto c = mgr_->client().Create(jobs_->resource(), req.ns,
                                       RenderChildJob(js, spec, i, idx, st.restarts));
        if (!c.ok() && c.status().code() != StatusCode::kAlreadyExists) {
          mgr_->events().Event(js, "Warning", "JobCreationFailed", c.status().message());
          return c.status();
        }
      }
      if (in_order) {
        // Wait for this replicatedJob to be ready before starting the next one.
        SetCondition(conds,
                     {"StartupPolicyInProgress", "True", "InOrderStartupPolicyInProgress",
                      "in order startup policy is in progress"},
                     now);
        SetJobSetCondition(conds,
                           {"StartupPolicyCompleted", "False", "InOrderStartupPolicyInProgress",
                            "in order startup policy is in progress"},
                           now);
        return Status::Ok();
      }
    }
    if (in_order) {
      SetCondition(conds,
                   {"StartupPolicyCompleted", "True", "InOrderStartupPolicyCompleted",
                    "in order startup policy has completed"},
                   now);
      SetJobSetCondition(conds,
                         {"StartupPolicyInProgress", "False", "InOrderStartupPolicyCompleted",
                          "in order startup policy has completed"},
                         now);
    }
    return Status::Ok();
  }

  Status SuspendJobs(const Children& children, const std::vector<client::ObjectPtr>& objs,
                     const std::vector<ChildJob>& jobs) {
    for (const ChildJob* j : children.active) {
      if (j->suspended || j->deleting) continue;
      const Json& obj = *objs[j - jobs.data()];
      SKIFF_RETURN_IF_ERROR(PatchJob(obj, Json{{"spec", {{"suspend", true}}}}));
    }
    return Status::Ok();
  }

  Status ResumeJobs(const Json& js, const JobSetSpecView& spec, const Children& children,
                    const std::vector<client::ObjectPtr>& objs, const std::vector<ChildJob>& jobs,
                    const std::vector<ReplicatedJobStatus>& rstatus, Json* conds,
                    const std::string& now, std::vector<PendingEvent>* events) {
    for (size_t i = 0; i < spec.replicated_jobs.size(); ++i) {
      const ReplicatedJob& r = spec.replicated_jobs[i];
      if (!DependenciesReached(spec, r, rstatus)) continue;
      if (spec.in_order && rstatus[i].ready == r.replicas) continue;
      for (const ChildJob* j : children.active) {
        if (j->replicated_job != r.name || !j->suspended || j->deleting) continue;
        SKIFF_RETURN_IF_ERROR(ResumeJob(js, *objs[j - jobs.data()], i));
      }
      if (spec.in_order) return Status::Ok();
    }
    if (SetJobSetCondition(conds, {"Suspended", "False", "ResumeJobs", "jobset is resumed"}, now)) {
      events->push_back({"Normal", "ResumeJobs", "jobset is resumed"});
    }
    return Status::Ok();
  }

  // Kueue may change the pod template's scheduling fields while the JobSet is
  // suspended; they reach the child Job as it resumes. A started Job's
  // startTime is cleared first, as upstream does, so activeDeadlineSeconds
  // counts from the resume.
  Status ResumeJob(const Json& js, const Json& job, size_t rjob_index) {
    std::string ns = MetaString(job, "namespace");
    std::string name = MetaString(job, "name");
    if (Field(Field(job, "status"), "startTime").is_string()) {
      client::PatchOptions opts;
      opts.subresource = "status";
      opts.field_manager = mgr_->options().component;
      auto r = mgr_->client().Patch(jobs_->resource(), ns, name, R"({"status":{"startTime":null}})",
                                    opts);
      if (!r.ok()) return r.status();
    }
    Json patch = {{"spec", {{"suspend", false}}}};
    const Json& rjobs = Field(Field(js, "spec"), "replicatedJobs");
    if (rjobs.is_array() && rjob_index < rjobs.size()) {
      const Json& pt = Field(Field(Field(rjobs[rjob_index], "template"), "spec"), "template");
      Json out = Json::object();
      for (const char* k : {"labels", "annotations"}) {
        const Json& v = Field(Field(pt, "metadata"), k);
        if (v.is_object()) out["metadata"][k] = v;
      }
      for (const char* k : {"nodeSelector", "tolerations", "schedulingGates"}) {
        const Json& v = Field(Field(pt, "spec"), k);
        if (!v.is_null()) out["spec"][k] = v;
      }
      if (!out.empty()) patch["spec"]["template"] = std::move(out);
    }
    return PatchJob(job, patch);
  }

  Status PatchJob(const Json& job, const Json& patch) {
    client::PatchOptions opts;
    opts.type = client::PatchType::kMerge;
    opts.field_manager = mgr_->options().component;
    auto r = mgr_->client().Patch(jobs_->resource(), MetaString(job, "namespace"),
                                  MetaString(job, "name"), DumpJson(patch), opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Status::Ok();
  }

  Status WriteStatus(const Request& req, const Json& js, const Json& old_status, Json status,
                     const std::vector<PendingEvent>& events) {
    if (status.contains("conditions") && status["conditions"].empty()) status.erase("conditions");
    if (status == old_status) return Status::Ok();
    Json updated = js;
    updated["status"] = std::move(status);
    client::WriteOptions opts;
    opts.subresource = "status";
    opts.field_manager = mgr_->options().component;
    auto r = mgr_->client().Replace(jobsets_->resource(), req.ns, req.name, updated, opts);
    if (!r.ok()) return r.status();
    // As upstream: Events only once the status that explains them is stored.
    for (const PendingEvent& e : events) mgr_->events().Event(js, e.type, e.reason, e.message);
    return Status::Ok();
  }

  StatusOr<Result> HandleTtl(const Request& req, const Json& js, const JobSetSpecView& spec,
                             const Json& conds) {
    if (!spec.ttl_seconds_after_finished) return Result{};
    SystemTime finished = std::chrono::system_clock::now();
    for (const char* type : {"Completed", "Failed"}) {
      const Json* c = FindCondition(conds, type);
      if (c && c->value("status", "") == "True") {
        auto t = ParseRfc3339(c->value("lastTransitionTime", ""));
        if (t.ok()) finished = *t;
        break;
      }
    }
    SystemTime expiry = finished + std::chrono::seconds(*spec.ttl_seconds_after_finished);
    SystemTime now = std::chrono::system_clock::now();
    if (now < expiry) {
      Result r;
      r.requeue_after = std::chrono::duration_cast<milliseconds>(expiry - now) + milliseconds(1);
      return r;
    }
    client::DeleteOptions opts;
    opts.propagation_policy = "Foreground";
    opts.precondition_uid = MetaString(js, "uid");
    auto r = mgr_->client().Delete(jobsets_->resource(), req.ns, req.name, opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Result{};
  }

  Manager* mgr_;
  client::Informer* jobsets_;
  client::Informer* jobs_;
  client::Informer* services_;
};

}  // namespace

Status Register(Manager* mgr) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobsets,
                         mgr->informers().ForKind("jobset.x-k8s.io/v1alpha2", "JobSet"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobs, mgr->informers().ForKind("batch/v1", "Job"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * services, mgr->informers().ForKind("v1", "Service"));
  Controller* c = mgr->NewController(
      "jobset", std::make_unique<JobSetReconciler>(mgr, jobsets, jobs, services), 2);
  SKIFF_RETURN_IF_ERROR(c->For("jobset.x-k8s.io/v1alpha2", "JobSet"));
  SKIFF_RETURN_IF_ERROR(c->Owns("batch/v1", "Job", "JobSet"));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Service", "JobSet"));
  return Status::Ok();
}

}  // namespace skiff::controllers::jobset
