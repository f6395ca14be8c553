// A controller that keeps a fixed set of cluster-scoped objects present
// (built-in training and serving runtimes): each is created at start when
// missing and re-created when deleted; edits a user makes to one are kept.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers {

class Manager;

// Adds controller `name` (For `api_version`/`kind`) keeping `objects` (complete
// objects of that cluster-scoped kind, distinct metadata.name) in the cluster.
Status RegisterBuiltinObjects(Manager *mgr, const std::string &name, const std::string &api_version,
                              const std::string &kind, std::vector<Json> objects);

}  // namespace skiff::controllers
