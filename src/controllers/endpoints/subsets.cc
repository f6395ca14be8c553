// Endpoints subsets: per-pod address and port resolution, then packing addresses that share
// the same port set into one subset.
#include "controllers/endpoints/subsets.h"

#include <map>
#include <nlohmann/json.hpp>

#include "controllers/runtime/pods.h"

namespace skiff::controllers::endpoints {
namespace {

std::string Str(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& Field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Protocol(const Json& port) {
  std::string p = Str(port, "protocol");
  return p.empty() ? "TCP" : p;
}

Json Address(const Json& service, const Json& pod) {
  const Json& meta = Field(pod, "metadata");
  const Json& spec = Field(pod, "spec");
  Json a = {{"ip", Str(Field(pod, "status"), "podIP")}};
  // The DNS spec's per-pod name under a headless service: pod.spec.hostname when
  // pod.spec.subdomain names this service (kube's endpoints controller does the same).
  std::string hostname = Str(spec, "hostname");
  if (!hostname.empty() && Str(spec, "subdomain") == Str(Field(service, "metadata"), "name")) {
    a["hostname"] = hostname;
  }
  std::string node = Str(spec, "nodeName");
  if (!node.empty()) a["nodeName"] = node;
  Json ref = {{"kind", "Pod"}, {"namespace", Str(meta, "namespace")}, {"name", Str(meta, "name")}};
  std::string uid = Str(meta, "uid");
  if (!uid.empty()) ref["uid"] = uid;
  a["targetRef"] = ref;
  return a;
}

}  // namespace

bool HasSelector(const Json& service) {
  const Json& sel = Field(Field(service, "spec"), "selector");
  return sel.is_object() && !sel.empty();
}

bool SelectorMatches(const Json& service, const Json& pod) {
  const Json& sel = Field(Field(service, "spec"), "selector");
  if (!sel.is_object() || sel.empty()) return false;
  const Json& labels = Field(Field(pod, "metadata"), "labels");
  for (auto it = sel.begin(); it != sel.end(); ++it) {
    if (!it.value().is_string() || Str(labels, it.key().c_str()) != it.value().get<std::string>() ||
        !labels.contains(it.key())) {
      return false;
    }
  }
  return true;
}

bool IsPodServing(const Json& pod) { return IsPodReady(pod) && !IsPodTerminating(pod); }

int ResolveTargetPort(const Json& service_port, const Json& pod) {
  const Json& target = Field(service_port, "targetPort");
  if (target.is_number_integer()) return target.get<int>();
  if (!target.is_string()) {
    const Json& port = Field(service_port, "port");
    return port.is_number_integer() ? port.get<int>() : -1;
  }
  std::string name = target.get<std::string>();
  // An IntOrString holding digits is a number (kube's intstr parses it so).
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
    return std::atoi(name.c_str());
  }
  std::string proto = Protocol(service_port);
  const Json& containers = Field(Field(pod, "spec"), "containers");
  if (!containers.is_array()) return -1;
  for (const auto& c : containers) {
    const Json& ports = Field(c, "ports");
    if (!ports.is_array()) continue;
    for (const auto& p : ports) {
      if (Str(p, "name") == name && Protocol(p) == proto &&
          Field(p, "containerPort").is_number_integer()) {
        return Field(p, "containerPort").get<int>();
      }
    }
  }
  return -1;
}

Json ComputeSubsets(const Json& service, const std::vector<client::ObjectPtr>& pods) {
  const Json& spec = Field(service, "spec");
  std::string ns = Str(Field(service, "metadata"), "namespace");
  bool publish_not_ready = Field(spec, "publishNotReadyAddresses").is_boolean() &&
                           spec["publishNotReadyAddresses"].get<bool>();
  const Json& service_ports = Field(spec, "ports");
  // Port set (canonical JSON) -> {ready ip -> address, not ready ip -> address}.
  struct Group {
    Json ports;
    std::map<std::string, Json> ready;
    std::map<std::string, Json> not_ready;
  };
  std::map<std::string, Group> groups;
  for (const auto& pod_ptr : pods) {
    const Json& pod = *pod_ptr;
    if (Str(Field(pod, "metadata"), "namespace") != ns) continue;
    if (Str(Field(pod, "status"), "podIP").empty()) continue;
    if (IsPodTerminal(pod)) continue;
    if (IsPodTerminating(pod) && !publish_not_ready) continue;
    Json ports = Json::array();
    if (service_ports.is_array()) {
      for (const auto& sp : service_ports) {
        int port = ResolveTargetPort(sp, pod);
        if (port <= 0) continue;  // a named port this pod does not declare
        Json ep = {{"port", port}, {"protocol", Protocol(sp)}};
        std::string name = Str(sp, "name");
        if (!name.empty()) ep["name"] = name;
        ports.push_back(std::move(ep));
      }
      // Some ports declared but none resolvable on this pod: it serves nothing here.
      if (ports.empty() && !service_ports.empty()) continue;
    }
    std::sort(ports.begin(), ports.end(), [](const Json& a, const Json& b) {
      return a.value("name", "") < b.value("name", "");
    });
    std::string key = ports.dump();
    Group& g = groups[key];
    g.ports = ports;
    Json address = Address(service, pod);
    std::string ip = address["ip"].get<std::string>();
    if (publish_not_ready || IsPodServing(pod)) {
      g.ready[ip] = std::move(address);
    } else {
      g.not_ready[ip] = std::move(address);
    }
  }
  Json subsets = Json::array();
  for (auto& [key, g] : groups) {
    Json subset = Json::object();
    if (!g.ready.empty()) {
      subset["addresses"] = Json::array();
      for (auto& [ip, a] : g.ready) subset["addresses"].push_back(std::move(a));
    }
    if (!g.not_ready.empty()) {
      subset["notReadyAddresses"] = Json::array();
      for (auto& [ip, a] : g.not_ready) subset["notReadyAddresses"].push_back(std::move(a));
    }
    if (!g.ports.empty()) subset["ports"] = g.ports;
    subsets.push_back(std::move(subset));
  }
  return subsets;
}

}  // namespace skiff::controllers::endpoints
