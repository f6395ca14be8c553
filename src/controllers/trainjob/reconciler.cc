// The TrainJob reconciler: runtime resolution and snapshot, JobSet create/suspend/resume,
// status mirroring, activeDeadlineSeconds, the reproducibility record; built-in
// ClusterTrainingRuntimes are kept present by runtime/builtin_objects.
#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "base/time.h"
#include "client/client.h"
#include "controllers/runtime/builtin_objects.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/trainjob/build.h"
#include "controllers/trainjob/builtin_runtimes.h"
#include "controllers/trainjob/trainjob_controller.h"

namespace skiff::controllers::trainjob {
namespace {

using std::chrono::milliseconds;

constexpr char kTrainJobApiVersion[] = "trainer.kubeflow.org/v1alpha1";
constexpr char kJobSetName[] = "jobset.sigs.k8s.io/jobset-name";
constexpr char kFunctionDigestAnnotation[] = "trainer.skiff.dev/function-digest";
constexpr char kSnapshotKey[] = "runtime";
// On the JobSet: digest of the replicatedJobs it was built with, so a suspended JobSet is only
// rewritten when the TrainJob (or its runtimePatches) changed.
constexpr char kSpecHashAnnotation[] = "trainer.skiff.dev/spec-hash";

std::string SpecHash(const Json& jobset) {
  return ContentDigest(DumpJson(Field(Field(jobset, "spec"), "replicatedJobs")));
}

struct PendingEvent {
  std::string type, reason, message;
};

std::string SnapshotName(const std::string& job) { return job + "-runtime-snapshot"; }

// A pod of the JobSet that failed, for messages that name it: "pod x (container node exited
// with code 1)". Empty when none is known.
std::string DescribeFailedPod(const std::vector<client::ObjectPtr>& pods) {
  for (const client::ObjectPtr& p : pods) {
    const Json& st = Field(*p, "status");
    for (const Json& cs : Field(st, "containerStatuses")) {
      for (const char* which : {"state", "lastState"}) {
        const Json& term = Field(Field(cs, which), "terminated");
        if (!term.is_object()) continue;
        int64_t code = Field(term, "exitCode").is_number() ? term["exitCode"].get<int64_t>() : 0;
        if (code == 0) continue;
        std::string reason = StringField(term, "reason");
        return "pod " + MetaString(*p, "name") + ": container " + StringField(cs, "name") +
               " exited with code " + std::to_string(code) +
               (reason.empty() || reason == "Error" ? "" : " (" + reason + ")");
      }
    }
    if (StringField(st, "phase") == "Failed") {
      return "pod " + MetaString(*p, "name") + " failed" +
             (StringField(st, "reason").empty() ? "" : ": " + StringField(st, "reason"));
    }
  }
  return "";
}

class TrainJobReconciler final : public Reconciler {
 public:
  TrainJobReconciler(Manager* mgr, client::Informer* trainjobs, client::Informer* jobsets,
                     client::Informer* runtimes, client::Informer* cluster_runtimes,
                     client::Informer* pods, client::ResourceInfo configmaps)
      : mgr_(mgr),
        trainjobs_(trainjobs),
        jobsets_(jobsets),
        runtimes_(runtimes),
        cluster_runtimes_(cluster_runtimes),
        pods_(pods),
        configmaps_(std::move(configmaps)),
        events_(&mgr->EventsFor("trainjob-controller")) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr cached = trainjobs_->Get(req.ns, req.name);
    if (!cached) return Result{};
    if (Field(Field(*cached, "metadata"), "deletionTimestamp").is_string()) return Result{};
    Json tj = *cached;
    tj["apiVersion"] = kTrainJobApiVersion;
    tj["kind"] = "TrainJob";
    const Json& spec = Field(tj, "spec");
    std::string managed_by = StringField(spec, "managedBy");
    if (!managed_by.empty() && managed_by != kControllerName) return Result{};

    const Json& old_status = Field(tj, "status");
    Json status = old_status.is_object() ? old_status : Json::object();
    Json& conds = status["conditions"];
    if (!conds.is_array()) conds = Json::array();
    std::string now = NowRfc3339();
    std::vector<PendingEvent> events;
    bool suspend = Field(spec, "suspend") == true;

    bool finished = IsConditionTrue(conds, "Complete") || IsConditionTrue(conds, "Failed");
    client::ObjectPtr js_obj = jobsets_->Get(req.ns, req.name);
    if (js_obj && !IsControlledBy(*js_obj, MetaString(tj, "uid"))) {
      events_->Event(tj, "Warning", "TrainJobResourcesCreationFailed",
                     "JobSet " + req.name + " exists and is not owned by this TrainJob");
      return Result{};
    }

