// NodeAgent: the local node agent (skiff's kubelet). Registers a Node, heartbeats its Lease,
// watches the pods bound to it and runs them as supervised processes (docs/node.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace skiff::client {
class Client;
}

namespace skiff::node {

enum class SandboxMode {
  kAuto,  // a sandbox when running as root, else the fallback
  kOn,    // require it: Create fails when not root
  kOff,   // --no-sandbox: host network, no mount namespace, no cgroups
};

struct AgentOptions {
  std::string node_name{"skiff"};
  // Required. Pod state (<data_dir>/node/<node_name>/pods), logs
  // (<data_dir>/logs/<ns>/<pod>/<c>.log, the path the API server's pods/log reads) and claims
  // (<data_dir>/volumes/pvc).
  std::string data_dir{};
  int simulate_gpus = 0;  // --simulate-gpus N: extra nvidia.com/gpu devices, marked simulated
  std::vector<std::pair<std::string, std::string>> extra_capacity{};  // --capacity name=qty
  std::string image_map_file{};  // --image-map FILE (YAML/JSON image: program)
  SandboxMode sandbox = SandboxMode::kAuto;
  // Where `skiff/<name>` images find binaries, and where Skiff's torchrun lives
  // (skiff-torchrun, container-bin/torchrun); "" = the directory of /proc/self/exe.
  std::string skiff_bin_dir{};
  int max_pods = 110;
  // A container log larger than this is cut to its newest half (checked every 10 s).
  int64_t max_log_bytes = 10 << 20;
  std::string cluster_domain{"cluster.local"};
  // Pod network (sandbox mode). The servicenet component serves DNS on the gateway address.
  std::string bridge{"skiff0"};
  std::string gateway{"10.244.0.1"};
  int prefix_length = 16;
  // Resource usage sampling for metrics.k8s.io (kubectl top, the HPA): how often containers are
  // read, and the window CPU rates average over.
  std::chrono::milliseconds usage_interval{1000};
  std::chrono::milliseconds usage_window{5000};
};

// Lifecycle: Create, Start, (runs), Stop. Thread-safe Start/Stop.
class NodeAgent {
 public:
  // Validates options and detects the host (cpu, memory, GPUs, root). Does not touch the API.
  static StatusOr<std::unique_ptr<NodeAgent>> Create(client::Client* client, AgentOptions options);
  ~NodeAgent();  // Stop()

  // Registers the Node and Lease (blocking; errors returned), sets up the bridge in sandbox
  // mode, and starts watching pods with spec.nodeName=<node_name>. Pods left running by an
  // earlier agent on the same data dir are re-adopted.
  Status Start();
  // Stops watching and heartbeating. Pods keep running (`skiff up` restarts re-adopt them);
  // pods already deleted from the API are killed and their sandboxes removed first, so no
  // sandbox is left half torn down.
  void Stop();
  // Kills every pod process this agent supervises (grace period from each pod) and cleans up
  // their sandboxes, without touching the API objects. Blocks until done or `timeout`.
  void KillAllPods(std::chrono::seconds timeout = std::chrono::seconds(30));

  bool sandboxed() const;
  const std::string& node_name() const;

 private:
  struct Impl;
  explicit NodeAgent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::node
