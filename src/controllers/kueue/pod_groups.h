// Kueue's plain-pod integration (upstream pkg/controller/jobs/pod): a queued Pod is admitted
// alone, or with the pods sharing its kueue.x-k8s.io/pod-group-name label as one gang Workload.
// Pure pieces here (keys, pod sets, finish state, the ungate edit); the reconciler in
// pod_groups.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "controllers/kueue/jobs.h"

namespace skiff::client {
class Informer;
}
namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::kueue {

// PodSetStartsOf's flavor lookup over the shared ResourceFlavor informer (jobs and pods).
std::function<std::optional<Json>(const std::string&)> FlavorLookup(client::Informer* flavors);

struct KueueConfig;

inline constexpr char kPodGroupNameLabel[] = "kueue.x-k8s.io/pod-group-name";
inline constexpr char kPodGroupTotalCountAnnotation[] = "kueue.x-k8s.io/pod-group-total-count";
inline constexpr char kRetriableInGroupAnnotation[] = "kueue.x-k8s.io/retriable-in-group";
inline constexpr char kAdmissionGate[] = "kueue.x-k8s.io/admission";
inline constexpr char kManagedLabel[] = "kueue.x-k8s.io/managed";

// The integration's kind: Workload names "pod-<name>-<5 hex>" for single pods.
const JobKind& PodKind();

// The reconcile key of a pod Kueue manages: its group name, or "pod/<name>" for a single pod
// (the prefix keeps a single pod and a group of the same name apart; '/' is not valid in
// either). "" when Kueue does not manage the pod (no queue label, or a controlling owner).
std::string PodGroupKey(const Json& pod);
// The pod's group name, "" for a single pod.
std::string PodGroupName(const Json& pod);

// A hash of what matters for admission (containers' images and resources, affinity, priority
// class, runtimeClassName, non-Kueue labels): pods of one role share it. 8 hex digits.
// nodeSelector and tolerations are left out because admission adds to them, so pods differing
// only there count as one role (the first pod's template speaks for it).
std::string PodRoleHash(const Json& pod);

// spec.podSets for `pods` (already sorted oldest first): a single pod → one pod set "main",
// count 1; a group → one pod set per role, named by its role hash, count = its pods. Each
// template is the first pod's metadata.labels and spec without schedulingGates and nodeName.
// InvalidArgument when there are more than 8 roles (upstream's limit).
StatusOr<Json> PodGroupPodSets(const std::vector<Json>& pods, bool single);

// The pod-group-total-count shared by `pods`; InvalidArgument when missing, not a positive
// number, or different between pods.
StatusOr<int64_t> PodGroupTotalCount(const std::vector<Json>& pods);

// Finished: a single pod Succeeded/Failed; a group once `total` pods Succeeded, or Failed when
// no pod is active and a failed pod carries kueue.x-k8s.io/retriable-in-group: "false"
// (other failed pods of a group may be replaced by the user, as upstream).
std::optional<Finished> PodGroupFinished(const std::vector<Json>& pods, int64_t total,
                                         bool single);

bool IsGatedByKueue(const Json& pod);

// The pod with the kueue gate removed (schedulingGates dropped when empty), `start`'s
// nodeSelector merged in and its tolerations appended. Write it back with an update.
Json UngatedPod(const Json& pod, const PodSetStart& start);

// Adds the "kueue-pod" controller (keyed by PodGroupKey, watching Pods and Workloads).
Status RegisterPodGroups(Manager* mgr, const KueueConfig& config);

}  // namespace skiff::controllers::kueue
