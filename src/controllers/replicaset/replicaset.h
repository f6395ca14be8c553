// The ReplicaSet controller: keeps spec.replicas active pods from the template, adopts matching
// orphans, deletes surplus pods in kube's order (unscheduled, pending, not ready, most restarts,
// newest first), and reports replicas/ready/available in status.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "client/informer.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::replicaset {

// Orders pods so that the ones to delete first come first (kube's ActivePodsWithRanks).
void SortForDeletion(std::vector<client::ObjectPtr>* pods);

// A pod object from a pod template owned by `owner` (labels, annotations, spec, ownerRef).
Json PodFromTemplate(const Json& owner, const Json& tmpl, const std::string& name);

// "<prefix>" + 5 characters from kube's safe alphabet.
std::string RandomName(const std::string& prefix);

Status Register(Manager* manager);

}  // namespace skiff::controllers::replicaset
