// Rendering of a JobSet's children: the Job `<jobset>-<replicatedJob>-<index>`
// from a replicatedJob template (upstream constructJob/labelAndAnnotateObject)
// and the headless Service that gives pods stable DNS names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "controllers/jobset/jobset_view.h"

namespace skiff::controllers::jobset {

std::string ChildJobName(std::string_view jobset, std::string_view rjob, int64_t index);
// jobset.sigs.k8s.io/job-key: the SHA-1 hex digest of "<namespace>/<job name>".
std::string JobKeyHash(std::string_view ns, std::string_view job_name);

// The child Job for replicatedJob `rjob_index` of `jobset`, replica
// `job_index`, restart attempt `restarts`. Labels and annotations (jobset-name,
// replicatedjob-name, replicatedjob-replicas, global-replicas, job-index,
// job-global-index, job-key, restart-attempt, coordinator) go on the Job and
// its pod template; with DNS hostnames on, the pod template gets the subdomain.
// Webhook defaults fill completionMode (Indexed) and restartPolicy (OnFailure)
// when unset; spec.suspend follows the JobSet. Carries a controller
// ownerReference to the JobSet.
Json RenderChildJob(const Json& jobset, const JobSetSpecView& spec, size_t rjob_index,
                    int64_t job_index, int32_t restarts);

// The headless Service named `spec.subdomain` selecting the JobSet's pods.
Json RenderHeadlessService(const Json& jobset, const JobSetSpecView& spec);

}  // namespace skiff::controllers::jobset
