// torchrun's command line (torch/distributed/run.py) parsed argparse-style: options with
// defaults from PET_<NAME> env vars, then the training script and its arguments.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::launcher {

// What the user asked for, validated but not yet resolved against the host. Defaults are
// torchrun's; options Skiff accepts but gives no meaning (log routing, monitor interval, start
// method) are kept only so scripts that pass them still parse.
struct LaunchOptions {
  int min_nodes = 1;  // --nnodes N or MIN:MAX; static rendezvous uses MAX
  int max_nodes = 1;
  std::string nproc_per_node{"1"};  // int | auto | cpu | gpu
  std::string rdzv_backend{"static"};
  std::string rdzv_endpoint{};  // host:port; overrides --master_addr/--master_port when set
  std::string rdzv_id{"none"};
  std::string rdzv_conf{};
  bool standalone = false;
  int max_restarts = 0;
  double monitor_interval = 5;
  std::string start_method{"spawn"};
  std::string role{"default"};
  bool module = false;     // -m: python -m <script>
  bool no_python = false;  // run <script> itself, found on PATH
  bool run_path = false;   // torchrun runs it in-process; here: python <script>
  std::string log_dir{};
  std::string redirects{"0"};
  std::string tee{"0"};
  std::string local_addr{};
  std::optional<int> node_rank{};  // unset: 0 (torchrun's default), see PlanLaunch
  std::string master_addr{"127.0.0.1"};
  int master_port = 29500;
  std::string training_script{};
  std::vector<std::string> script_args{};
  bool help = false;  // -h/--help: print kHelp, exit 0
};

// Parses `args` (argv without argv[0]). `env` supplies PET_<NAME> defaults exactly as torchrun's
// `env` argparse action does (PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR,
// ...; flags like PET_STANDALONE take "0"/"1"). Accepts `--x_y` and `--x-y`, `--opt=v` and
// `--opt v`, `-r3`/`-r 3`, and `--` before the script. Errors: InvalidArgument with argparse's
// wording (the caller prints usage and exits 2, as argparse does).
StatusOr<LaunchOptions> ParseLaunchArgs(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env);

// "usage: <prog> ..." line(s), and the full --help text.
std::string Usage(const std::string& prog);
std::string Help(const std::string& prog);

}  // namespace skiff::launcher
