// Job integrations: pod sets, suspend/finish state and the start/stop edits per kind.
#include "controllers/kueue/jobs.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::kueue {
namespace {

int64_t IntOr(const Json& v, int64_t def) { return v.is_number_integer() ? v.get<int64_t>() : def; }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Where each pod set's pod template lives in the job, by pod set name.
struct TemplateRef {
  std::string name;
  Json::json_pointer pointer;  // to the PodTemplateSpec
  int64_t count = 1;
};

std::vector<TemplateRef> TemplatesOf(const std::string& kind, const Json& job) {
  std::vector<TemplateRef> out;
  const Json& spec = Field(job, "spec");
  if (kind == "Job") {
    int64_t par = IntOr(Field(spec, "parallelism"), 1);
    const Json& comp = Field(spec, "completions");
    int64_t count = comp.is_number_integer() ? std::min(par, comp.get<int64_t>()) : par;
    out.push_back({"main", Json::json_pointer("/spec/template"), count});
  } else if (kind == "JobSet") {
    const Json& rjobs = Field(spec, "replicatedJobs");
    for (size_t i = 0; rjobs.is_array() && i < rjobs.size(); ++i) {
      const Json& jspec = Field(Field(rjobs[i], "template"), "spec");
      int64_t par = IntOr(Field(jspec, "parallelism"), 1);
      const Json& comp = Field(jspec, "completions");
      if (comp.is_number_integer()) par = std::min(par, comp.get<int64_t>());
      out.push_back({StringField(rjobs[i], "name"),
                     Json::json_pointer("/spec/replicatedJobs/" + std::to_string(i) +
                                        "/template/spec/template"),
                     IntOr(Field(rjobs[i], "replicas"), 1) * par});
    }
  } else if (kind == "PyTorchJob") {
    const Json& specs = Field(spec, "pytorchReplicaSpecs");
    for (const char* type : {"Master", "Worker"}) {
      if (!Field(specs, type).is_object()) continue;
      out.push_back({Lower(type),
                     Json::json_pointer(std::string("/spec/pytorchReplicaSpecs/") + type +
                                        "/template"),
                     IntOr(Field(specs[type], "replicas"), 1)});
    }
  }
  return out;
}

Json::json_pointer SuspendPointer(const std::string& kind) {
  return Json::json_pointer(kind == "PyTorchJob" ? "/spec/runPolicy/suspend" : "/spec/suspend");
}

bool ConditionTrue(const Json& job, const char* type) {
  return IsConditionTrue(Field(Field(job, "status"), "conditions"), type);
}

std::string ConditionMessage(const Json& job, const char* type) {
  const Json* c = FindCondition(Field(Field(job, "status"), "conditions"), type);
  return c ? StringField(*c, "message") : "";
}

void ApplyStart(Json& pod_template, const PodSetStart& s) {
  Json& pspec = pod_template["spec"];
  if (!s.node_selector.empty()) {
    Json& ns = pspec["nodeSelector"];
    if (!ns.is_object()) ns = Json::object();
    for (auto it = s.node_selector.begin(); it != s.node_selector.end(); ++it) ns[it.key()] = *it;
  }
  if (!s.tolerations.empty()) {
    Json& tol = pspec["tolerations"];
    if (!tol.is_array()) tol = Json::array();
    for (const Json& t : s.tolerations) tol.push_back(t);
  }
}

}  // namespace

const std::vector<JobKind>& ManagedKinds() {
  static const std::vector<JobKind> kKinds = {
      {"batch/v1", "Job", "job"},
      {"jobset.x-k8s.io/v1alpha2", "JobSet", "jobset"},
      {"trainer.kubeflow.org/v1alpha1", "TrainJob", "trainjob"},
      {"kubeflow.org/v1", "PyTorchJob", "pytorchjob"},
  };
  return kKinds;
}

