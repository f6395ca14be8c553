// TrainJob admission, as Kubeflow Trainer's webhook and CEL rules do it: the v2.0/v2.1 spec
// shapes normalised into v2.2 runtimePatches, then validation (runtimeRef must exist, numNodes
// and numProcPerNode >= 1, no reserved PET_ env, immutable fields, patch managers).
#include "apiserver/trainer_admission.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace skiff::apiserver {
namespace {

constexpr char kGroup[] = "trainer.kubeflow.org";
constexpr char kLegacyManager[] = "trainer.kubeflow.org/legacy-overrides";

const Json& At(const Json& obj, const char* key) {
  static const Json kNull;
  return obj.is_object() && obj.contains(key) ? obj[key] : kNull;
}

// One v2.0 podSpecOverride / v2.1 podTemplateOverride → the replicatedJobs patch entries.
Json ReplicatedJobPatches(const Json& override_item, bool v21) {
  Json pod_template = Json::object();
  if (v21) {
    if (At(override_item, "metadata").is_object()) pod_template["metadata"] = override_item["metadata"];
    if (At(override_item, "spec").is_object()) pod_template["spec"] = override_item["spec"];
  } else {
    Json spec = override_item;
    spec.erase("targetJobs");
    pod_template["spec"] = std::move(spec);
  }
  Json out = Json::array();
  for (const Json& t : At(override_item, "targetJobs")) {
    if (!At(t, "name").is_string()) continue;
    out.push_back({{"name", t["name"]},
                   {"template", {{"spec", {{"template", pod_template}}}}}});
  }
  return out;
}

std::string ObjectValue(const Json& v) {
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  if (v.is_number()) return v.dump();
  return "\"object\"";
}

}  // namespace

bool IsTrainJob(const api::KindInfo& kind) { return kind.group == kGroup && kind.kind == "TrainJob"; }

void NormalizeTrainJob(Json& obj, std::vector<std::string>& warnings) {
  if (!obj.is_object() || !At(obj, "spec").is_object()) return;
  Json& spec = obj["spec"];
  // trainer.numProcPerNode was IntOrString (auto|cpu|gpu|N) before v2.2.
  if (At(spec, "trainer").is_object() && At(spec["trainer"], "numProcPerNode").is_string()) {
    std::string v = spec["trainer"]["numProcPerNode"].get<std::string>();
    bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
    if (digits && v.size() < 10) {
      spec["trainer"]["numProcPerNode"] = std::stoll(v);
    } else if (v == "auto" || v == "cpu" || v == "gpu") {
      spec["trainer"].erase("numProcPerNode");
      warnings.push_back("spec.trainer.numProcPerNode: \"" + v +
                         "\" is the pre-v2.2 form; unset means auto (GPUs, else the CPU count of "
                         "resourcesPerNode)");
    }
  }
  Json rjobs = Json::array();
  bool legacy = false;
  for (const char* key : {"podSpecOverrides", "podTemplateOverrides"}) {
    if (!At(spec, key).is_array()) continue;
    legacy = true;
    for (const Json& item : spec[key]) {
      for (Json& p : ReplicatedJobPatches(item, std::string(key) == "podTemplateOverrides")) {
        rjobs.push_back(std::move(p));
      }
    }
    spec.erase(key);
  }
  Json meta = Json::object();
  for (const char* key : {"labels", "annotations"}) {
    if (At(spec, key).is_object()) {
      meta[key] = spec[key];
      legacy = true;
    }
    spec.erase(key);
  }
  if (!legacy) return;
  Json tmpl = Json::object();
  if (!meta.empty()) tmpl["metadata"] = meta;
  if (!rjobs.empty()) tmpl["spec"] = {{"replicatedJobs", rjobs}};
  Json& patches = spec["runtimePatches"];
  if (!patches.is_array()) patches = Json::array();
  for (auto it = patches.begin(); it != patches.end();) {
    it = At(*it, "manager") == kLegacyManager ? patches.erase(it) : it + 1;
  }
  if (!tmpl.empty()) {
    Json entry = Json::object();
    entry["manager"] = kLegacyManager;
    entry["trainingRuntimeSpec"]["template"] = std::move(tmpl);
    patches.insert(patches.begin(), std::move(entry));
  }
  if (patches.empty()) spec.erase("runtimePatches");
}

