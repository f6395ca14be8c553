// InferenceServices → gateway routes.
#include "cli/isvc_routes.h"

#include <nlohmann/json.hpp>

namespace skiff::cli {
namespace {

const Json& F(const Json& o, const char* k) {
  static const Json kNull;
  return o.is_object() && o.contains(k) ? o[k] : kNull;
}

std::string S(const Json& o, const char* k) {
  const Json& v = F(o, k);
  return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace

std::vector<gateway::Route> IsvcRoutes(const std::vector<Json>& isvcs,
                                       const std::map<std::string, Json>& endpoints) {
  std::vector<gateway::Route> routes;
  for (const Json& isvc : isvcs) {
    const Json& meta = F(isvc, "metadata");
    std::string name = S(meta, "name"), ns = S(meta, "namespace");
    if (name.empty() || ns.empty() || F(meta, "deletionTimestamp").is_string()) continue;
    std::string mode = S(F(meta, "annotations"), "serving.kserve.io/deploymentMode");
    if (mode == "Knative" || mode == "Serverless") continue;  // not served yet
    gateway::Route r;
    r.hosts = {name + "." + ns + ".example.com", name + "-" + ns + ".example.com"};
    gateway::Backend b;
    b.revision = ns + "/" + name + "-predictor";
    std::vector<std::string> eps;
    auto it = endpoints.find(ns + "/" + name + "-predictor");
    if (it != endpoints.end()) {
      for (const Json& subset : F(it->second, "subsets")) {
        const Json& ports = F(subset, "ports");
        if (!ports.is_array() || ports.empty() || !F(ports[0], "port").is_number_integer()) {
          continue;
        }
        std::string port = std::to_string(ports[0]["port"].get<int64_t>());
        for (const Json& a : F(subset, "addresses")) {
          if (!S(a, "ip").empty()) eps.push_back(S(a, "ip") + ":" + port);
        }
      }
    }
    b.endpoints = eps;
    const Json& timeout = F(F(F(isvc, "spec"), "predictor"), "timeout");
    if (timeout.is_number_integer() && timeout.get<int64_t>() > 0) {
      r.timeout = std::chrono::seconds(timeout.get<int64_t>());
    }
    r.backends.push_back(std::move(b));
    routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace skiff::cli
