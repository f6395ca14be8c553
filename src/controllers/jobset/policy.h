// The JobSet controller's decisions over typed views (upstream pkg/controllers:
// jobset_controller.go, success_policy.go, failure_policy.go, depends_on.go):
// which child Jobs belong to the current run, replicatedJobsStatus, whether the
// success policy holds, and what the failure policy does about a failed child.
#pragma once

#include <string>
#include <vector>

#include "controllers/jobset/jobset_view.h"

namespace skiff::controllers::jobset {

// Children split by run: jobs whose restart-attempt label is below
// status.restarts belong to a previous run and are deleted; the rest are
// active, succeeded or failed.
struct Children {
  std::vector<const ChildJob*> active{};
  std::vector<const ChildJob*> succeeded{};
  std::vector<const ChildJob*> failed{};
  std::vector<const ChildJob*> previous{};
};
Children Classify(const std::vector<ChildJob>& jobs, int32_t restarts);

struct ReplicatedJobStatus {
  std::string name{};
  int32_t ready = 0;
  int32_t succeeded = 0;
  int32_t failed = 0;
  int32_t active = 0;
  int32_t suspended = 0;
  bool operator==(const ReplicatedJobStatus&) const = default;
};
// One entry per replicatedJob, in spec order. A Job is ready when its ready
// plus succeeded pods reach min(parallelism, completions).
std::vector<ReplicatedJobStatus> ReplicatedJobStatuses(const JobSetSpecView& spec,
                                                       const Children& children);

// successPolicy: All needs every Job of the target replicatedJobs (all when no
// targets) to succeed; Any needs one.
bool SuccessPolicyMet(const JobSetSpecView& spec, const Children& children);

struct FailureDecision {
  bool fail = false;     // set the Failed condition (reason, message)
  bool restart = false;  // bump status.restarts and recreate all Jobs
  bool count_towards_max = false;
  std::string reason{};  // condition reason (fail) or Event reason (restart)
  std::string message{};
};
// Requires children.failed non-empty. Without a failurePolicy the JobSet fails
// (FailedJobs); otherwise the first rule matching a failed Job (earliest
// failure first) decides, and no match means RestartJobSet, which fails with
// ReachedMaxRestarts once the restarts that count reach maxRestarts.
FailureDecision DecideFailure(const JobSetSpecView& spec, const JobSetStatusView& status,
                              const Children& children);

// dependsOn: whether every dependency of `rjob` reached its status (Ready:
// ready + failed + succeeded Jobs == replicas; Complete: succeeded Jobs ==
// replicas).
bool DependenciesReached(const JobSetSpecView& spec, const ReplicatedJob& rjob,
                         const std::vector<ReplicatedJobStatus>& statuses);

}  // namespace skiff::controllers::jobset
