// The local worker group: spawns a LaunchPlan's workers, forwards the launcher's termination
// signals to them, stops the rest when one fails, restarts the group up to max_restarts times,
// and reports the first failure the way torchrun does.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "launcher/launch_plan.h"

namespace skiff::launcher {

struct WorkerGroupOptions {
  // After the first worker failure the others get SIGTERM, then SIGKILL after this long.
  std::chrono::milliseconds failure_grace{std::chrono::seconds(5)};
  // After the launcher forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT: SIGKILL to what is left after
  // this long (torch elastic waits 30 s; a pod's own grace period usually ends first).
  std::chrono::milliseconds signal_grace{std::chrono::seconds(30)};
};

// One worker that ended badly: a non-zero exit, or killed by a signal it was not sent by us.
struct WorkerFailure {
  int local_rank = 0;
  int rank = 0;
  pid_t pid = 0;
  int exit_code = 0;  // valid when signal == 0
  int signal = 0;     // the terminating signal, 0 for an exit
  std::string time{};
};

// The program to exec for the plan's workers, checked up front so a typo gives one clear error
// instead of N failed workers: the interpreter and (unless -m) the script must exist; with
// --no_python, argv[0] is looked up on `path_env` (PATH's value) unless it contains a '/'.
// Errors: NotFound.
StatusOr<std::string> ResolveProgram(const LaunchPlan& plan, const std::string& path_env);

// Runs the group until every worker exited, restarting it (TORCHELASTIC_RESTART_COUNT + 1) after
// a failure while restarts remain. Workers run `program` with plan.argv, the launcher's `env`
// plus RankEnv, each in its own process group (signals reach its children too), and die with
// the launcher (PR_SET_PDEATHSIG); what a worker leaves in its process group is killed when it
// exits. Blocks. Returns the launcher's exit code: 0 when all exited 0; the first failed
// worker's exit code (128 + signal when killed); 128 + signal when the launcher itself got a
// termination signal. Writes torchrun-style failure reports to stderr.
// REQUIRES: a single-threaded process (it forks, blocks signals and reaps any child).
int RunWorkerGroup(const LaunchPlan& plan, const std::string& program,
                   const std::map<std::string, std::string>& env,
                   const WorkerGroupOptions& options = {});

// torchrun's ChildFailedError report: the script, other failures, then the root cause.
std::string FailureReport(const std::string& script, const std::string& host,
                          const std::vector<WorkerFailure>& failures);

}  // namespace skiff::launcher
