// Pod rendering for the Job controller (kube's getPodFromTemplate plus the
// Indexed additions).
#include "controllers/job/pod_template.h"

#include <nlohmann/json.hpp>
#include <string>

#include "controllers/job/job_view.h"
#include "controllers/runtime/conditions.h"

namespace skiff::controllers::job {

namespace {

// A generated name is the prefix plus 5 random characters and must stay
// within 63.
constexpr size_t kMaxGenerateNamePrefix = 58;

Json& ObjectAt(Json& parent, const char* key) {
  Json& v = parent[key];
  if (!v.is_object()) v = Json::object();
  return v;
}

void AddIndexEnv(Json& containers) {
  if (!containers.is_array()) return;
  for (Json& c : containers) {
    if (!c.is_object()) continue;
    Json& env = c["env"];
    if (!env.is_array()) env = Json::array();
    bool present = false;
    for (const Json& e : env) {
      if (e.is_object() && e.value("name", "") == "JOB_COMPLETION_INDEX") present = true;
    }
    if (present) continue;
    env.push_back({{"name", "JOB_COMPLETION_INDEX"},
                   {"valueFrom",
                    {{"fieldRef",
                      {{"apiVersion", "v1"},
                       {"fieldPath",
                        std::string("metadata.annotations['") + kCompletionIndexKey + "']"}}}}}});
  }
}

}  // namespace

Json RenderPod(const Json& job, int64_t index) {
  Json owner = job;
  owner["apiVersion"] = "batch/v1";
  owner["kind"] = "Job";
  const Json& meta =
      job.contains("metadata") && job["metadata"].is_object() ? job["metadata"] : Json::object();
  std::string job_name = meta.value("name", "");
  Json tmpl = Json::object();
  if (job.contains("spec") && job["spec"].is_object() && job["spec"].contains("template") &&
      job["spec"]["template"].is_object()) {
    tmpl = job["spec"]["template"];
  }
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  Json pmeta = Json::object();
  if (tmpl.contains("metadata") && tmpl["metadata"].is_object()) {
    const Json& tm = tmpl["metadata"];
    if (tm.contains("labels") && tm["labels"].is_object()) pmeta["labels"] = tm["labels"];
    if (tm.contains("annotations") && tm["annotations"].is_object()) {
      pmeta["annotations"] = tm["annotations"];
    }
    if (tm.contains("finalizers") && tm["finalizers"].is_array()) {
      pmeta["finalizers"] = tm["finalizers"];
    }
  }
  pmeta["namespace"] = meta.value("namespace", "");
  pmeta["ownerReferences"] = Json::array({ControllerRef(owner)});
  Json spec = tmpl.contains("spec") && tmpl["spec"].is_object() ? tmpl["spec"] : Json::object();

  std::string prefix = job_name;
  if (index >= 0) {
    std::string idx = std::to_string(index);
    ObjectAt(pmeta, "annotations")[kCompletionIndexKey] = idx;
    ObjectAt(pmeta, "labels")[kCompletionIndexKey] = idx;
    spec["hostname"] = job_name + "-" + idx;
    AddIndexEnv(spec["containers"]);
    if (spec.contains("initContainers")) AddIndexEnv(spec["initContainers"]);
    std::string suffix = "-" + idx;
    if (prefix.size() + suffix.size() + 1 > kMaxGenerateNamePrefix) {
      prefix.resize(kMaxGenerateNamePrefix - suffix.size() - 1);
    }
    prefix += suffix;
  } else if (prefix.size() + 1 > kMaxGenerateNamePrefix) {
    prefix.resize(kMaxGenerateNamePrefix - 1);
  }
  pmeta["generateName"] = prefix + "-";
  pod["metadata"] = std::move(pmeta);
  pod["spec"] = std::move(spec);
  return pod;
}

}  // namespace skiff::controllers::job