    // Suspended / Resumed.
    if (suspend) {
      if (SetCondition(&conds, {"Suspended", "True", "Suspended", "TrainJob is suspended"}, now)) {
        events.push_back({"Normal", "Suspended", "TrainJob is suspended"});
      }
    } else if (IsConditionTrue(conds, "Suspended")) {
      SetCondition(&conds, {"Suspended", "False", "Resumed", "TrainJob is resumed"}, now);
      events.push_back({"Normal", "Resumed", "TrainJob is resumed"});
    }

    Result result;
    if (!finished) {
      StatusOr<Json> runtime = ResolveRuntime(tj, &conds, now, &events);
      if (!runtime.ok()) {
        if (runtime.status().code() != StatusCode::kFailedPrecondition) return runtime.status();
        finished = true;  // a terminal condition was set
      } else if (!js_obj) {
        // Past its deadline a TrainJob never (re)creates its JobSet: the cache may show the
        // JobSet deleted by EnforceDeadline before it shows the Failed status that explains it.
        if (!suspend) {
          SKIFF_ASSIGN_OR_RETURN(result, EnforceDeadline(tj, conds, now, &events, &finished));
        }
        if (!finished) {
          SKIFF_RETURN_IF_ERROR(CreateJobSet(tj, *runtime, &conds, now, &events, &finished));
        }
      } else {
        SKIFF_RETURN_IF_ERROR(SyncSuspend(tj, *js_obj, *runtime, suspend));
      }
    }

    if (js_obj) {
      const Json& js_status = Field(*js_obj, "status");
      Json jobs_status = Json::array();
      for (const Json& r : Field(js_status, "replicatedJobsStatus")) {
        jobs_status.push_back({{"name", StringField(r, "name")},
                               {"ready", Field(r, "ready").is_number() ? r["ready"] : Json(0)},
                               {"succeeded", Field(r, "succeeded").is_number() ? r["succeeded"] : Json(0)},
                               {"failed", Field(r, "failed").is_number() ? r["failed"] : Json(0)},
                               {"active", Field(r, "active").is_number() ? r["active"] : Json(0)},
                               {"suspended", Field(r, "suspended").is_number() ? r["suspended"] : Json(0)}});
      }
      if (!jobs_status.empty()) status["jobsStatus"] = std::move(jobs_status);
      const Json& js_conds = Field(js_status, "conditions");
      if (!finished) {
        if (const Json* c = FindCondition(js_conds, "Completed");
            c && StringField(*c, "status") == "True") {
          std::string msg = StringField(*c, "message");
          if (SetCondition(&conds, {"Complete", "True", StringField(*c, "reason"), msg}, now)) {
            events.push_back({"Normal", "Completed", "TrainJob completed: " + msg});
          }
          finished = true;
        } else if (const Json* f = FindCondition(js_conds, "Failed");
                   f && StringField(*f, "status") == "True") {
          std::string msg = StringField(*f, "message");
          std::string pod = DescribeFailedPod(PodsOf(req));
          if (!pod.empty()) msg += " (" + pod + ")";
          if (SetCondition(&conds, {"Failed", "True", StringField(*f, "reason"), msg}, now)) {
            events.push_back({"Warning", "Failed", "TrainJob failed: " + msg});
          }
          finished = true;
        }
      }
      if (!finished && !suspend) {
        SKIFF_ASSIGN_OR_RETURN(result, EnforceDeadline(tj, conds, now, &events, &finished));
      }
      SKIFF_RETURN_IF_ERROR(UpdateRecord(tj, req));
    }
    SKIFF_RETURN_IF_ERROR(WriteStatus(req, tj, old_status, std::move(status), events));
    return result;
  }

 private:
  std::vector<client::ObjectPtr> PodsOf(const Request& req) {
    std::vector<client::ObjectPtr> out;
    for (const client::ObjectPtr& p : pods_->List(req.ns)) {
      if (StringField(Field(Field(*p, "metadata"), "labels"), kJobSetName) == req.name) {
        out.push_back(p);
      }
    }
    return out;
  }

