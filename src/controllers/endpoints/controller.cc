// Endpoints controller wiring: For Service, Watches Pod (mapped to the Services it concerns).
#include "controllers/endpoints/controller.h"

#include <nlohmann/json.hpp>
#include <set>

#include "controllers/endpoints/reconciler.h"
#include "controllers/endpoints/subsets.h"
#include "controllers/runtime/controller.h"

namespace skiff::controllers::endpoints {
namespace {

const Json& Metadata(const Json& obj) {
  static const Json kEmpty = Json::object();
  return obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()
             ? obj["metadata"]
             : kEmpty;
}

}  // namespace

std::vector<Request> ServicesForPod(const Json& pod, const client::Informer& services,
                                    const client::Informer& endpoints) {
  const Json& meta = Metadata(pod);
  std::string ns = meta.value("namespace", "");
  std::string name = meta.value("name", "");
  std::set<std::string> names;
  for (const auto& svc : services.List(ns)) {
    if (SelectorMatches(*svc, pod)) names.insert(Metadata(*svc).value("name", ""));
  }
  // A pod whose labels no longer match (or that is gone) must still leave the Endpoints that
  // list it, and the event carries only its new state.
  for (const auto& ep : endpoints.List(ns)) {
    if (!ep->contains("subsets") || !(*ep)["subsets"].is_array()) continue;
    for (const auto& subset : (*ep)["subsets"]) {
      for (const char* list : {"addresses", "notReadyAddresses"}) {
        if (!subset.contains(list) || !subset[list].is_array()) continue;
        for (const auto& a : subset[list]) {
          if (a.contains("targetRef") && a["targetRef"].value("name", "") == name &&
              a["targetRef"].value("kind", "") == "Pod") {
            names.insert(Metadata(*ep).value("name", ""));
          }
        }
      }
    }
  }
  std::vector<Request> out;
  for (const auto& n : names) out.push_back({.ns = ns, .name = n});
  return out;
}

Status Register(Manager* manager) {
  auto& informers = manager->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * services, informers.ForKind("v1", "Service"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, informers.ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * endpoints, informers.ForKind("v1", "Endpoints"));
  Controller* c = manager->NewController(
      "endpoints",
      std::make_unique<EndpointsReconciler>(&manager->client(), services, pods, endpoints), 2);
  SKIFF_RETURN_IF_ERROR(c->For("v1", "Service"));
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Pod", [services, endpoints](const Json& pod) {
    return ServicesForPod(pod, *services, *endpoints);
  }));
  // An Endpoints object changed by someone else (or deleted) is put back by reconciling its
  // Service; user-managed ones (no selector) are left alone there.
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Endpoints", [](const Json& ep) {
    const Json& meta = Metadata(ep);
    return std::vector<Request>{
        {.ns = meta.value("namespace", ""), .name = meta.value("name", "")}};
  }));
  return Status::Ok();
}

}  // namespace skiff::controllers::endpoints
