// The per-pod /etc/hosts and /etc/resolv.conf, rendered as the kubelet writes them
// (pkg/kubelet/kubelet_pods.go managedHostsFileContent, dns.go).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace skiff::node {

struct HostsFileInput {
  std::string pod_ip{};  // "" (host network): no pod line
  std::string hostname{};
  std::string subdomain{};
  std::string ns{};
  std::string cluster_domain{"cluster.local"};
  std::vector<std::pair<std::string, std::string>> host_aliases{};  // ip, hostname
};

std::string RenderHostsFile(const HostsFileInput& in);

// search <ns>.svc.<domain> svc.<domain> <domain> / nameserver <ip> / options ndots:5
std::string RenderResolvConf(const std::string& ns, const std::string& nameserver,
                             const std::string& cluster_domain = "cluster.local");

}  // namespace skiff::node
