// Resolving torchrun options into a LaunchPlan, and the worker env contract.
#include "launcher/launch_plan.h"

#include <charconv>

namespace skiff::launcher {
namespace {

// Debian's python3-torch lives in /usr/bin/python3's dist-packages; a `python3` earlier on PATH
// may be another build that cannot import it.
constexpr char kPython[] = "/usr/bin/python3";

// torch's default port for a c10d/etcd rendezvous endpoint given without one.
constexpr int kDynamicRendezvousPort = 29400;

const std::string* Get(const std::map<std::string, std::string>& env, const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? nullptr : &it->second;
}

int CountGpus(const HostFacts& host) {
  const std::string* cvd = Get(host.env, "CUDA_VISIBLE_DEVICES");
  if (cvd == nullptr) return 0;
  int n = 0;
  size_t start = 0;
  while (start <= cvd->size()) {
    size_t comma = cvd->find(',', start);
    if (comma == std::string::npos) comma = cvd->size();
    std::string item = cvd->substr(start, comma - start);
    if (item.find_first_not_of(" \t") != std::string::npos) ++n;
    start = comma + 1;
  }
  return n;
}

}  // namespace

StatusOr<int> ResolveNprocPerNode(const std::string& spec, const HostFacts& host) {
  int n = 0;
  auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), n);
  if (!spec.empty() && ec == std::errc() && end == spec.data() + spec.size()) {
    if (n <= 0) return InvalidArgument("--nproc_per_node must be > 0, got " + spec);
    return n;
  }
  int cpus = host.cpu_count > 0 ? host.cpu_count : 1;
  if (spec == "cpu") return cpus;
  if (spec == "gpu") {
    int gpus = CountGpus(host);
    if (gpus == 0) {
      return InvalidArgument(
          "--nproc_per_node=gpu: no GPU is visible (CUDA_VISIBLE_DEVICES is unset or empty)");
    }
    return gpus;
  }
  if (spec == "auto") {
    int gpus = CountGpus(host);
    return gpus > 0 ? gpus : cpus;
  }
  return InvalidArgument("unsupported --nproc_per_node value: " + spec);
}

StatusOr<std::pair<std::string, int>> ParseEndpoint(const std::string& endpoint, int default_port) {
  std::string host = endpoint;
  std::string port;
  if (!endpoint.empty() && endpoint[0] == '[') {
    size_t close = endpoint.find(']');
    if (close == std::string::npos) return InvalidArgument("bad endpoint: " + endpoint);
    host = endpoint.substr(1, close - 1);
    std::string rest = endpoint.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return InvalidArgument("bad endpoint: " + endpoint);
      port = rest.substr(1);
    }
  } else if (size_t colon = endpoint.rfind(':'); colon != std::string::npos) {
    host = endpoint.substr(0, colon);
    port = endpoint.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgument("endpoint " + endpoint + " has no host");
  if (port.empty()) {
    if (default_port < 0) {
      return InvalidArgument("port is absent in endpoint: " + endpoint +
                             "; try launching with --master_port");
    }
    return std::make_pair(host, default_port);
  }
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p <= 0 || p > 65535) {
    return InvalidArgument("endpoint " + endpoint + ": invalid port");
  }
  return std::make_pair(host, p);
}

