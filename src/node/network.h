// Pod networking as root: a host bridge (skiff0, 10.244.0.1/16), and per pod a network
// namespace joined to it by a veth pair, with an address from a host-wide IPAM directory (one
// file per address, as CNI's host-local plugin keeps them) so concurrent agents never collide.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::node {

struct NetworkOptions {
  std::string bridge{"skiff0"};
  std::string gateway{"10.244.0.1"};  // the bridge's address: DNS and ClusterIPs answer here
  int prefix_length = 16;             // 10.244.0.0/16
  std::string ipam_dir{"/run/skiff/ipam"};
  // Written beside each address's owner (the agent's pod state directory), so a later agent
  // can tell its own leftover sandboxes, and those of a data dir that is gone, from the live
  // pods of another agent on this host.
  std::string owner_tag{};
};

// One address file: the pod it belongs to and the owner_tag of the agent that set it up.
struct PodAllocation {
  std::string pod_uid;
  std::string owner_tag;
};

// Thread-compatible; every method is idempotent and talks rtnetlink (blocks ~tens of µs).
class PodNetwork {
 public:
  explicit PodNetwork(NetworkOptions options = {}) : options_(std::move(options)) {}

  // Creates the bridge with the gateway address when absent; a leftover one is reused.
  Status EnsureBridge();
  // The pod's netns with eth0 up on the bridge, lo up and a default route via the gateway;
  // returns the pod IP. Reuses a complete netns left by an earlier run of the agent.
  StatusOr<std::string> Setup(const std::string& pod_uid);
  // Deletes the netns (its veth goes with it) and releases the address. Idempotent.
  Status Teardown(const std::string& pod_uid);

  // Every address allocated on this host (all agents).
  std::vector<PodAllocation> Allocations() const;

  static std::string NetnsName(const std::string& pod_uid);  // "skiff-<uid>"
  static std::string NetnsPath(const std::string& pod_uid);  // "/run/netns/skiff-<uid>"
  const NetworkOptions& options() const { return options_; }

 private:
  StatusOr<std::string> Allocate(const std::string& owner);
  std::string FindAllocation(const std::string& owner) const;
  void Release(const std::string& owner);

  NetworkOptions options_;
};

}  // namespace skiff::node
