// Renders the Pod a Job creates from its template: controller ownerReference,
// generateName, and for Indexed jobs the completion index (annotation, label,
// JOB_COMPLETION_INDEX env via a fieldRef, hostname `<job>-<index>`).
#pragma once

#include <cstdint>

#include "base/json.h"

namespace skiff::controllers::job {

// `job` needs metadata.name/namespace/uid and spec.template. `index` < 0 for
// NonIndexed jobs. The result has metadata.generateName (`<job>-` or
// `<job>-<index>-`), never a name.
Json RenderPod(const Json& job, int64_t index);

}  // namespace skiff::controllers::job
