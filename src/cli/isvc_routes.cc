// InferenceServices → gateway routes.
#include "cli/isvc_routes.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::cli {
namespace {

using controllers::Field;
using controllers::FindCondition;
using controllers::StringField;

bool IsConditionFalse(const Json& conditions, const char* type) {
  const Json* c = FindCondition(conditions, type);
  return c != nullptr && StringField(*c, "status") == "False";
}

// The ready "ip:port" addresses of Endpoints `key` ("ns/name").
std::vector<std::string> ReadyAddresses(const std::map<std::string, Json>& endpoints,
                                        const std::string& key) {
  std::vector<std::string> eps;
  auto it = endpoints.find(key);
  if (it == endpoints.end()) return eps;
  for (const Json& subset : Field(it->second, "subsets")) {
    const Json& ports = Field(subset, "ports");
    if (!ports.is_array() || ports.empty() || !Field(ports[0], "port").is_number_integer()) continue;
    std::string port = std::to_string(ports[0]["port"].get<int64_t>());
    for (const Json& a : Field(subset, "addresses")) {
      if (!StringField(a, "ip").empty()) eps.push_back(StringField(a, "ip") + ":" + port);
    }
  }
  return eps;
}

// The host of an http(s) URL ("" when there is none).
std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  size_t end = url.find_first_of(":/", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

gateway::Backend RevisionBackend(const std::string& ns, const std::string& revision, int weight,
                                 const std::map<std::string, Json>& endpoints) {
  gateway::Backend b;
  b.revision = ns + "/" + revision;
  b.weight = weight;
  b.endpoints = ReadyAddresses(endpoints, b.revision);
  return b;
}

// The ingress domain the controller chose, read back from status.url
// ("http://NAME.NS.DOMAIN"); example.com before the controller wrote it.
std::string DomainOf(const Json& isvc, const std::string& name, const std::string& ns) {
  std::string top = UrlHost(StringField(Field(isvc, "status"), "url"));
  std::string prefix = name + "." + ns + ".";
  if (top.size() > prefix.size() && top.rfind(prefix, 0) == 0) return top.substr(prefix.size());
  return "example.com";
}

// Knative mode: the main hosts split by components.predictor.traffic, one route per tag. Before
// any revision is ready, requests go to the latest created one and wait in the activator,
// unless it has failed.
void KnativeRoutes(const Json& isvc, const std::string& name, const std::string& ns,
                   const std::map<std::string, Json>& endpoints, gateway::Route base,
                   std::vector<gateway::Route>* routes) {
  const Json& status = Field(isvc, "status");
  const Json& pred = Field(Field(status, "components"), "predictor");
  std::string domain = DomainOf(isvc, name, ns);
  std::string component = name + "-predictor";
  base.hosts = {name + "." + ns + "." + domain, component + "." + ns + "." + domain};
  // The predictor's containerConcurrency (queue-proxy's hard limit), for every revision: the
  // current spec's value, also for older revisions still taking traffic.
  const Json& cc = Field(Field(Field(isvc, "spec"), "predictor"), "containerConcurrency");
  int64_t limit = cc.is_number_integer() ? std::clamp<int64_t>(cc.get<int64_t>(), 0, 1000) : 0;
  auto backend = [&](const std::string& rev, int weight) {
    gateway::Backend b = RevisionBackend(ns, rev, weight, endpoints);
    b.container_concurrency = limit;
    return b;
  };

  std::vector<gateway::Backend> backends;
  for (const Json& t : Field(pred, "traffic")) {
    std::string rev = StringField(t, "revisionName");
    int percent = Field(t, "percent").is_number_integer() ? t["percent"].get<int>() : 0;
    if (rev.empty()) continue;
    bool merged = false;
    for (gateway::Backend& b : backends) {
      if (b.revision == ns + "/" + rev) {
        b.weight += percent;
        merged = true;
      }
    }
    if (!merged) backends.push_back(backend(rev, percent));
    std::string tag = StringField(t, "tag");
    if (!tag.empty()) {
      gateway::Route tr = base;
      tr.hosts = {tag + "-" + component + "." + ns + "." + domain};
      tr.backends = {backend(rev, 100)};
      routes->push_back(std::move(tr));
    }
  }
  if (backends.empty()) {
    std::string latest = StringField(pred, "latestCreatedRevision");
    if (latest.empty()) return;
    gateway::Backend b = backend(latest, 100);
    b.ready = !IsConditionFalse(Field(status, "conditions"), "PredictorConfigurationReady");
    backends.push_back(std::move(b));
  }
  base.backends = std::move(backends);
  routes->push_back(std::move(base));
}

}  // namespace

std::vector<gateway::Route> IsvcRoutes(const std::vector<Json>& isvcs,
                                       const std::map<std::string, Json>& endpoints) {
  std::vector<gateway::Route> routes;
  for (const Json& isvc : isvcs) {
    const Json& meta = Field(isvc, "metadata");
    std::string name = StringField(meta, "name"), ns = StringField(meta, "namespace");
    if (name.empty() || ns.empty() || Field(meta, "deletionTimestamp").is_string()) continue;
    gateway::Route r;
    const Json& timeout = Field(Field(Field(isvc, "spec"), "predictor"), "timeout");
    if (timeout.is_number_integer() && timeout.get<int64_t>() > 0) {
      r.timeout = std::chrono::seconds(timeout.get<int64_t>());
    }
    std::string mode = StringField(Field(isvc, "status"), "deploymentMode");
    if (mode.empty()) {
      std::string a = StringField(Field(meta, "annotations"), "serving.kserve.io/deploymentMode");
      mode = a == "Serverless" ? "Knative" : a;
    }
    if (mode == "Knative") {
      KnativeRoutes(isvc, name, ns, endpoints, std::move(r), &routes);
      continue;
    }
    if (!mode.empty() && mode != "Standard" && mode != "RawDeployment") continue;
    std::string domain = DomainOf(isvc, name, ns);
    r.hosts = {name + "." + ns + "." + domain, name + "-" + ns + "." + domain};
    // The entry point: the transformer when there is one (it calls the predictor itself).
    bool transformer = Field(Field(isvc, "spec"), "transformer").is_object();
    r.backends.push_back(RevisionBackend(
        ns, name + (transformer ? "-transformer" : "-predictor"), 100, endpoints));
    routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace skiff::cli
