// Starting the node agent from the CLI (`skiff up` in-process, `skiff node` alone).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::client {
class Client;
}
namespace skiff::node {
class NodeAgent;
}

namespace skiff::cli {

struct NodeAgentFlags {
  std::string data_dir;
  std::string node_name;
  int simulate_gpus = 0;
  std::vector<std::string> capacity;  // name=quantity
  std::string image_map;
  bool no_sandbox = false;
};

// Creates and starts the agent (registers the Node, re-adopts pods left running).
StatusOr<std::unique_ptr<node::NodeAgent>> StartNodeAgent(client::Client* client,
                                                          const NodeAgentFlags& flags);

}  // namespace skiff::cli
