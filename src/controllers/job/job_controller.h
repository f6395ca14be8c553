// batch/v1 Job controller (kube 1.32 semantics): creates the Job's pods from
// its template, tracks completions (NonIndexed and Indexed), backoffLimit, pod
// failure backoff, podFailurePolicy, activeDeadlineSeconds, suspend/resume and
// ttlSecondsAfterFinished, and writes status through the status subresource.
// See docs/jobs.md.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::job {

// Adds the "job" controller to `mgr` (For batch/v1 Job, Owns v1 Pod). Call
// before mgr->Start(). Fails only if the informers cannot be set up.
Status Register(Manager* mgr);

}  // namespace skiff::controllers::job
