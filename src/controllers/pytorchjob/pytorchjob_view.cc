// Parsing of PyTorchJob, Pod and Service JSON into the controller's views, with upstream's
// webhook defaults and validation. Every access checks the JSON type first.
#include "controllers/pytorchjob/pytorchjob_view.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::pytorchjob {

namespace {

std::optional<int64_t> Int(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return std::nullopt;
}

std::optional<int32_t> Int32(const Json& obj, const char* key) {
  auto v = Int(obj, key);
  if (!v) return std::nullopt;
  return static_cast<int32_t>(std::clamp<int64_t>(*v, INT32_MIN, INT32_MAX));
}

std::optional<std::string> Str(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (!v.is_string()) return std::nullopt;
  return v.get<std::string>();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// apimachinery's IsDNS1035Label.
bool IsDns1035Label(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (s.front() < 'a' || s.front() > 'z') return false;
  if (s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

const Json* PytorchContainer(const Json& pod_spec) {
  const Json& containers = Field(pod_spec, "containers");
  if (!containers.is_array()) return nullptr;
  for (const Json& c : containers) {
    if (StringField(c, "name") == kDefaultContainerName) return &c;
  }
  return nullptr;
}

int32_t PortOf(const Json* container) {
  if (!container) return kDefaultPort;
  const Json& ports = Field(*container, "ports");
  if (ports.is_array()) {
    for (const Json& p : ports) {
      if (StringField(p, "name") == kDefaultPortName) return Int32(p, "containerPort").value_or(0);
    }
  }
  return kDefaultPort;  // what defaulting adds
}

void ParseReplicaSpec(const std::string& key, const Json& rs, ReplicaSpec* out,
                      std::vector<std::string>* errors) {
  std::string path = "spec.pytorchReplicaSpecs[" + key + "]";
  out->key = key;
  if (auto r = Int32(rs, "replicas")) {
    out->replicas = *r;
    if (*r < 0) errors->push_back(path + ".replicas: Forbidden: must be non-negative");
  }
  if (out->type == ReplicaType::kMaster && out->replicas != 1) {
    errors->push_back(path + ".replicas: Forbidden: must be 1");
  }
  std::string policy = StringField(rs, "restartPolicy", "OnFailure");
  if (policy.empty() || policy == "OnFailure") {
    out->restart_policy = RestartPolicy::kOnFailure;
  } else if (policy == "Always") {
    out->restart_policy = RestartPolicy::kAlways;
  } else if (policy == "Never") {
    out->restart_policy = RestartPolicy::kNever;
  } else if (policy == "ExitCode") {
    out->restart_policy = RestartPolicy::kExitCode;
  } else {
    errors->push_back(path + ".restartPolicy: Unsupported value: \"" + policy +
                      "\": supported values: \"Always\", \"OnFailure\", \"Never\", \"ExitCode\"");
  }
  const Json& pod_spec = Field(Field(rs, "template"), "spec");
  out->template_sets_restart_policy = !StringField(pod_spec, "restartPolicy").empty();
  std::string containers_path = path + ".template.spec.containers";
  const Json& containers = Field(pod_spec, "containers");
  if (!containers.is_array() || containers.empty()) {
    errors->push_back(containers_path + ": Required value: must be specified");
  } else {
    for (size_t i = 0; i < containers.size(); ++i) {
      if (StringField(containers[i], "image").empty()) {
        errors->push_back(containers_path + "[" + std::to_string(i) +
                          "].image: Required value: must be required");
      }
    }
  }
  const Json* pytorch = PytorchContainer(pod_spec);
  if (!pytorch) {
    errors->push_back(containers_path +
                      ": Required value: must have at least one container with name " +
                      kDefaultContainerName);
  }
  out->port = PortOf(pytorch);
}

void ParseElastic(const Json& ep, ElasticPolicy* out) {
  out->min_replicas = Int32(ep, "minReplicas");
  out->max_replicas = Int32(ep, "maxReplicas");
  out->max_restarts = Int32(ep, "maxRestarts");
  out->nproc_per_node = Int32(ep, "nProcPerNode");
  out->rdzv_port = Int32(ep, "rdzvPort");
  out->rdzv_host = Str(ep, "rdzvHost");
  out->rdzv_id = Str(ep, "rdzvId");
  out->rdzv_backend = Str(ep, "rdzvBackend");
  const Json& conf = Field(ep, "rdzvConf");
  if (conf.is_array()) {
    std::vector<RdzvConf> list;
    for (const Json& c : conf) list.push_back({StringField(c, "key"), StringField(c, "value")});
    out->rdzv_conf = std::move(list);
  }
  const Json& standalone = Field(ep, "standalone");
  out->standalone = standalone.is_boolean() && standalone.get<bool>();
}

}  // namespace

const char* ReplicaTypeName(ReplicaType type) {
  return type == ReplicaType::kMaster ? "Master" : "Worker";
}

const char* ReplicaTypeLabel(ReplicaType type) {
  return type == ReplicaType::kMaster ? "master" : "worker";
}

const ReplicaSpec* PyTorchJobView::Find(ReplicaType type) const {
  for (const ReplicaSpec& r : replicas) {
    if (r.type == type) return &r;
  }
  return nullptr;
}

int32_t PyTorchJobView::TotalReplicas() const {
  int32_t total = 0;
  for (const ReplicaSpec& r : replicas) total += r.replicas;
  return total;
}

PyTorchJobView ParsePyTorchJob(const Json& job) {
  PyTorchJobView v;
  v.name = MetaString(job, "name");
  v.ns = MetaString(job, "namespace");
  v.uid = MetaString(job, "uid");
  if (!IsDns1035Label(v.name)) {
    v.validation_errors.push_back(
        "metadata.name: Invalid value: \"" + v.name +
        "\": should match: a DNS-1035 label must consist of lower case alphanumeric characters or "
        "'-', start with an alphabetic character, and end with an alphanumeric character");
  }
  const Json& spec = Field(job, "spec");
  const Json& specs = Field(spec, "pytorchReplicaSpecs");
  std::optional<ReplicaSpec> master, worker;
  if (specs.is_object()) {
    for (auto it = specs.begin(); it != specs.end(); ++it) {
      const std::string& key = it.key();
      std::string lower = Lower(key);
      ReplicaSpec rs;
      std::optional<ReplicaSpec>* slot = nullptr;
      if (lower == "master") {
        rs.type = ReplicaType::kMaster;
        slot = &master;
      } else if (lower == "worker") {
        rs.type = ReplicaType::kWorker;
        slot = &worker;
      } else {
        v.validation_errors.push_back("spec.pytorchReplicaSpecs[" + key +
                                      "]: Unsupported value: \"" + key +
                                      "\": supported values: \"Master\", \"Worker\"");
        continue;
      }
      if (slot->has_value()) {
        v.validation_errors.push_back("spec.pytorchReplicaSpecs[" + key + "]: Duplicate value: \"" +
                                      ReplicaTypeName(rs.type) + "\"");
        continue;
      }
      ParseReplicaSpec(key, it.value(), &rs, &v.validation_errors);
      *slot = std::move(rs);
    }
  }
  if (master) v.replicas.push_back(std::move(*master));
  if (worker) v.replicas.push_back(std::move(*worker));
  if (v.replicas.empty()) {
    v.validation_errors.push_back("spec.pytorchReplicaSpecs: Required value: must be specified");
  }

  if (auto n = Str(spec, "nprocPerNode")) {
    v.nproc_per_node = *n;
    v.nproc_per_node_set = true;
  }
  const Json& ep = Field(spec, "elasticPolicy");
  if (ep.is_object()) {
    ElasticPolicy e;
    ParseElastic(ep, &e);
    const ReplicaSpec* w = v.Find(ReplicaType::kWorker);
    if (!w) {
      v.validation_errors.push_back(
          "spec.pytorchReplicaSpecs[Worker]: Required value: must be configured if elastic policy "
          "is used");
    }
    if (v.nproc_per_node_set && e.nproc_per_node) {
      v.validation_errors.push_back(
          "spec.elasticPolicy.nProcPerNode: Forbidden: must not be used with spec.nprocPerNode");
    }
    // upstream setElasticPolicy: a missing bound copies the other; both missing take the
    // Worker replica count.
    if (e.min_replicas && !e.max_replicas) {
      e.max_replicas = e.min_replicas;
    } else if (!e.min_replicas && e.max_replicas) {
      e.min_replicas = e.max_replicas;
    } else if (!e.min_replicas && !e.max_replicas && w) {
      e.min_replicas = w->replicas;
      e.max_replicas = w->replicas;
    }
    v.elastic = std::move(e);
  }

  const Json& rp = Field(spec, "runPolicy");
  std::string clean = StringField(rp, "cleanPodPolicy", "None");
  if (clean == "None" || clean.empty()) {
    v.clean_pod_policy = CleanPodPolicy::kNone;
  } else if (clean == "Running") {
    v.clean_pod_policy = CleanPodPolicy::kRunning;
  } else if (clean == "All") {
    v.clean_pod_policy = CleanPodPolicy::kAll;
  } else {
    v.validation_errors.push_back("spec.runPolicy.cleanPodPolicy: Unsupported value: \"" + clean +
                                  "\": supported values: \"All\", \"Running\", \"None\"");
  }
  v.ttl_seconds_after_finished = Int(rp, "ttlSecondsAfterFinished");
  v.active_deadline_seconds = Int(rp, "activeDeadlineSeconds");
  v.backoff_limit = Int32(rp, "backoffLimit");
  const Json& suspend = Field(rp, "suspend");
  v.suspend = suspend.is_boolean() && suspend.get<bool>();
  v.managed_by = StringField(rp, "managedBy");
  return v;
}

Json DefaultedTemplate(const Json& job, const ReplicaSpec& spec) {
  const Json& rs = Field(Field(Field(job, "spec"), "pytorchReplicaSpecs"), spec.key.c_str());
  const Json& tmpl = Field(rs, "template");
  Json out = tmpl.is_object() ? tmpl : Json::object();
  if (!Field(Field(out, "spec"), "containers").is_array()) return out;
  for (Json& c : out["spec"]["containers"]) {
    if (!c.is_object() || StringField(c, "name") != kDefaultContainerName) continue;
    Json& ports = c["ports"];
    if (!ports.is_array()) ports = Json::array();
    bool present = false;
    for (const Json& p : ports) {
      if (StringField(p, "name") == kDefaultPortName) present = true;
    }
    if (!present) ports.push_back({{"name", kDefaultPortName}, {"containerPort", kDefaultPort}});
    break;
  }
  return out;
}

std::string ReplicaName(std::string_view job, ReplicaType type, int32_t index) {
  std::string n = std::string(job) + "-" + ReplicaTypeLabel(type) + "-" + std::to_string(index);
  std::replace(n.begin(), n.end(), '/', '-');
  return n;
}

bool IsRetryableExitCode(int32_t exit_code) {
  return exit_code == 130 || exit_code == 137 || exit_code == 143 || exit_code == 138;
}

PodView ParsePod(const Json& pod) {
  PodView p;
  p.name = MetaString(pod, "name");
  p.uid = MetaString(pod, "uid");
  const Json& meta = Field(pod, "metadata");
  p.deleting = Field(meta, "deletionTimestamp").is_string();
  const Json& labels = Field(meta, "labels");
  p.replica_type = StringField(labels, kReplicaTypeLabel);
  std::string idx = StringField(labels, kReplicaIndexLabel);
  int32_t n = -1;
  auto [ptr, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), n);
  if (!idx.empty() && ec == std::errc() && ptr == idx.data() + idx.size() && n >= 0) p.index = n;
  const Json& status = Field(pod, "status");
  p.phase = StringField(status, "phase");
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const Json& statuses = Field(status, list);
    if (!statuses.is_array()) continue;
    for (const Json& cs : statuses) {
      p.restart_count += Int32(cs, "restartCount").value_or(0);
      if (std::string_view(list) != "containerStatuses" ||
          StringField(cs, "name") != kDefaultContainerName) {
        continue;
      }
      const Json& term = Field(Field(cs, "state"), "terminated");
      if (term.is_object()) p.exit_code = Int32(term, "exitCode").value_or(0);
    }
  }
  return p;
}

ServiceView ParseService(const Json& service) {
  ServiceView s;
  s.name = MetaString(service, "name");
  const Json& labels = Field(Field(service, "metadata"), "labels");
  s.replica_type = StringField(labels, kReplicaTypeLabel);
  std::string idx = StringField(labels, kReplicaIndexLabel);
  int32_t n = -1;
  auto [ptr, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), n);
  if (!idx.empty() && ec == std::errc() && ptr == idx.data() + idx.size() && n >= 0) s.index = n;
  return s;
}

}  // namespace skiff::controllers::pytorchjob