  // The runtime to build from: the snapshot taken at the first reconcile when there is one
  // (later runtime edits do not change a running job, as Trainer v2.3), else the live object.
  // FailedPrecondition after setting a terminal Failed condition.
  StatusOr<Json> ResolveRuntime(const Json& tj, Json* conds, const std::string& now,
                                std::vector<PendingEvent>* events) {
    const Json& ref = Field(Field(tj, "spec"), "runtimeRef");
    std::string group = StringField(ref, "apiGroup", kTrainerGroup);
    std::string kind = StringField(ref, "kind", "ClusterTrainingRuntime");
    std::string name = StringField(ref, "name");
    auto fail = [&](const std::string& reason, const std::string& msg) -> Status {
      if (SetCondition(conds, {"Failed", "True", reason, msg}, now)) {
        events->push_back({"Warning", reason, msg});
      }
      return FailedPrecondition(msg);
    };
    if (group != kTrainerGroup || (kind != "ClusterTrainingRuntime" && kind != "TrainingRuntime")) {
      return fail("TrainingRuntimeNotSupported",
                  "runtimeRef " + group + "/" + kind + " is not supported");
    }
    std::string ns = MetaString(tj, "namespace");
    auto snap = mgr_->client().Get(configmaps_, ns, SnapshotName(MetaString(tj, "name")));
    if (snap.ok() && IsControlledBy(*snap, MetaString(tj, "uid"))) {
      auto parsed = ParseJson(StringField(Field(*snap, "data"), kSnapshotKey));
      if (parsed.ok()) return std::move(*parsed);
    }
    client::ObjectPtr rt = kind == "TrainingRuntime" ? runtimes_->Get(ns, name)
                                                     : cluster_runtimes_->Get("", name);
    if (!rt) {
      events_->Event(tj, "Warning", "TrainingRuntimeNotFound",
                     kind + " " + name + " not found; waiting for it to be created");
      return NotFound(kind + " " + name + " not found");
    }
    std::string missing =
        StringField(Field(Field(*rt, "metadata"), "annotations"), kUnavailableAnnotation);
    if (!missing.empty()) {
      return fail("TrainingRuntimeNotSupported",
                  kind + " " + name + " cannot run on this host: " + missing);
    }
    Json runtime = *rt;
    runtime["apiVersion"] = kTrainJobApiVersion;
    runtime["kind"] = kind;
    return runtime;
  }

