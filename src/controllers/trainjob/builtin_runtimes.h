// The ClusterTrainingRuntimes Skiff installs at start-up (upstream's manifests/base/runtimes
// names, labels and shapes), and what this host lacks to run each of them.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"

namespace skiff::controllers::trainjob {

// Annotation on a built-in runtime this host cannot run; its value says what is missing.
inline constexpr char kUnavailableAnnotation[] = "trainer.skiff.dev/unavailable";
inline constexpr char kBuiltinLabel[] = "trainer.skiff.dev/builtin";

// Every built-in runtime, with kUnavailableAnnotation set where this host lacks something. Probes the host's files (mpirun, sshd, python modules); cheap and side-effect free.
std::vector<Json> BuiltinRuntimes();

// What this host lacks for a runtime using the given ML policy and framework, or "" when it can
// run it. Exposed for tests.
std::string MissingForRuntime(const std::string& policy, const std::string& framework);

}  // namespace skiff::controllers::trainjob
