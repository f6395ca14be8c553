// LaunchPlan: torchrun's options resolved against the host (process count, rank 0's address,
// the worker command line) and the env contract each worker gets (torch elastic's
// LocalElasticAgent._start_workers, static rendezvous).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "launcher/launch_options.h"

namespace skiff::launcher {

// What PlanLaunch needs from the host, gathered by the caller so planning stays pure.
struct HostFacts {
  std::map<std::string, std::string> env{};  // the launcher's environment
  int cpu_count = 1;                         // CPUs this process may run on
  int free_port = 0;                         // a free local port, used only by --standalone
  std::string standalone_run_id{};           // random id, used only by --standalone
};

struct LaunchPlan {
  int nnodes = 1;
  int nproc_per_node = 1;
  int node_rank = 0;
  std::string master_addr{"127.0.0.1"};
  int master_port = 29500;
  std::string run_id{"none"};
  std::string role{"default"};
  int max_restarts = 0;
  // The worker command. With python: {python, [-m], script, args...}; python is $PYTHON_EXEC
  // (as torchrun) or /usr/bin/python3, the interpreter that sees Debian's torch. With
  // --no_python: {script, args...}, the caller resolves argv[0] on PATH.
  std::vector<std::string> argv{};
  bool no_python = false;
  std::string script{};  // the training script as given, for messages
  // Env every worker gets besides RankEnv: OMP_NUM_THREADS=1 when nproc > 1 and it is unset
  // (torchrun warns about it), NCCL_ASYNC_ERROR_HANDLING=1 unless set.
  std::vector<std::pair<std::string, std::string>> common_env{};
  bool warn_omp = false;  // common_env sets OMP_NUM_THREADS: print torchrun's warning
};

// --nproc_per_node: an int; "cpu" = cpu_count; "gpu" = entries of CUDA_VISIBLE_DEVICES (error
// when none); "auto" = the GPU count when CUDA_VISIBLE_DEVICES is set and non-empty, else
// cpu_count. Errors: InvalidArgument.
StatusOr<int> ResolveNprocPerNode(const std::string& spec, const HostFacts& host);

// "host:port" or "[v6addr]:port" → (host without brackets, port). A missing port gives
// `default_port`, or InvalidArgument when it is -1.
StatusOr<std::pair<std::string, int>> ParseEndpoint(const std::string& endpoint, int default_port);

// Static rendezvous: world = nnodes (MAX of MIN:MAX) x nproc_per_node; rank 0's address is
// --rdzv_endpoint when set, else --master_addr:--master_port; --standalone is one node on
// 127.0.0.1:<free_port>. Other rendezvous backends are served the same way, so with several
// nodes they need an explicit node rank. Errors: InvalidArgument (bad combination) and
// FailedPrecondition (a node rank outside [0, nnodes), or none for dynamic rendezvous).
StatusOr<LaunchPlan> PlanLaunch(const LaunchOptions& options, const HostFacts& host);

// The per-worker env torch elastic sets: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
// GROUP_RANK, GROUP_WORLD_SIZE, ROLE_RANK, ROLE_WORLD_SIZE, ROLE_NAME, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_* (USE_AGENT_STORE=False: there is no agent store, rank 0 hosts the TCPStore),
// followed by plan.common_env.
std::vector<std::pair<std::string, std::string>> RankEnv(const LaunchPlan& plan, int local_rank,
                                                         int restart_count);

}  // namespace skiff::launcher