  Status SaveSnapshot(const Json& tj, const Json& runtime) {
    Json data = Json::object();
    data[kSnapshotKey] = DumpJson(runtime);
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", SnapshotName(MetaString(tj, "name"))},
                 {"namespace", MetaString(tj, "namespace")},
                 {"labels", {{"trainer.kubeflow.org/trainjob-name", MetaString(tj, "name")}}},
                 {"ownerReferences", Json::array({ControllerRef(tj)})}}},
               {"data", std::move(data)}};
    auto r = mgr_->client().Create(configmaps_, MetaString(tj, "namespace"), cm);
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
    return Status::Ok();
  }

  Status CreateJobSet(const Json& tj, const Json& runtime, Json* conds, const std::string& now,
                      std::vector<PendingEvent>* events, bool* finished) {
    StatusOr<BuildResult> built = BuildJobSet(tj, runtime);
    if (!built.ok()) {
      std::string msg = built.status().message();
      std::string reason = msg.find("ML policy is not supported") != std::string::npos
                               ? "TrainingRuntimeNotSupported"
                           : msg.rfind("initializer.", 0) == 0 ? "InitializerNotSupported"
                                                               : "TrainJobResourcesCreationFailed";
      if (SetCondition(conds, {"Failed", "True", reason, msg}, now)) {
        events->push_back({"Warning", reason, msg});
      }
      *finished = true;
      return Status::Ok();
    }
    SKIFF_RETURN_IF_ERROR(SaveSnapshot(tj, runtime));
    built->jobset["metadata"]["annotations"][kSpecHashAnnotation] = SpecHash(built->jobset);
    auto r = mgr_->client().Create(jobsets_->resource(), MetaString(tj, "namespace"),
                                   built->jobset);
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
      std::string msg = r.status().message();
      if (msg.size() > 950) msg.resize(950);
      events_->Event(tj, "Warning", "TrainJobResourcesCreationFailed", msg);
      return r.status();
    }
    if (r.ok()) {
      events->push_back({"Normal", "JobSetCreated",
                         "Created JobSet " + MetaString(tj, "name") + " with " +
                             std::to_string(built->num_nodes) + " node(s) from " +
                             StringField(runtime, "kind") + " " + MetaString(runtime, "name")});
      SKIFF_RETURN_IF_ERROR(WriteRecord(tj, runtime, built->jobset, built->trainer_job));
    }
    return Status::Ok();
  }

  // Suspend propagates at once. While both are suspended the JobSet's template follows the
  // TrainJob (Kueue adds nodeSelectors through runtimePatches before it resumes); a running
  // JobSet is never rewritten.
  Status SyncSuspend(const Json& tj, const Json& js, const Json& runtime, bool suspend) {
    bool js_suspended = Field(Field(js, "spec"), "suspend") == true;
    if (suspend && !js_suspended) {
      return PatchJobSet(js, Json{{"spec", {{"suspend", true}}}});
    }
    if (!js_suspended) return Status::Ok();
    StatusOr<BuildResult> built = BuildJobSet(tj, runtime);
    if (!built.ok()) return Status::Ok();  // reported when the JobSet was first built
    std::string hash = SpecHash(built->jobset);
    if (StringField(Field(Field(js, "metadata"), "annotations"), kSpecHashAnnotation) == hash &&
        suspend) {
      return Status::Ok();
    }
    Json updated = js;
    updated["spec"]["replicatedJobs"] = built->jobset["spec"]["replicatedJobs"];
    updated["spec"]["suspend"] = suspend;
    updated["metadata"]["annotations"][kSpecHashAnnotation] = hash;
    client::WriteOptions opts;
    opts.field_manager = "trainer";
    auto r = mgr_->client().Replace(jobsets_->resource(), MetaString(js, "namespace"),
                                    MetaString(js, "name"), updated, opts);
    return r.ok() ? Status::Ok() : r.status();
  }

  Status PatchJobSet(const Json& js, const Json& patch) {
    client::PatchOptions opts;
    opts.type = client::PatchType::kMerge;
    opts.field_manager = "trainer";
    auto r = mgr_->client().Patch(jobsets_->resource(), MetaString(js, "namespace"),
                                  MetaString(js, "name"), DumpJson(patch), opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Status::Ok();
  }

  // activeDeadlineSeconds counts from creation, or from the last resume.
  StatusOr<Result> EnforceDeadline(const Json& tj, Json& conds, const std::string& now,
                                   std::vector<PendingEvent>* events, bool* finished) {
    const Json& d = Field(Field(tj, "spec"), "activeDeadlineSeconds");
    if (!d.is_number_integer()) return Result{};
    std::string start = MetaString(tj, "creationTimestamp");
    if (const Json* s = FindCondition(conds, "Suspended");
        s && StringField(*s, "status") == "False") {
      start = StringField(*s, "lastTransitionTime", start);
    }
    auto t0 = ParseRfc3339(start);
    if (!t0.ok()) return Result{};
    SystemTime deadline = *t0 + std::chrono::seconds(d.get<int64_t>());
    SystemTime t = std::chrono::system_clock::now();
    if (t < deadline) {
      Result r;
      r.requeue_after = std::chrono::duration_cast<milliseconds>(deadline - t) + milliseconds(1);
      return r;
    }
    std::string msg = "TrainJob exceeded its active deadline";
    if (SetCondition(&conds, {"Failed", "True", "DeadlineExceeded", msg}, now)) {
      events->push_back({"Warning", "DeadlineExceeded", msg});
    }
    *finished = true;
    client::DeleteOptions opts;
    opts.propagation_policy = "Foreground";
    auto r = mgr_->client().Delete(jobsets_->resource(), MetaString(tj, "namespace"),
                                   MetaString(tj, "name"), opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Result{};
  }

  // The reproducibility record: which runtime (and its digest), image, command and code ran,
  // from which data. Written once with the JobSet; the node's executables are added when the
  // first pod has started (its imageID says which program the image mapped to).
  Status WriteRecord(const Json& tj, const Json& runtime, const Json& jobset,
                     const std::string& trainer_job) {
    const Json* node = nullptr;
    for (const Json& r : Field(Field(jobset, "spec"), "replicatedJobs")) {
      if (StringField(r, "name") != trainer_job) continue;
      for (const Json& c : Field(Field(Field(Field(Field(r, "template"), "spec"), "template"),
                                       "spec"),
                                 "containers")) {
        if (StringField(c, "name") == kNodeContainer) node = &c;
      }
    }
    Json record = Json::object();
    record["runtime"] = {{"kind", StringField(runtime, "kind")},
                         {"name", MetaString(runtime, "name")},
                         {"uid", MetaString(runtime, "uid")},
                         {"resourceVersion", MetaString(runtime, "resourceVersion")},
                         {"digest", ContentDigest(DumpJson(Field(runtime, "spec")))}};
    if (node) {
      record["image"] = StringField(*node, "image");
      Json cmd = Field(*node, "command").is_array() ? (*node)["command"] : Json::array();
      Json args = Field(*node, "args").is_array() ? (*node)["args"] : Json::array();
      record["command"] = cmd;
      record["args"] = args;
      record["codeDigest"] = ContentDigest(DumpJson(cmd) + DumpJson(args));
    }
    std::string fn =
        StringField(Field(Field(tj, "metadata"), "annotations"), kFunctionDigestAnnotation);
    if (!fn.empty()) record["functionDigest"] = fn;
    const Json& init = Field(Field(tj, "spec"), "initializer");
    for (const char* k : {"dataset", "model"}) {
      std::string uri = StringField(Field(init, k), "storageUri");
      if (!uri.empty()) record["initializers"][k] = uri;
    }
    return PatchRecord(tj, record);
  }

  Status UpdateRecord(const Json& tj, const Request& req) {
    std::string text = StringField(Field(Field(tj, "metadata"), "annotations"), kRecordAnnotation);
    if (text.empty()) return Status::Ok();
    auto record = ParseJson(text);
    if (!record.ok() || !record->is_object() || record->contains("executables")) {
      return Status::Ok();
    }
    Json exes = Json::object();
    for (const client::ObjectPtr& p : PodsOf(req)) {
      for (const Json& cs : Field(Field(*p, "status"), "containerStatuses")) {
        std::string id = StringField(cs, "imageID");
        const std::string prefix = "skiff-local://";
        if (id.rfind(prefix, 0) == 0) exes[StringField(cs, "name")] = id.substr(prefix.size());
      }
    }
    if (exes.empty()) return Status::Ok();
    (*record)["executables"] = std::move(exes);
    return PatchRecord(tj, *record);
  }

  Status PatchRecord(const Json& tj, const Json& record) {
    Json patch = {{"metadata", {{"annotations", {{kRecordAnnotation, DumpJson(record)}}}}}};
    client::PatchOptions opts;
    opts.type = client::PatchType::kMerge;
    opts.field_manager = "trainer";
    auto r = mgr_->client().Patch(trainjobs_->resource(), MetaString(tj, "namespace"),
                                  MetaString(tj, "name"), DumpJson(patch), opts);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Status::Ok();
  }

  Status WriteStatus(const Request& req, const Json& tj, const Json& old_status, Json status,
                     const std::vector<PendingEvent>& events) {
    if (status.contains("conditions") && status["conditions"].empty()) status.erase("conditions");
    if (status == old_status || (status.empty() && old_status.is_null())) return Status::Ok();
    Json updated = tj;
    updated["status"] = std::move(status);
    client::WriteOptions opts;
    opts.subresource = "status";
    opts.field_manager = "trainer";
    auto r = mgr_->client().Replace(trainjobs_->resource(), req.ns, req.name, updated, opts);
    if (!r.ok()) return r.status();
    for (const PendingEvent& e : events) events_->Event(tj, e.type, e.reason, e.message);
    return Status::Ok();
  }

  Manager* mgr_;
  client::Informer* trainjobs_;
  client::Informer* jobsets_;
  client::Informer* runtimes_;
  client::Informer* cluster_runtimes_;
  client::Informer* pods_;
  client::ResourceInfo configmaps_;
  EventRecorder* events_;
};

}  // namespace

