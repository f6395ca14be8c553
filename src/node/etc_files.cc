// Rendering of the pod's managed /etc/hosts and /etc/resolv.conf.
#include "node/etc_files.h"

namespace skiff::node {

std::string RenderHostsFile(const HostsFileInput& in) {
  std::string out =
      "# Kubernetes-managed hosts file.\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  if (!in.pod_ip.empty()) {
    if (!in.subdomain.empty()) {
      out += in.pod_ip + "\t" + in.hostname + "." + in.subdomain + "." + in.ns + ".svc." +
             in.cluster_domain + "\t" + in.hostname + "\n";
    } else {
      out += in.pod_ip + "\t" + in.hostname + "\n";
    }
  }
  if (!in.host_aliases.empty()) {
    out += "\n# Entries added by HostAliases.\n";
    for (const auto& [ip, name] : in.host_aliases) out += ip + "\t" + name + "\n";
  }
  return out;
}

std::string RenderResolvConf(const std::string& ns, const std::string& nameserver,
                             const std::string& cluster_domain) {
  return "search " + ns + ".svc." + cluster_domain + " svc." + cluster_domain + " " +
         cluster_domain + "\nnameserver " + nameserver + "\noptions ndots:5\n";
}

}  // namespace skiff::node
