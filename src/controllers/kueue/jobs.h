// Kueue's job integrations as pure functions over job objects: which kinds are managed, their
// pod sets, whether they are suspended or finished, and the edits that start them on an
// admission (flavor nodeSelector/tolerations, counts, suspend=false) or stop them on eviction.
// Upstream: pkg/controller/jobs/{job,jobset,trainjob,kubeflow/pytorchjob}.
#pragma once

#include <nlohmann/json.hpp>  // folder-private header; Json values cross these functions
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers::kueue {

inline constexpr char kQueueLabel[] = "kueue.x-k8s.io/queue-name";
inline constexpr char kPriorityClassLabel[] = "kueue.x-k8s.io/priority-class";
inline constexpr char kJobUidLabel[] = "kueue.x-k8s.io/job-uid";
inline constexpr char kKueueManager[] = "kueue.x-k8s.io/manager";

struct JobKind {
  std::string api_version;  // "batch/v1"
  std::string kind;         // "Job"
  std::string prefix;       // Workload name prefix: "job", "jobset", "trainjob", "pytorchjob"
};

// Every integration Skiff serves, in a fixed order.
const std::vector<JobKind>& ManagedKinds();

// "<prefix>-<name>-<5 hex>" (upstream GetWorkloadNameForOwnerWithGVK: sha1 of name/uid/gvk),
// with the prefix part truncated to keep the whole name within 253 characters.
std::string WorkloadName(const JobKind& kind, const std::string& name, const std::string& uid);

bool IsSuspended(const JobKind& kind, const Json& job);

struct Finished {
  bool succeeded = false;
  std::string reason;   // "Succeeded" / "Failed"
  std::string message;
};
std::optional<Finished> FinishedOf(const JobKind& kind, const Json& job);

// The Workload's spec.podSets for `job`: [{name, count, minCount?, template}]. A TrainJob's pod
// sets come from the JobSet its controller materialised (`child_jobset`); NotFound until that
// exists.
StatusOr<Json> PodSetsOf(const JobKind& kind, const Json& job, const Json* child_jobset);

// Per pod set, what admission adds: the assigned flavors' nodeLabels and tolerations.
struct PodSetStart {
  std::string name;
  Json node_selector = Json::object();
  Json tolerations = Json::array();
  int64_t count = -1;  // partial admission: the admitted count; -1 = unchanged
};

// Each pod set's PodSetStart from a Workload's status.admission: the nodeLabels and tolerations
// of the flavors assigned to it (`flavor` returns a ResourceFlavor by name, nullopt when missing:
// FailedPrecondition) and the admitted count. `flavors_used` (optional) lists the flavor names.
StatusOr<std::vector<PodSetStart>> PodSetStartsOf(
    const Json& admission, const std::function<std::optional<Json>(const std::string&)>& flavor,
    std::string* flavors_used = nullptr);

// The job with the admission applied and suspend cleared (TrainJob: through a runtimePatches
// entry owned by kueue.x-k8s.io/manager, as upstream). Write it back with an update.
Json StartedJob(const JobKind& kind, const Json& job, const std::vector<PodSetStart>& podsets);

// The job suspended with what StartedJob injected removed: the pod templates' nodeSelector and
// tolerations restored from the Workload's pod sets (`workload_podsets`), the kueue runtime
// patch emptied.
Json StoppedJob(const JobKind& kind, const Json& job, const Json& workload_podsets);

// True when every pod the job asked for is ready or succeeded (the PodsReady condition).
bool PodsReady(const JobKind& kind, const Json& job);

}  // namespace skiff::controllers::kueue
