// One reconcile of a PyTorchJob as a pure function of the job, its pods and services and its
// stored status (training-operator v1.9's ReconcileJobs, ReconcilePods, ReconcileServices and
// the PyTorch UpdateJobStatus): what to create and delete, the new status, the Events, and when
// to look again. The reconciler executes the plan; tests drive this directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "controllers/pytorchjob/job_status.h"
#include "controllers/pytorchjob/pytorchjob_view.h"

namespace skiff::controllers::pytorchjob {

struct SyncInput {
  PyTorchJobView job{};
  JobStatus prior{};
  std::vector<PodView> pods{};          // pods controlled by the job
  std::vector<ServiceView> services{};  // services controlled by the job
  SystemTime now{};
};

struct ChildRef {
  ReplicaType type = ReplicaType::kWorker;
  int32_t index = 0;
  bool operator==(const ChildRef&) const = default;
};

struct PendingEvent {
  std::string type{};  // Normal, Warning
  std::string reason{};
  std::string message{};
};

// A terminated pytorch container: upstream's ExitedWithCode Event, reported once per pod.
struct ExitReport {
  std::string pod_uid{};
  std::string message{};
};

struct SyncPlan {
  std::vector<ChildRef> create_pods{};
  std::vector<std::string> delete_pods{};
  std::vector<ChildRef> create_services{};
  std::vector<std::string> delete_services{};
  JobStatus status{};                  // to write when it differs from the prior one
  std::vector<PendingEvent> events{};  // to record once the status is stored
  std::vector<ExitReport> exits{};
  bool delete_job = false;                     // ttlSecondsAfterFinished has passed
  std::chrono::milliseconds requeue_after{0};  // deadline or TTL wake-up; 0 = none
};

SyncPlan PlanSync(const SyncInput& in);

}  // namespace skiff::controllers::pytorchjob
