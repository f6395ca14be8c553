// Folder-private: Kueue's job webhook behaviour (create queued jobs suspended, plain pods
// scheduling-gated), called from Admit on CREATE.
#pragma once

#include "api/registry.h"
#include "base/json.h"

namespace skiff::apiserver {

// For batch/v1 Job, JobSet, TrainJob and kubeflow.org/v1 PyTorchJob objects that carry the
// label kueue.x-k8s.io/queue-name and have no controlling owner: sets spec.suspend (PyTorchJob:
// spec.runPolicy.suspend) to true; for a v1 Pod: appends the scheduling gate
// kueue.x-k8s.io/admission and sets the label kueue.x-k8s.io/managed=true. Jobs without the
// label are untouched (manageJobsWithoutQueueName is off, as upstream's default).
void SuspendQueuedJob(const api::KindInfo& kind, Json& obj);

}  // namespace skiff::apiserver
