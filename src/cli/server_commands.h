// Entry points of the daemon subcommands (`skiff up`, `skiff kubeconfig`), implemented beside
// the server wiring; main.cc parses flags and calls these.
#pragma once

#include <string>
#include <vector>

namespace skiff::cli {

struct UpOptions {
  std::string data_dir;                   // empty = DefaultDataDir()
  std::string listen = "127.0.0.1:6443";  // host:port for the HTTPS API
  std::string log_level = "info";         // trace, debug, info, warn, error
  bool controllers = true;                // run the controller manager in-process
  // The local node agent (pods as processes): see NodeFlags.
  bool node = true;
  std::string node_name = "skiff";
  int simulate_gpus = 0;
  std::vector<std::string> capacity;  // name=quantity
  std::string image_map;
  bool no_sandbox = false;
  // Kueue Configuration YAML stored as kueue-system/kueue-manager-config before the
  // controllers start (as installing Kueue with a config does).
  std::string kueue_config;
  // The data-plane gateway (DESIGN.md §6; InferenceService routing programs it); "" = off.
  std::string gateway_listen = "127.0.0.1:8080";
};

struct NodeOptions {
  std::string kubeconfig;
  std::string context;
  std::string data_dir;  // must be the API server's data dir (pod logs are served from it)
  std::string node_name = "skiff";
  int simulate_gpus = 0;
  std::vector<std::string> capacity;  // name=quantity
  std::string image_map;
  bool no_sandbox = false;
  std::string log_level = "info";
};

// Runs the node agent alone against an API server until SIGINT/SIGTERM.
int RunNode(const NodeOptions& options);

struct ControllersOptions {
  std::string kubeconfig;  // empty: $KUBECONFIG / ~/.kube/config, or in-cluster config
  std::string context;
  bool leader_elect = true;  // as kube-controller-manager's --leader-elect
  std::string election_namespace = "kube-system";
  std::string identity;       // default: hostname_random
  int lease_duration_s = 15;  // renew deadline and retry period scale with it
  std::vector<std::string> only;  // --controllers: a subset by name
  std::string log_level = "info";
};

// Runs every controller against the API server in the kubeconfig until SIGINT/SIGTERM.
int RunControllers(const ControllersOptions& options);

// Runs the embedded control plane until SIGINT/SIGTERM. Returns the process exit code.
int RunUp(const UpOptions& options);

// Prints the kubeconfig written by `skiff up` into `data_dir`. Returns the exit code.
int RunKubeconfig(const std::string& data_dir);

// $SKIFF_DATA_DIR, else $XDG_DATA_HOME/skiff, else ~/.local/share/skiff.
std::string DefaultDataDir();

}  // namespace skiff::cli