StatusOr<LaunchPlan> PlanLaunch(const LaunchOptions& options, const HostFacts& host) {
  LaunchPlan plan;
  SKIFF_ASSIGN_OR_RETURN(plan.nproc_per_node, ResolveNprocPerNode(options.nproc_per_node, host));
  plan.role = options.role;
  plan.max_restarts = options.max_restarts;
  plan.run_id = options.rdzv_id;
  plan.script = options.training_script;
  if (options.standalone) {
    // torchrun --standalone: a private rendezvous on this host, whatever else was passed.
    plan.nnodes = 1;
    plan.node_rank = 0;
    plan.master_addr = "127.0.0.1";
    plan.master_port = host.free_port > 0 ? host.free_port : options.master_port;
    if (!host.standalone_run_id.empty()) plan.run_id = host.standalone_run_id;
  } else {
    plan.nnodes = options.max_nodes;
    bool is_static = options.rdzv_backend == "static";
    if (!options.node_rank && !is_static && plan.nnodes > 1) {
      return FailedPrecondition(
          "--rdzv_backend=" + options.rdzv_backend + " with " + std::to_string(plan.nnodes) +
          " nodes: Skiff's torchrun uses static rendezvous, so each node needs --node_rank "
          "(or PET_NODE_RANK)");
    }
    plan.node_rank = options.node_rank.value_or(0);
    if (plan.node_rank >= plan.nnodes) {
      return FailedPrecondition("--node_rank " + std::to_string(plan.node_rank) +
                                " is out of range for --nnodes " + std::to_string(plan.nnodes));
    }
    plan.master_addr = options.master_addr;
    plan.master_port = options.master_port;
    if (!options.rdzv_endpoint.empty()) {
      SKIFF_ASSIGN_OR_RETURN(
          auto hp, ParseEndpoint(options.rdzv_endpoint, is_static ? -1 : kDynamicRendezvousPort));
      plan.master_addr = hp.first;
      plan.master_port = hp.second;
    }
  }
  plan.no_python = options.no_python && !options.run_path;
  if (plan.no_python) {
    plan.argv.push_back(options.training_script);
  } else {
    const std::string* exec = Get(host.env, "PYTHON_EXEC");
    plan.argv.push_back(exec != nullptr && !exec->empty() ? *exec : kPython);
    plan.argv.push_back("-u");  // as torchrun: unbuffered, so pod logs stream line by line
    if (options.module && !options.run_path) plan.argv.push_back("-m");
    plan.argv.push_back(options.training_script);
  }
  plan.argv.insert(plan.argv.end(), options.script_args.begin(), options.script_args.end());
  if (plan.nproc_per_node > 1 && Get(host.env, "OMP_NUM_THREADS") == nullptr) {
    plan.common_env.emplace_back("OMP_NUM_THREADS", "1");
    plan.warn_omp = true;
  }
  if (Get(host.env, "NCCL_ASYNC_ERROR_HANDLING") == nullptr) {
    plan.common_env.emplace_back("NCCL_ASYNC_ERROR_HANDLING", "1");
  }
  return plan;
}

std::vector<std::pair<std::string, std::string>> RankEnv(const LaunchPlan& plan, int local_rank,
                                                         int restart_count) {
  int world = plan.nnodes * plan.nproc_per_node;
  std::string rank = std::to_string(plan.node_rank * plan.nproc_per_node + local_rank);
  std::vector<std::pair<std::string, std::string>> env = {
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"RANK", rank},
      {"GROUP_RANK", std::to_string(plan.node_rank)},
      {"ROLE_RANK", rank},
      {"ROLE_NAME", plan.role},
      {"LOCAL_WORLD_SIZE", std::to_string(plan.nproc_per_node)},
      {"WORLD_SIZE", std::to_string(world)},
      {"GROUP_WORLD_SIZE", std::to_string(plan.nnodes)},
      {"ROLE_WORLD_SIZE", std::to_string(world)},
      {"MASTER_ADDR", plan.master_addr},
      {"MASTER_PORT", std::to_string(plan.master_port)},
      {"TORCHELASTIC_RESTART_COUNT", std::to_string(restart_count)},
      {"TORCHELASTIC_MAX_RESTARTS", std::to_string(plan.max_restarts)},
      {"TORCHELASTIC_RUN_ID", plan.run_id},
      // torch.distributed's env:// init then lets rank 0 host the TCPStore itself.
      {"TORCHELASTIC_USE_AGENT_STORE", "False"},
  };
  env.insert(env.end(), plan.common_env.begin(), plan.common_env.end());
  return env;
}

}  // namespace skiff::launcher
