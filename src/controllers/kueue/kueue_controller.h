// Kueue (kueue.x-k8s.io) for Skiff: the job integrations (Workload per queued Job, JobSet,
// TrainJob, PyTorchJob; start on admission, stop on eviction) and the scheduler controller that
// admits Workloads into ClusterQueues through the core in src/kueue. See docs/kueue.md.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::kueue {

struct KueueConfig;

// Adds every Kueue controller to `mgr`: "kueue-job", "kueue-jobset", "kueue-trainjob",
// "kueue-pytorchjob" and "kueue-scheduler", configured from the cluster's
// kueue-system/kueue-manager-config ConfigMap (config.h).
Status Register(Manager* mgr);

// The job integrations alone (tests).
Status RegisterJobIntegrations(Manager* mgr, const KueueConfig& config);

}  // namespace skiff::controllers::kueue
