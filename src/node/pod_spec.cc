// Parsing of the Pod fields the node agent uses into PodSpecView. Tolerant of absent fields;
// every access checks the JSON type first, so a malformed object never throws.
#include "node/pod_spec.h"

#include <nlohmann/json.hpp>

namespace skiff::node {
namespace {

const Json* Field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string Str(const Json& j, const char* key, std::string def = "") {
  const Json* f = Field(j, key);
  if (f == nullptr) return def;
  if (f->is_string()) return f->get<std::string>();
  if (f->is_number_integer()) return std::to_string(f->get<int64_t>());
  return def;
}

int64_t Int(const Json& j, const char* key, int64_t def) {
  const Json* f = Field(j, key);
  return f != nullptr && f->is_number_integer() ? f->get<int64_t>() : def;
}

bool Bool(const Json& j, const char* key) {
  const Json* f = Field(j, key);
  return f != nullptr && f->is_boolean() && f->get<bool>();
}

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  const Json* f = Field(j, key);
  if (f == nullptr || !f->is_array()) return out;
  for (const auto& v : *f) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

std::map<std::string, std::string> StringMap(const Json& j, const char* key) {
  std::map<std::string, std::string> out;
  const Json* f = Field(j, key);
  if (f == nullptr || !f->is_object()) return out;
  for (auto it = f->begin(); it != f->end(); ++it) {
    if (it->is_string()) {
      out[it.key()] = it->get<std::string>();
    } else if (it->is_number()) {
      out[it.key()] = it->dump();
    }
  }
  return out;
}

template <typename F>
void ForEach(const Json& j, const char* key, F&& f) {
  const Json* a = Field(j, key);
  if (a == nullptr || !a->is_array()) return;
  for (const auto& item : *a) {
    if (item.is_object()) f(item);
  }
}

ValueSource ParseValueSource(const Json& from) {
  ValueSource v;
  if (const Json* f = Field(from, "fieldRef")) {
    v.kind = ValueSource::Kind::kFieldRef;
    v.field_path = Str(*f, "fieldPath");
  } else if (const Json* r = Field(from, "resourceFieldRef")) {
    v.kind = ValueSource::Kind::kResourceFieldRef;
    v.resource = Str(*r, "resource");
    v.container_name = Str(*r, "containerName");
    v.divisor = Str(*r, "divisor");
  } else if (const Json* c = Field(from, "configMapKeyRef")) {
    v.kind = ValueSource::Kind::kConfigMapKeyRef;
    v.ref_name = Str(*c, "name");
    v.ref_key = Str(*c, "key");
    v.optional = Bool(*c, "optional");
  } else if (const Json* s = Field(from, "secretKeyRef")) {
    v.kind = ValueSource::Kind::kSecretKeyRef;
    v.ref_name = Str(*s, "name");
    v.ref_key = Str(*s, "key");
    v.optional = Bool(*s, "optional");
  }
  return v;
}

Probe ParseProbe(const Json& j) {
  Probe p;
  if (const Json* e = Field(j, "exec")) {
    p.kind = Probe::Kind::kExec;
    p.command = Strings(*e, "command");
  } else if (const Json* h = Field(j, "httpGet")) {
    p.kind = Probe::Kind::kHttpGet;
    p.path = Str(*h, "path", "/");
    p.host = Str(*h, "host");
    p.scheme = Str(*h, "scheme", "HTTP");
    p.port = Str(*h, "port");
    ForEach(*h, "httpHeaders", [&](const Json& hh) {
      p.http_headers.emplace_back(Str(hh, "name"), Str(hh, "value"));
    });
  } else if (const Json* t = Field(j, "tcpSocket")) {
    p.kind = Probe::Kind::kTcpSocket;
    p.host = Str(*t, "host");
    p.port = Str(*t, "port");
  } else if (const Json* g = Field(j, "grpc")) {
    p.kind = Probe::Kind::kGrpc;
    p.port = Str(*g, "port");
    p.grpc_service = Str(*g, "service");
  }
  p.initial_delay_seconds = static_cast<int>(Int(j, "initialDelaySeconds", 0));
  p.period_seconds = static_cast<int>(std::max<int64_t>(1, Int(j, "periodSeconds", 10)));
  p.timeout_seconds = static_cast<int>(std::max<int64_t>(1, Int(j, "timeoutSeconds", 1)));
  p.success_threshold = static_cast<int>(std::max<int64_t>(1, Int(j, "successThreshold", 1)));
  p.failure_threshold = static_cast<int>(std::max<int64_t>(1, Int(j, "failureThreshold", 3)));
  if (const Json* g = Field(j, "terminationGracePeriodSeconds"); g && g->is_number_integer()) {
    p.termination_grace_period_seconds = g->get<int64_t>();
  }
  return p;
}

StatusOr<Container> ParseContainer(const Json& j, size_t index, bool init) {
  Container c;
  c.name = Str(j, "name");
  if (c.name.empty()) {
    return InvalidArgument("spec." + std::string(init ? "initContainers" : "containers") + "[" +
                           std::to_string(index) + "].name: Required value");
  }
  c.image = Str(j, "image");
  c.command = Strings(j, "command");
  c.args = Strings(j, "args");
  c.working_dir = Str(j, "workingDir");
  c.sidecar = init && Str(j, "restartPolicy") == "Always";
  c.termination_message_policy = Str(j, "terminationMessagePolicy", "File");
  ForEach(j, "env", [&](const Json& e) {
    EnvVar v;
    v.name = Str(e, "name");
    v.value = Str(e, "value");
    if (const Json* from = Field(e, "valueFrom")) v.from = ParseValueSource(*from);
    c.env.push_back(std::move(v));
  });
  ForEach(j, "envFrom", [&](const Json& e) {
    EnvFromSource s;
    s.prefix = Str(e, "prefix");
    const Json* ref = Field(e, "configMapRef");
    if (ref == nullptr) {
      ref = Field(e, "secretRef");
      s.secret = ref != nullptr;
    }
    if (ref == nullptr) return;
    s.name = Str(*ref, "name");
    s.optional = Bool(*ref, "optional");
    c.env_from.push_back(std::move(s));
  });
  ForEach(j, "ports", [&](const Json& p) {
    c.ports.push_back(ContainerPort{.name = Str(p, "name"),
                                    .container_port = static_cast<int>(Int(p, "containerPort", 0)),
                                    .host_port = static_cast<int>(Int(p, "hostPort", 0)),
                                    .protocol = Str(p, "protocol", "TCP")});
  });
  ForEach(j, "volumeMounts", [&](const Json& m) {
    c.volume_mounts.push_back(VolumeMount{.name = Str(m, "name"),
                                          .mount_path = Str(m, "mountPath"),
                                          .sub_path = Str(m, "subPath"),
                                          .read_only = Bool(m, "readOnly")});
  });
  if (const Json* r = Field(j, "resources")) {
    c.requests = StringMap(*r, "requests");
    c.limits = StringMap(*r, "limits");
    // As the API server defaults it: requests fall back to limits.
    for (const auto& [k, v] : c.limits) c.requests.emplace(k, v);
  }
  if (const Json* p = Field(j, "startupProbe")) c.startup_probe = ParseProbe(*p);
  if (const Json* p = Field(j, "readinessProbe")) c.readiness_probe = ParseProbe(*p);
  if (const Json* p = Field(j, "livenessProbe")) c.liveness_probe = ParseProbe(*p);
  return c;
}

Volume ParseVolume(const Json& j) {
  Volume v;
  v.name = Str(j, "name");
  auto items = [&](const Json& src) {
    ForEach(src, "items", [&](const Json& it) {
      KeyToPath k{.key = Str(it, "key"), .path = Str(it, "path")};
      if (const Json* m = Field(it, "mode"); m && m->is_number_integer()) k.mode = m->get<int>();
      k.from = ParseValueSource(it);
      v.items.push_back(std::move(k));
    });
  };
  if (const Json* e = Field(j, "emptyDir")) {
    v.kind = Volume::Kind::kEmptyDir;
    v.medium = Str(*e, "medium");
    v.size_limit = Str(*e, "sizeLimit");
  } else if (const Json* c = Field(j, "configMap")) {
    v.kind = Volume::Kind::kConfigMap;
    v.source = Str(*c, "name");
    v.default_mode = static_cast<int>(Int(*c, "defaultMode", 0644));
    v.optional = Bool(*c, "optional");
    items(*c);
  } else if (const Json* s = Field(j, "secret")) {
    v.kind = Volume::Kind::kSecret;
    v.source = Str(*s, "secretName");
    // Kubernetes defaults secret volumes to 0644 in the API; the issue asks for 0600 files
    // unless the manifest says otherwise (docs/node.md).
    v.default_mode = static_cast<int>(Int(*s, "defaultMode", 0600));
    v.optional = Bool(*s, "optional");
    items(*s);
  } else if (const Json* h = Field(j, "hostPath")) {
    v.kind = Volume::Kind::kHostPath;
    v.source = Str(*h, "path");
    v.host_path_type = Str(*h, "type");
  } else if (const Json* p = Field(j, "persistentVolumeClaim")) {
    v.kind = Volume::Kind::kPersistentVolumeClaim;
    v.source = Str(*p, "claimName");
    v.read_only = Bool(*p, "readOnly");
  } else if (const Json* d = Field(j, "downwardAPI")) {
    v.kind = Volume::Kind::kDownwardApi;
    v.default_mode = static_cast<int>(Int(*d, "defaultMode", 0644));
    items(*d);
  } else {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() != "name") v.unsupported_type = it.key();
    }
  }
  return v;
}

}  // namespace

