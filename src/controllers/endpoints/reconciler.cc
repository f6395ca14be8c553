// EndpointsReconciler: desired Endpoints from the cached Service and Pods, compared with the
// cached Endpoints before any write; deleted with the Service.
#include "controllers/endpoints/reconciler.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "controllers/endpoints/subsets.h"

namespace skiff::controllers::endpoints {
namespace {

// Labels kube's controller puts on Endpoints: the Service's own, plus the headless marker.
Json DesiredLabels(const Json& service) {
  Json labels = Json::object();
  if (service.contains("metadata") && service["metadata"].contains("labels") &&
      service["metadata"]["labels"].is_object()) {
    labels = service["metadata"]["labels"];
  }
  if (service.contains("spec") && service["spec"].is_object() &&
      service["spec"].value("clusterIP", "") == "None") {
    labels["service.kubernetes.io/headless"] = "";
  }
  return labels;
}

}  // namespace

EndpointsReconciler::EndpointsReconciler(client::Client* client, client::Informer* services,
                                         client::Informer* pods, client::Informer* endpoints)
    : client_(client), services_(services), pods_(pods), endpoints_(endpoints) {}

StatusOr<Result> EndpointsReconciler::Reconcile(const Request& request) {
  const client::ResourceInfo& ep_resource = endpoints_->resource();
  client::ObjectPtr service = services_->Get(request.ns, request.name);
  client::ObjectPtr current = endpoints_->Get(request.ns, request.name);
  if (!service) {
    // kube deletes the Endpoints with its Service (they carry no ownerReference to GC them).
    if (current) {
      auto s = client_->Delete(ep_resource, request.ns, request.name);
      if (!s.ok() && s.status().code() != StatusCode::kNotFound) return s.status();
    }
    return Result{};
  }
  if (!HasSelector(*service)) return Result{};  // user-managed Endpoints

  std::vector<client::ObjectPtr> pods;
  for (auto& p : pods_->List(request.ns)) {
    if (SelectorMatches(*service, *p)) pods.push_back(std::move(p));
  }
  Json subsets = ComputeSubsets(*service, pods);
  Json labels = DesiredLabels(*service);

  if (!current) {
    Json ep = {{"apiVersion", "v1"},
               {"kind", "Endpoints"},
               {"metadata", {{"name", request.name}, {"namespace", request.ns}}},
               {"subsets", subsets}};
    if (!labels.empty()) ep["metadata"]["labels"] = labels;
    auto created = client_->Create(ep_resource, request.ns, ep);
    // AlreadyExists: the cache lags our own earlier create; the update event requeues us.
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
      return created.status();
    }
    spdlog::debug("component=controller controller=endpoints ns={} name={} created", request.ns,
                  request.name);
    return Result{};
  }
  Json have_subsets = current->contains("subsets") ? (*current)["subsets"] : Json::array();
  if (have_subsets.is_null()) have_subsets = Json::array();
  Json have_labels = Json::object();
  if (current->contains("metadata") && (*current)["metadata"].contains("labels")) {
    have_labels = (*current)["metadata"]["labels"];
  }
  if (have_labels.is_null()) have_labels = Json::object();
  if (have_subsets == subsets && have_labels == labels) return Result{};
  Json updated = *current;  // copy: cached objects are shared and immutable
  updated["subsets"] = subsets;
  if (labels.empty()) {
    updated["metadata"].erase("labels");
  } else {
    updated["metadata"]["labels"] = labels;
  }
  // The resourceVersion from the cache makes a concurrent change a Conflict (Aborted), which
  // the runtime retries after the cache catches up.
  auto replaced = client_->Replace(ep_resource, request.ns, request.name, updated);
  if (!replaced.ok()) return replaced.status();
  spdlog::debug("component=controller controller=endpoints ns={} name={} updated", request.ns,
                request.name);
  return Result{};
}

}  // namespace skiff::controllers::endpoints
