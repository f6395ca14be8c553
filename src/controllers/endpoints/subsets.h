// Endpoints subsets from a Service and the Pods its selector matches: the pure core of the
// Endpoints controller (kube's endpoints controller syncService + RepackSubsets).
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers::endpoints {

// True when the Service has a non-empty spec.selector (only those are managed).
bool HasSelector(const Json& service);
// True when every key of spec.selector equals the pod's label (an empty selector matches none).
bool SelectorMatches(const Json& service, const Json& pod);
// Ready for traffic: condition Ready=True and no deletionTimestamp.
bool IsPodServing(const Json& pod);

// The port `service_port.targetPort` names on `pod`: a number as is, a name looked up in the
// pod's containers' ports (protocol must match), absent -> service_port.port. -1 when a named
// port does not exist on this pod.
int ResolveTargetPort(const Json& service_port, const Json& pod);

// The `subsets` array for the Service's Endpoints. Pods without an IP, terminal pods, pods in
// another namespace and (unless publishNotReadyAddresses) terminating pods are left out; ready
// pods go to addresses, the others to notReadyAddresses (all to addresses with
// publishNotReadyAddresses). Pods whose named target ports differ land in separate subsets.
// Deterministic: subsets, addresses and ports are sorted, so equal inputs give equal JSON.
Json ComputeSubsets(const Json& service, const std::vector<client::ObjectPtr>& pods);

}  // namespace skiff::controllers::endpoints