Status Register(Manager* mgr) {
  auto& inf = mgr->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * trainjobs, inf.ForKind(kTrainJobApiVersion, "TrainJob"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * jobsets,
                         inf.ForKind("jobset.x-k8s.io/v1alpha2", "JobSet"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * runtimes,
                         inf.ForKind(kTrainJobApiVersion, "TrainingRuntime"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * cluster_runtimes,
                         inf.ForKind(kTrainJobApiVersion, "ClusterTrainingRuntime"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, inf.ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo configmaps,
                         mgr->client().discovery().ResolveKind("v1", "ConfigMap"));
  Controller* c = mgr->NewController(
      "trainjob",
      std::make_unique<TrainJobReconciler>(mgr, trainjobs, jobsets, runtimes, cluster_runtimes,
                                           pods, configmaps),
      2);
  SKIFF_RETURN_IF_ERROR(c->For(kTrainJobApiVersion, "TrainJob"));
  SKIFF_RETURN_IF_ERROR(c->Owns("jobset.x-k8s.io/v1alpha2", "JobSet", "TrainJob"));
  // Pod changes feed the failure message and the record's executables.
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Pod", [](const Json& pod) {
    std::vector<Request> out;
    std::string js = StringField(Field(Field(pod, "metadata"), "labels"), kJobSetName);
    if (!js.empty()) out.push_back(Request{MetaString(pod, "namespace"), js});
    return out;
  }));

  return RegisterBuiltinObjects(mgr, "trainingruntimes", kTrainJobApiVersion, "ClusterTrainingRuntime", BuiltinRuntimes());
}

}  // namespace skiff::controllers::trainjob
