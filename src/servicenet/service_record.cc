// Parses core/v1 Service and Endpoints objects into ServiceRecord, the one place in servicenet
// that reads their JSON.
#include "servicenet/service_record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace skiff::servicenet {
namespace {

std::string Str(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

int Int(const Json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int>() : 0;
}

const Json& Field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::vector<EndpointAddress> Addresses(const Json& list) {
  std::vector<EndpointAddress> out;
  if (!list.is_array()) return out;
  for (const auto& a : list) {
    EndpointAddress addr{.ip = Str(a, "ip"), .hostname = Str(a, "hostname")};
    if (!addr.ip.empty()) out.push_back(std::move(addr));
  }
  return out;
}

std::string Protocol(const Json& obj) {
  std::string p = Str(obj, "protocol");
  return p.empty() ? "TCP" : p;
}

}  // namespace

ServiceRecord ParseServiceRecord(const Json& service, const Json* endpoints) {
  ServiceRecord r;
  const Json& meta = Field(service, "metadata");
  const Json& spec = Field(service, "spec");
  r.ns = Str(meta, "namespace");
  r.name = Str(meta, "name");
  std::string type = Str(spec, "type");
  if (!type.empty()) r.type = type;
  std::string ip = Str(spec, "clusterIP");
  if (ip == "None") {
    r.headless = true;
  } else {
    r.cluster_ip = ip;
  }
  r.external_name = Str(spec, "externalName");
  const Json& ports = Field(spec, "ports");
  if (ports.is_array()) {
    for (const auto& p : ports) {
      r.ports.push_back({.name = Str(p, "name"), .port = Int(p, "port"), .protocol = Protocol(p)});
    }
  }
  if (endpoints) {
    const Json& subsets = Field(*endpoints, "subsets");
    if (subsets.is_array()) {
      for (const auto& s : subsets) {
        EndpointSubset subset;
        subset.addresses = Addresses(Field(s, "addresses"));
        subset.not_ready = Addresses(Field(s, "notReadyAddresses"));
        const Json& eports = Field(s, "ports");
        if (eports.is_array()) {
          for (const auto& p : eports) {
            subset.ports.push_back(
                {.name = Str(p, "name"), .port = Int(p, "port"), .protocol = Protocol(p)});
          }
        }
        r.subsets.push_back(std::move(subset));
      }
    }
  }
  return r;
}

std::vector<Backend> BackendsFor(const ServiceRecord& record, const ServicePort& port) {
  std::vector<Backend> out;
  for (const auto& subset : record.subsets) {
    for (const auto& ep : subset.ports) {
      // Endpoints ports carry the service port's name (kube-proxy matches on it); a single
      // unnamed port matches the single unnamed service port.
      if (ep.name != port.name || ep.protocol != port.protocol || ep.port <= 0) continue;
      for (const auto& a : subset.addresses) out.push_back({.ip = a.ip, .port = ep.port});
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace skiff::servicenet