std::string WorkloadName(const JobKind& kind, const std::string& name, const std::string& uid) {
  std::string group = kind.api_version.substr(0, kind.api_version.rfind('/'));
  std::string input = name + "/" + uid + "/" + group + "/" + kind.kind;
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string hash;
  for (int i = 0; i < 3; ++i) hash += std::string{kHex[md[i] >> 4], kHex[md[i] & 15]};
  hash.resize(5);
  std::string prefix = kind.prefix + "-" + name;
  if (prefix.size() > 253 - 6) prefix.resize(253 - 6);
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.')) prefix.pop_back();
  return prefix + "-" + hash;
}

bool IsSuspended(const JobKind& kind, const Json& job) {
  Json::json_pointer p = SuspendPointer(kind.kind);
  return job.contains(p) && job.at(p) == true;
}

std::optional<Finished> FinishedOf(const JobKind& kind, const Json& job) {
  const char* ok = kind.kind == "Job"          ? "Complete"
                   : kind.kind == "JobSet"     ? "Completed"
                   : kind.kind == "TrainJob"   ? "Complete"
                                               : "Succeeded";
  if (ConditionTrue(job, ok)) return Finished{true, "Succeeded", ConditionMessage(job, ok)};
  if (ConditionTrue(job, "Failed")) {
    return Finished{false, "Failed", ConditionMessage(job, "Failed")};
  }
  return std::nullopt;
}

StatusOr<Json> PodSetsOf(const JobKind& kind, const Json& job, const Json* child_jobset) {
  const Json* src = &job;
  std::string k = kind.kind;
  if (k == "TrainJob") {
    if (!child_jobset) return NotFound("the TrainJob's JobSet does not exist yet");
    src = child_jobset;
    k = "JobSet";
  }
  Json out = Json::array();
  for (const TemplateRef& t : TemplatesOf(k, *src)) {
    if (!src->contains(t.pointer)) continue;
    Json ps = {{"name", t.name}, {"count", t.count}, {"template", src->at(t.pointer)}};
    if (k == "Job") {
      std::string min = StringField(Field(Field(job, "metadata"), "annotations"),
                                    "kueue.x-k8s.io/job-min-parallelism");
      if (!min.empty() && min.find_first_not_of("0123456789") == std::string::npos &&
          min.size() < 9) {
        ps["minCount"] = std::stoll(min);
      }
    }
    out.push_back(std::move(ps));
  }
  if (out.empty()) return InvalidArgument(kind.kind + " has no pod templates");
  return out;
}

StatusOr<std::vector<PodSetStart>> PodSetStartsOf(
    const Json& admission, const std::function<std::optional<Json>(const std::string&)>& flavor,
    std::string* flavors_used) {
  std::vector<PodSetStart> starts;
  for (const Json& psa : Field(admission, "podSetAssignments")) {
    PodSetStart s;
    s.name = StringField(psa, "name");
    if (Field(psa, "count").is_number_integer()) s.count = psa["count"].get<int64_t>();
    std::set<std::string> seen;
    const Json& fl = Field(psa, "flavors");
    for (auto it = fl.begin(); fl.is_object() && it != fl.end(); ++it) {
      if (!it->is_string() || !seen.insert(it->get<std::string>()).second) continue;
      std::optional<Json> rf = flavor(it->get<std::string>());
      if (!rf) return FailedPrecondition("ResourceFlavor " + it->get<std::string>() + " not found");
      const Json& rspec = Field(*rf, "spec");
      const Json& labels = Field(rspec, "nodeLabels");
      for (auto l = labels.begin(); labels.is_object() && l != labels.end(); ++l) {
        s.node_selector[l.key()] = *l;
      }
      for (const Json& t : Field(rspec, "tolerations")) s.tolerations.push_back(t);
      if (flavors_used) {
        *flavors_used += (flavors_used->empty() ? "" : ", ") + it->get<std::string>();
      }
    }
    starts.push_back(std::move(s));
  }
  return starts;
}

