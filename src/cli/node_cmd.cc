// `skiff node`: the local node agent alone, against an API server; and the helper `skiff up`
// uses to run it in-process.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/node_agent.h"
#include "cli/daemon.h"
#include "cli/server_commands.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "node/agent.h"

namespace skiff::cli {

StatusOr<std::unique_ptr<node::NodeAgent>> StartNodeAgent(client::Client* client,
                                                          const NodeAgentFlags& f) {
  node::AgentOptions ao;
  ao.data_dir = f.data_dir;
  ao.node_name = f.node_name;
  ao.simulate_gpus = f.simulate_gpus;
  ao.image_map_file = f.image_map;
  ao.sandbox = f.no_sandbox ? node::SandboxMode::kOff : node::SandboxMode::kAuto;
  for (const auto& kv : f.capacity) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--capacity wants name=quantity, got \"" + kv + "\"");
    }
    ao.extra_capacity.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  SKIFF_ASSIGN_OR_RETURN(auto agent, node::NodeAgent::Create(client, ao));
  SKIFF_RETURN_IF_ERROR(agent->Start());
  if (!agent->sandboxed()) {
    spdlog::warn(
        "component=node running without pod sandboxes (not root or --no-sandbox): pods share the "
        "host network and ports; see docs/node.md");
  }
  return agent;
}

int RunNode(const NodeOptions& options) {
  InitDaemonLogging(options.log_level);
  // Block termination signals before any thread starts, then wait for them here.
  sigset_t set = BlockTerminationSignals();
  std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  auto config =
      client::LoadKubeconfig(options.kubeconfig, options.context, data_dir + "/kubeconfig");
  if (!config.ok()) {
    std::cerr << "skiff node: " << config.status().message() << "\n";
    return 1;
  }
  client::RestClientOptions ro;
  ro.user_agent = "skiff-node/v0.1.0 (linux/amd64)";
  auto cl = client::Client::FromConfig(*config, ro);
  if (!cl.ok()) {
    std::cerr << "skiff node: " << cl.status().message() << "\n";
    return 1;
  }
  NodeAgentFlags f{data_dir,           options.node_name, options.simulate_gpus,
                   options.capacity,   options.image_map, options.no_sandbox};
  auto agent = StartNodeAgent(cl->get(), f);
  if (!agent.ok()) {
    std::cerr << "skiff node: " << agent.status().ToString() << "\n";
    return 1;
  }
  std::cerr << "skiff node: node agent " << options.node_name << " registered with " << config->server
            << ((*agent)->sandboxed() ? " (pod sandboxes on)" : " (no pod sandboxes)") << "\n";
  int sig = WaitForTermination(set);
  spdlog::info("component=node received signal {}, shutting down (pods keep running)", sig);
  (*agent)->Stop();
  return 0;
}

}  // namespace skiff::cli
