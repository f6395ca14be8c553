// trainer.kubeflow.org/v1alpha1 TrainJob controller (Kubeflow Trainer v2 semantics, see
// reference/trainer.md and docs/training.md): resolves the runtime, snapshots it, materialises one
// JobSet owned by the TrainJob, mirrors its status (Suspended/Complete/Failed, jobsStatus),
// propagates suspend, enforces activeDeadlineSeconds and records what ran. Also keeps the
// built-in ClusterTrainingRuntimes installed.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::trainjob {

// Adds the "trainjob" controller (For TrainJob, Owns JobSet) and the "trainingruntimes"
// controller (re-creates deleted built-in ClusterTrainingRuntimes) to `mgr`.
Status Register(Manager* mgr);

// Annotation holding the reproducibility record (JSON) of a TrainJob.
inline constexpr char kRecordAnnotation[] = "trainer.skiff.dev/record";

}  // namespace skiff::controllers::trainjob