Json StartedJob(const JobKind& kind, const Json& job, const std::vector<PodSetStart>& podsets) {
  Json out = job;
  if (kind.kind == "TrainJob") {
    Json rjobs = Json::array();
    for (const PodSetStart& s : podsets) {
      Json pt = Json::object();
      ApplyStart(pt, s);
      if (pt["spec"].empty()) continue;
      Json r = {{"name", s.name}};
      r["template"]["spec"]["template"] = std::move(pt);
      rjobs.push_back(std::move(r));
    }
    Json& patches = out["spec"]["runtimePatches"];
    if (!patches.is_array()) patches = Json::array();
    for (auto it = patches.begin(); it != patches.end();) {
      it = StringField(*it, "manager") == kKueueManager ? patches.erase(it) : it + 1;
    }
    if (!rjobs.empty()) {
      Json entry = {{"manager", kKueueManager}};
      entry["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"] = std::move(rjobs);
      patches.push_back(std::move(entry));
    }
    if (patches.empty()) out["spec"].erase("runtimePatches");
    out["spec"]["suspend"] = false;
    return out;
  }
  for (const TemplateRef& t : TemplatesOf(kind.kind, job)) {
    for (const PodSetStart& s : podsets) {
      if (s.name != t.name || !out.contains(t.pointer)) continue;
      ApplyStart(out[t.pointer], s);
      if (s.count >= 0 && s.count < t.count && kind.kind == "Job") {
        out["spec"]["parallelism"] = s.count;
      }
    }
  }
  out[SuspendPointer(kind.kind)] = false;
  return out;
}

Json StoppedJob(const JobKind& kind, const Json& job, const Json& workload_podsets) {
  Json out = job;
  out[SuspendPointer(kind.kind)] = true;
  if (kind.kind == "TrainJob") {
    Json& patches = out["spec"]["runtimePatches"];
    if (patches.is_array()) {
      for (auto it = patches.begin(); it != patches.end();) {
        it = StringField(*it, "manager") == kKueueManager ? patches.erase(it) : it + 1;
      }
      if (patches.empty()) out["spec"].erase("runtimePatches");
    }
    return out;
  }
  for (const TemplateRef& t : TemplatesOf(kind.kind, job)) {
    if (!out.contains(t.pointer)) continue;
    for (const Json& ps : workload_podsets) {
      if (StringField(ps, "name") != t.name) continue;
      const Json& original = Field(Field(ps, "template"), "spec");
      Json& pspec = out[t.pointer]["spec"];
      for (const char* f : {"nodeSelector", "tolerations"}) {
        if (Field(original, f).is_null()) {
          pspec.erase(f);
        } else {
          pspec[f] = original[f];
        }
      }
      if (kind.kind == "Job") {
        int64_t want = IntOr(Field(ps, "count"), 1);
        if (IntOr(Field(out["spec"], "parallelism"), 1) < want) out["spec"]["parallelism"] = want;
      }
    }
  }
  return out;
}

bool PodsReady(const JobKind& kind, const Json& job) {
  const Json& st = Field(job, "status");
  if (kind.kind == "Job") {
    int64_t want = 1;
    for (const TemplateRef& t : TemplatesOf("Job", job)) want = t.count;
    return IntOr(Field(st, "ready"), 0) + IntOr(Field(st, "succeeded"), 0) >= want;
  }
  const Json& list = kind.kind == "JobSet" ? Field(st, "replicatedJobsStatus")
                                           : Field(st, "jobsStatus");
  if (kind.kind == "JobSet" || kind.kind == "TrainJob") {
    if (!list.is_array() || list.empty()) return false;
    for (const Json& r : list) {
      // A replicated job is ready when its Jobs are ready or done; counts are per Job.
      if (IntOr(Field(r, "ready"), 0) + IntOr(Field(r, "succeeded"), 0) < 1) return false;
    }
    return true;
  }
  // PyTorchJob: every replica type has all its pods active or succeeded.
  const Json& rs = Field(st, "replicaStatuses");
  for (const TemplateRef& t : TemplatesOf("PyTorchJob", job)) {
    std::string type = t.name == "master" ? "Master" : "Worker";
    const Json& s = Field(rs, type.c_str());
    if (IntOr(Field(s, "active"), 0) + IntOr(Field(s, "succeeded"), 0) < t.count) return false;
  }
  return true;
}

}  // namespace skiff::controllers::kueue
