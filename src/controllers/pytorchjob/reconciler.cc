// The PyTorchJob reconciler: reads the job, its Pods and Services from the informer caches,
// asks PlanSync what to do, creates and deletes children, writes status and Events, and deletes
// the job once its TTL has passed.
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "client/client.h"
#include "controllers/pytorchjob/children.h"
#include "controllers/pytorchjob/pytorchjob_controller.h"
#include "controllers/pytorchjob/sync.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::pytorchjob {

namespace {

using std::chrono::milliseconds;

// Pods and Services share names, so expectations key them apart.
std::string PodKey(const std::string& name) { return "pod/" + name; }
std::string ServiceKey(const std::string& name) { return "svc/" + name; }

class PyTorchJobReconciler final : public Reconciler {
 public:
  PyTorchJobReconciler(Manager* mgr, client::Informer* jobs, client::Informer* pods,
                       client::Informer* services)
      : mgr_(mgr), jobs_(jobs), pods_(pods), services_(services) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = jobs_->Get(req.ns, req.name);
    if (!cached) {
      expectations_.Forget(req.Key());
      Forget(req.Key());
      return Result{};
    }
    if (Field(Field(*cached, "metadata"), "deletionTimestamp").is_string()) return Result{};
    // A pod event can run this before the job informer has seen our last status write; the
    // stale status would make the write conflict after the pods were already changed, losing
    // what it recorded (a Restarting condition). Wait for the write's own event instead.
    if (IsSuperseded(req.Key(), MetaString(*cached, "resourceVersion"))) {
      Result r;
      r.requeue_after = std::chrono::seconds(5);
      return r;
    }
    Json job = *cached;  // copy: cached objects are shared and immutable
    job["apiVersion"] = kGroupVersion;
    job["kind"] = kKind;
    SyncInput in;
    in.job = ParsePyTorchJob(job);
    // Another manager (MultiKueue) runs this job; its status is mirrored by that manager.
    if (!in.job.managed_by.empty() && in.job.managed_by != kManagedByTrainingOperator) {
      return Result{};
    }
    const std::string& uid = in.job.uid;
    for (const client::ObjectPtr& p : pods_->ListByOwner(uid)) {
      if (IsControlledBy(*p, uid) && MetaString(*p, "namespace") == req.ns) {
        in.pods.push_back(ParsePod(*p));
      }
    }
    for (const client::ObjectPtr& s : services_->ListByOwner(uid)) {
      if (IsControlledBy(*s, uid) && MetaString(*s, "namespace") == req.ns) {
        in.services.push_back(ParseService(*s));
      }
    }
    // As upstream's expectations: while a create or delete is not yet in the cache, counting
    // pods would be wrong (a deleted failed pod counted twice, a created one missed). The
    // informer event for it requeues the job.
    Expectations::Pending pending = expectations_.Settle(
        req.Key(), [&](const std::string& key) { return InCache(req.ns, key, uid); },
        [&](const std::string& key) { return InCache(req.ns, key, ""); });
    if (!pending.creates.empty() || !pending.deletes.empty()) {
      Result r;
      r.requeue_after = std::chrono::seconds(5);
      return r;
    }
    in.prior = ParseJobStatus(Field(job, "status"));
    in.now = clock_.Now();
    SyncPlan plan = PlanSync(in);

    Status first_error = ApplyDeletes(req, job, plan);
    Status create_error = ApplyCreates(req, job, in.job, plan);
    if (first_error.ok()) first_error = create_error;
    SKIFF_RETURN_IF_ERROR(WriteStatus(req, job, plan));
    ReportExits(req.Key(), job, plan.exits);
    if (plan.delete_job) {
      client::DeleteOptions opts;
      opts.propagation_policy = "Background";
      opts.precondition_uid = uid;
      auto r = mgr_->client().Delete(jobs_->resource(), req.ns, req.name, opts);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
      return Result{};
    }
    if (!first_error.ok()) return first_error;
    Result result;
    result.requeue_after = plan.requeue_after;
    return result;
  }

 private:
  // `key` is PodKey/ServiceKey. With an `owner_uid`, only a child controlled by it counts.
  bool InCache(const std::string& ns, const std::string& key, const std::string& owner_uid) {
    bool pod = key.rfind("pod/", 0) == 0;
    client::ObjectPtr obj = (pod ? pods_ : services_)->Get(ns, key.substr(4));
    return obj && (owner_uid.empty() || IsControlledBy(*obj, owner_uid));
  }

