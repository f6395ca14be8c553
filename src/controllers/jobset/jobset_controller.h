// jobset.x-k8s.io/v1alpha2 JobSet controller (upstream kubernetes-sigs/jobset
// v0.7+ semantics): one Job per replicatedJob replica, a headless Service for
// stable pod DNS names, successPolicy, failurePolicy with restarts,
// startupPolicy/dependsOn, suspend and ttlSecondsAfterFinished; status through
// the status subresource. See docs/jobs.md.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::jobset {

// Adds the "jobset" controller to `mgr` (For JobSet, Owns batch/v1 Job and v1
// Service). Call before mgr->Start(). Fails only if the informers cannot be set
// up (e.g. the JobSet CRD is not served).
Status Register(Manager* mgr);

}  // namespace skiff::controllers::jobset
