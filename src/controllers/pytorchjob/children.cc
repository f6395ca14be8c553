// PyTorchJob Pod and Service rendering.
#include "controllers/pytorchjob/children.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "controllers/pytorchjob/env.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::pytorchjob {

namespace {

Json OwnerRef(const Json& job) {
  Json owner = job;
  owner["apiVersion"] = kGroupVersion;
  owner["kind"] = kKind;
  return ControllerRef(owner);
}

std::map<std::string, std::string> ReplicaLabels(const std::string& job_name, ReplicaType type,
                                                 int32_t index) {
  std::map<std::string, std::string> labels = ReplicaSelectorLabels(job_name, type);
  labels[kReplicaIndexLabel] = std::to_string(index);
  return labels;
}

}  // namespace

std::map<std::string, std::string> JobLabels(const std::string& job_name) {
  std::string name = job_name;
  std::replace(name.begin(), name.end(), '/', '-');
  return {{kJobNameLabel, name}, {kOperatorNameLabel, kControllerName}};
}

std::map<std::string, std::string> ReplicaSelectorLabels(const std::string& job_name,
                                                         ReplicaType type) {
  std::map<std::string, std::string> labels = JobLabels(job_name);
  labels[kReplicaTypeLabel] = ReplicaTypeLabel(type);
  return labels;
}

std::string FormatSelector(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ",";
    out += k + "=" + v;
  }
  return out;
}

Json RenderPod(const Json& job, const PyTorchJobView& view, const ReplicaSpec& spec,
               int32_t index) {
  Json tmpl = DefaultedTemplate(job, spec);
  Json meta = Json::object();
  const Json& tmeta = Field(tmpl, "metadata");
  for (const char* k : {"labels", "annotations"}) {
    if (Field(tmeta, k).is_object()) meta[k] = tmeta[k];
  }
  if (Field(tmeta, "finalizers").is_array()) meta["finalizers"] = tmeta["finalizers"];
  if (!meta["labels"].is_object()) meta["labels"] = Json::object();
  for (const auto& [k, v] : ReplicaLabels(view.name, spec.type, index)) meta["labels"][k] = v;
  if (spec.type == ReplicaType::kMaster) meta["labels"][kJobRoleLabel] = "master";
  meta["name"] = ReplicaName(view.name, spec.type, index);
  meta["namespace"] = view.ns;
  meta["ownerReferences"] = Json::array({OwnerRef(job)});

  Json pod_spec = Field(tmpl, "spec").is_object() ? tmpl["spec"] : Json::object();
  if (Field(pod_spec, "containers").is_array()) {
    std::vector<EnvVar> env = PodEnv(view, spec.type, index);
    for (Json& c : pod_spec["containers"]) {
      if (!c.is_object()) continue;
      Json& list = c["env"];
      if (!list.is_array()) list = Json::array();
      for (const EnvVar& e : env) list.push_back({{"name", e.name}, {"value", e.value}});
    }
  }
  switch (spec.restart_policy) {
    case RestartPolicy::kAlways:
      pod_spec["restartPolicy"] = "Always";
      break;
    case RestartPolicy::kOnFailure:
      pod_spec["restartPolicy"] = "OnFailure";
      break;
    case RestartPolicy::kNever:
    case RestartPolicy::kExitCode:  // the controller, not the kubelet, retries ExitCode pods
      pod_spec["restartPolicy"] = "Never";
      break;
  }
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", pod_spec}};
}

Json RenderService(const Json& job, const PyTorchJobView& view, const ReplicaSpec& spec,
                   int32_t index) {
  std::map<std::string, std::string> labels = ReplicaLabels(view.name, spec.type, index);
  Json label_json = Json::object();
  for (const auto& [k, v] : labels) label_json[k] = v;
  // upstream GetPortsFromJob: every port of the pytorch container, keyed (so deduplicated) and,
  // in Go's map order, unordered; here sorted by name for stable output.
  std::map<std::string, int32_t> ports;
  Json tmpl = DefaultedTemplate(job, spec);
  const Json& containers = Field(Field(tmpl, "spec"), "containers");
  if (containers.is_array()) {
    for (const Json& c : containers) {
      if (StringField(c, "name") != kDefaultContainerName) continue;
      const Json& list = Field(c, "ports");
      if (!list.is_array()) continue;
      for (const Json& p : list) {
        const Json& port = Field(p, "containerPort");
        if (port.is_number_integer()) ports.emplace(StringField(p, "name"), port.get<int32_t>());
      }
    }
  }
  Json port_list = Json::array();
  for (const auto& [name, port] : ports) {
    Json p = {{"port", port}};
    if (!name.empty()) p["name"] = name;
    port_list.push_back(std::move(p));
  }
  std::string name = ReplicaName(view.name, spec.type, index);
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", view.ns},
            {"labels", label_json},
            {"ownerReferences", Json::array({OwnerRef(job)})}}},
          {"spec", {{"clusterIP", "None"}, {"selector", label_json}, {"ports", port_list}}}};
}

}  // namespace skiff::controllers::pytorchjob