  Status ApplyDeletes(const Request& req, const Json& job, const SyncPlan& plan) {
    Status first_error;
    struct Kind {
      const std::vector<std::string>* names;
      client::Informer* informer;
      std::string (*key)(const std::string&);
      const char* noun;
      const char* reason;
    };
    for (const Kind& k :
         {Kind{&plan.delete_pods, pods_, PodKey, "pod", "Pod"},
          Kind{&plan.delete_services, services_, ServiceKey, "service", "Service"}}) {
      for (const std::string& name : *k.names) {
        expectations_.ExpectDelete(req.Key(), k.key(name));
        auto r = mgr_->client().Delete(k.informer->resource(), req.ns, name);
        if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
          mgr_->events().Event(job, "Warning", std::string("FailedDelete") + k.reason,
                               "Error deleting: " + r.status().message());
          if (first_error.ok()) first_error = r.status();
          continue;
        }
        if (r.ok()) {
          mgr_->events().Event(job, "Normal", std::string("SuccessfulDelete") + k.reason,
                               std::string("Deleted ") + k.noun + ": " + name);
        }
      }
    }
    return first_error;
  }

  Status ApplyCreates(const Request& req, const Json& job, const PyTorchJobView& view,
                      const SyncPlan& plan) {
    client::Client& c = mgr_->client();
    for (const ChildRef& ref : plan.create_pods) {
      const ReplicaSpec* spec = view.Find(ref.type);
      if (!spec) continue;
      if (spec->template_sets_restart_policy) {
        mgr_->events().Event(
            job, "Warning", "SetPodTemplateRestartPolicy",
            "Restart policy in pod template will be overwritten by restart policy in replica spec");
      }
      std::string name = ReplicaName(view.name, ref.type, ref.index);
      auto r = c.Create(pods_->resource(), req.ns, RenderPod(job, view, *spec, ref.index));
      if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
        mgr_->events().Event(job, "Warning", "FailedCreatePod",
                             "Error creating: " + r.status().message());
        return r.status();  // the same error would repeat for every pod; retry with backoff
      }
      expectations_.ExpectCreate(req.Key(), PodKey(name));
      if (r.ok())
        mgr_->events().Event(job, "Normal", "SuccessfulCreatePod", "Created pod: " + name);
    }
    for (const ChildRef& ref : plan.create_services) {
      const ReplicaSpec* spec = view.Find(ref.type);
      if (!spec) continue;
      std::string name = ReplicaName(view.name, ref.type, ref.index);
      auto r = c.Create(services_->resource(), req.ns, RenderService(job, view, *spec, ref.index));
      if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
        mgr_->events().Event(job, "Warning", "FailedCreateService",
                             "Error creating: " + r.status().message());
        return r.status();
      }
      expectations_.ExpectCreate(req.Key(), ServiceKey(name));
      if (r.ok()) {
        mgr_->events().Event(job, "Normal", "SuccessfulCreateService", "Created service: " + name);
      }
    }
    return Status::Ok();
  }

  Status WriteStatus(const Request& req, const Json& job, const SyncPlan& plan) {
    const Json& old_status = Field(job, "status");
    Json status = JobStatusToJson(plan.status, old_status);
    if (status == old_status) return Status::Ok();
    Json updated = job;
    updated["status"] = std::move(status);
    client::WriteOptions opts;
    opts.subresource = "status";
    opts.field_manager = mgr_->options().component;
    auto r = mgr_->client().Replace(jobs_->resource(), req.ns, req.name, updated, opts);
    if (!r.ok()) return r.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      superseded_rv_[req.Key()] = MetaString(job, "resourceVersion");
    }
    // Events only once the status that explains them is stored, so a retried reconcile after a
    // conflict does not repeat them.
    for (const PendingEvent& e : plan.events)
      mgr_->events().Event(job, e.type, e.reason, e.message);
    return Status::Ok();
  }

  // upstream records ExitedWithCode on every reconcile; once per pod says the same.
  void ReportExits(const std::string& key, const Json& job, const std::vector<ExitReport>& exits) {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string>& seen = reported_exits_[key];
    for (const ExitReport& e : exits) {
      if (seen.insert(e.pod_uid).second) {
        mgr_->events().Event(job, "Normal", "ExitedWithCode", e.message);
      }
    }
  }

  // True when the cached job is still the version our last status write replaced.
  bool IsSuperseded(const std::string& key, const std::string& resource_version) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = superseded_rv_.find(key);
    if (it == superseded_rv_.end()) return false;
    if (it->second == resource_version) return true;
    superseded_rv_.erase(it);
    return false;
  }

  void Forget(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    reported_exits_.erase(key);
    superseded_rv_.erase(key);
  }

  Manager* mgr_;
  client::Informer* jobs_;
  client::Informer* pods_;
  client::Informer* services_;
  RealClock clock_;
  Expectations expectations_;
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> reported_exits_;  // guarded by mu_
  std::map<std::string, std::string> superseded_rv_;             // guarded by mu_
};

}  // namespace

Status Register(Manager* mgr) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobs, mgr->informers().ForKind(kGroupVersion, kKind));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, mgr->informers().ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * services, mgr->informers().ForKind("v1", "Service"));
  Controller* c = mgr->NewController(
      "pytorchjob", std::make_unique<PyTorchJobReconciler>(mgr, jobs, pods, services), 2);
  SKIFF_RETURN_IF_ERROR(c->For(kGroupVersion, kKind));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Pod", kKind));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Service", kKind));
  return Status::Ok();
}

}  // namespace skiff::controllers::pytorchjob
