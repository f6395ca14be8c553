// The Endpoints controller: for each Service with a selector, keeps the core/v1 Endpoints of the
// same name listing the matching pods' IPs and resolved target ports (kube's endpoints
// controller). Services without a selector keep user-managed Endpoints untouched.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "client/informer.h"

namespace skiff::controllers {
class Manager;
struct Request;
}  // namespace skiff::controllers

namespace skiff::controllers::endpoints {

// Registers the controller (For Service, Watches Pod) with the manager. Call before
// Manager::Start().
Status Register(Manager* manager);

// The Services a pod event concerns: those in the pod's namespace whose selector matches the
// pod now, plus those whose Endpoints still list it (its labels changed, or it is gone).
std::vector<Request> ServicesForPod(const Json& pod, const client::Informer& services,
                                    const client::Informer& endpoints);

}  // namespace skiff::controllers::endpoints
