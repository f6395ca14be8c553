// The default scheduler: binds each pending pod (spec.schedulerName default-scheduler) to a Node
// whose allocatable capacity fits its requests and whose labels and taints it accepts; a pod
// that fits nowhere stays Pending with PodScheduled=False, reason Unschedulable and kube's
// "0/N nodes are available: ..." message.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "controllers/runtime/pods.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::scheduler {

// Why `pod` cannot run on `node`, given the requests already placed there (`used`, milli-units)
// and the number of pods on it: kube's filter messages ("Insufficient cpu", "node(s) didn't
// match Pod's node affinity/selector", "node(s) had untolerated taint {k: v}", "node(s) were
// unschedulable", "Too many pods", "node(s) were not ready"). Empty when it fits.
std::vector<std::string> FitErrors(const Json& pod, const Json& node, const ResourceList& used,
                                   int pods_on_node);

// "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) were unschedulable."
// (reasons sorted, as kube prints them). `reasons` maps reason -> number of nodes.
std::string UnschedulableMessage(int total_nodes, const std::map<std::string, int>& reasons);

// Higher is better: the share of the node's cpu and memory left free after placing the pod
// (kube's LeastAllocated score), 0..100.
int Score(const Json& pod, const Json& node, const ResourceList& used);

Status Register(Manager* manager);

}  // namespace skiff::controllers::scheduler
