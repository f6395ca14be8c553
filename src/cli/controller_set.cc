// The list of controllers, in one place.
#include "cli/controller_set.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <utility>

#include "controllers/deployment/deployment.h"
#include "controllers/endpoints/controller.h"
#include "controllers/hpa/hpa_controller.h"
#include "controllers/inferenceservice/isvc_controller.h"
#include "controllers/job/job_controller.h"
#include "controllers/kueue/kueue_controller.h"
#include "controllers/pytorchjob/pytorchjob_controller.h"
#include "controllers/jobset/jobset_controller.h"
#include "controllers/replicaset/replicaset.h"
#include "controllers/runtime/controller.h"
#include "controllers/scheduler/scheduler.h"
#include "controllers/trainjob/trainjob_controller.h"

namespace skiff::cli {

namespace {
using RegisterFn = std::function<Status(controllers::Manager*)>;

// SKIFF_HPA_SYNC_PERIOD (seconds, e.g. "1" or "0.5") is a test knob like SKIFF_WATCH_HISTORY:
// the HPA's --horizontal-pod-autoscaler-sync-period, 15 s by default.
Status RegisterHpa(controllers::Manager* manager) {
  controllers::hpa::HpaOptions o;
  if (const char* p = std::getenv("SKIFF_HPA_SYNC_PERIOD"); p && *p && std::atof(p) > 0) {
    o.sync_period = std::chrono::milliseconds(static_cast<int64_t>(std::atof(p) * 1000));
  }
  return controllers::hpa::Register(manager, o);
}

const std::vector<std::pair<std::string, RegisterFn>>& All() {
  static const auto* all = new std::vector<std::pair<std::string, RegisterFn>>{
      {"scheduler", controllers::scheduler::Register},
      {"replicaset", controllers::replicaset::Register},
      {"deployment", controllers::deployment::Register},
      {"endpoints", controllers::endpoints::Register},
      {"job", controllers::job::Register},
      {"jobset", controllers::jobset::Register},
      {"trainjob", controllers::trainjob::Register},
      {"pytorchjob", controllers::pytorchjob::Register},
      {"inferenceservice", controllers::inferenceservice::Register},
      {"horizontalpodautoscaler", RegisterHpa},
      {"kueue", controllers::kueue::Register},
  };
  return *all;
}
}  // namespace

std::vector<std::string> ControllerNames() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : All()) out.push_back(name);
  return out;
}

Status RegisterControllers(controllers::Manager* manager, const std::vector<std::string>& only) {
  for (const auto& name : only) {
    auto names = ControllerNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return InvalidArgument("unknown controller \"" + name + "\"");
    }
  }
  for (const auto& [name, fn] : All()) {
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    SKIFF_RETURN_IF_ERROR(fn(manager));
  }
  return Status::Ok();
}

}  // namespace skiff::cli