StatusOr<PodSpecView> ParsePod(const Json& pod) {
  PodSpecView p;
  static const Json kEmpty = Json::object();
  const Json* meta = Field(pod, "metadata");
  const Json& m = meta ? *meta : kEmpty;
  p.name = Str(m, "name");
  p.ns = Str(m, "namespace", "default");
  p.uid = Str(m, "uid");
  p.labels = StringMap(m, "labels");
  p.annotations = StringMap(m, "annotations");
  p.deleting = Field(m, "deletionTimestamp") != nullptr;
  if (const Json* g = Field(m, "deletionGracePeriodSeconds"); g && g->is_number_integer()) {
    p.deletion_grace_seconds = g->get<int64_t>();
  }
  if (const Json* st = Field(pod, "status")) p.phase = Str(*st, "phase");
  const Json* spec_ptr = Field(pod, "spec");
  const Json& s = spec_ptr ? *spec_ptr : kEmpty;
  p.node_name = Str(s, "nodeName");
  p.service_account = Str(s, "serviceAccountName", Str(s, "serviceAccount"));
  p.hostname = Str(s, "hostname", p.name);
  p.subdomain = Str(s, "subdomain");
  p.restart_policy = Str(s, "restartPolicy", "Always");
  p.termination_grace_seconds = std::max<int64_t>(0, Int(s, "terminationGracePeriodSeconds", 30));
  if (const Json* a = Field(s, "activeDeadlineSeconds"); a && a->is_number_integer()) {
    p.active_deadline_seconds = a->get<int64_t>();
  }
  p.host_network = Bool(s, "hostNetwork");
  size_t index = 0;
  Status error;
  ForEach(s, "initContainers", [&](const Json& c) {
    auto parsed = ParseContainer(c, index++, true);
    if (!parsed.ok()) {
      error = parsed.status();
    } else {
      p.init_containers.push_back(std::move(*parsed));
    }
  });
  index = 0;
  ForEach(s, "containers", [&](const Json& c) {
    auto parsed = ParseContainer(c, index++, false);
    if (!parsed.ok()) {
      error = parsed.status();
    } else {
      p.containers.push_back(std::move(*parsed));
    }
  });
  SKIFF_RETURN_IF_ERROR(error);
  ForEach(s, "volumes", [&](const Json& v) { p.volumes.push_back(ParseVolume(v)); });
  ForEach(s, "hostAliases", [&](const Json& a) {
    for (const auto& h : Strings(a, "hostnames")) p.host_aliases.emplace_back(Str(a, "ip"), h);
  });
  return p;
}

const Container* FindContainer(const PodSpecView& pod, const std::string& name) {
  for (const auto& c : pod.init_containers) {
    if (c.name == name) return &c;
  }
  for (const auto& c : pod.containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace skiff::node