std::vector<StatusCause> ValidateTrainJob(const store::Store& store, const Json& obj,
                                          const Json* old) {
  std::vector<StatusCause> causes;
  const Json& spec = At(obj, "spec");
  const Json& tr = At(spec, "trainer");
  std::string ns = At(At(obj, "metadata"), "namespace").is_string()
                       ? obj["metadata"]["namespace"].get<std::string>()
                       : "";
  if (At(tr, "numNodes").is_number() && tr["numNodes"].get<int64_t>() < 1) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: " + tr["numNodes"].dump() +
                          ": must be greater than or equal to 1",
                      "spec.trainer.numNodes"});
  }
  if (At(tr, "numProcPerNode").is_number() && tr["numProcPerNode"].get<int64_t>() < 1) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: " + tr["numProcPerNode"].dump() +
                          ": numProcPerNode must be greater than or equal to 1",
                      "spec.trainer.numProcPerNode"});
  }
  static const std::set<std::string> kReserved = {"PET_NNODES", "PET_NPROC_PER_NODE",
                                                  "PET_NODE_RANK", "PET_MASTER_ADDR",
                                                  "PET_MASTER_PORT"};
  std::string bad;
  for (const Json& e : At(tr, "env")) {
    std::string n = At(e, "name").is_string() ? e["name"].get<std::string>() : "";
    if (kReserved.count(n)) bad += (bad.empty() ? "" : ", ") + n;
  }
  if (!bad.empty()) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: must not have reserved envs, invalid envs configured: " + bad,
                      "spec.trainer.env"});
  }
  static const std::regex kManager("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[-A-Za-z0-9_.]+)+$");
  const Json& patches = At(spec, "runtimePatches");
  for (size_t i = 0; patches.is_array() && i < patches.size(); ++i) {
    const Json& m = At(patches[i], "manager");
    if (m.is_string() && !std::regex_match(m.get<std::string>(), kManager)) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: \"" + m.get<std::string>() +
                            "\": manager must be a domain-prefixed path (e.g. example.com/team)",
                        "spec.runtimePatches[" + std::to_string(i) + "].manager"});
    }
  }
  if (old) {
    const Json& ospec = At(*old, "spec");
    for (const char* f : {"runtimeRef", "initializer", "trainer", "managedBy",
                          "activeDeadlineSeconds"}) {
      if (At(spec, f) != At(ospec, f)) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + ObjectValue(At(spec, f)) + ": field is immutable",
                          std::string("spec.") + f});
      }
    }
    return causes;
  }
  // The runtime must exist before the TrainJob (the webhook's ValidateObjects).
  const Json& ref = At(spec, "runtimeRef");
  std::string kind = At(ref, "kind").is_string() ? ref["kind"].get<std::string>()
                                                 : "ClusterTrainingRuntime";
  std::string group = At(ref, "apiGroup").is_string() ? ref["apiGroup"].get<std::string>() : kGroup;
  std::string name = At(ref, "name").is_string() ? ref["name"].get<std::string>() : "";
  if (name.empty()) return causes;
  if (group != kGroup || (kind != "ClusterTrainingRuntime" && kind != "TrainingRuntime")) {
    causes.push_back({"FieldValueNotSupported",
                      "Unsupported value: \"" + group + "/" + kind +
                          "\": supported values: \"trainer.kubeflow.org/ClusterTrainingRuntime\", "
                          "\"trainer.kubeflow.org/TrainingRuntime\"",
                      "spec.runtimeRef"});
    return causes;
  }
  bool cluster = kind == "ClusterTrainingRuntime";
  std::string resource = cluster ? "clustertrainingruntimes.trainer.kubeflow.org"
                                 : "trainingruntimes.trainer.kubeflow.org";
  if (!store.Get(resource, cluster ? "" : ns, name)) {
    std::string plural = cluster ? "clustertrainingruntimes" : "trainingruntimes";
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + name + "\": " + plural + ".trainer.kubeflow.org \"" +
                          name + "\" not found: specified " + kind +
                          " must be created before the TrainJob is created",
                      "spec.runtimeRef"});
  }
  return causes;
}

}  // namespace skiff::apiserver
