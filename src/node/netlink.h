// Netlink: the rtnetlink requests the pod network needs (links, veth pairs, IPv4 addresses,
// routes) and network namespaces created and deleted directly (unshare + bind mount), so pod
// setup forks no `ip` process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::node {

// One NETLINK_ROUTE socket, bound to the network namespace it was opened in. Each call is one
// request with an ack (microseconds). Thread-compatible; needs CAP_NET_ADMIN (PermissionDenied
// without). Errors map the kernel's errno: EEXIST → AlreadyExists, ENODEV/ENOENT → NotFound.
class Netlink {
 public:
  // A socket in the caller's network namespace.
  static StatusOr<Netlink> Open();
  // A socket in the network namespace of `netns_path` (a bind-mounted nsfs file), opened from a
  // short-lived thread that joins it, so the caller's namespace never changes.
  static StatusOr<Netlink> OpenIn(const std::string& netns_path);
  Netlink(Netlink&& other) noexcept;
  Netlink& operator=(Netlink&& other) noexcept;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink();

  // Interface index of `name` in this socket's namespace; NotFound when absent.
  StatusOr<int> LinkIndex(std::string_view name);
  // Creates a link of `kind` ("bridge", "dummy"); AlreadyExists when present.
  Status CreateLink(std::string_view name, std::string_view kind);
  // Creates a veth pair: `name` here, `peer` directly inside the namespace of `peer_netns_path`.
  Status CreateVeth(std::string_view name, std::string_view peer,
                    const std::string& peer_netns_path);
  // Sets the link up, optionally enslaving it to `master` first (0 = no master).
  Status SetUp(int index, int master = 0);
  // Adds ip/prefix to the link; AlreadyExists when present.
  Status AddAddress(int index, std::string_view ip, int prefix);
  // IPv4 addresses (dotted) on the link.
  StatusOr<std::vector<std::string>> Addresses(int index);
  // Adds the default IPv4 route via `gateway` out of link `index`; AlreadyExists when present.
  Status AddDefaultRoute(std::string_view gateway, int index);
  // Deletes the link (a veth takes its peer with it); NotFound when absent.
  Status DeleteLink(std::string_view name);

 private:
  explicit Netlink(int fd) : fd_(fd) {}
  int fd_ = -1;
  unsigned seq_ = 0;
  friend struct NetlinkRequest;
};

// Creates a network namespace pinned at `path` (/run/netns/<name>, as `ip netns add` does: the
// directory is a shared mount so pods' mount namespaces see later unmounts). AlreadyExists when
// the file exists. Blocks briefly (one short-lived thread).
Status CreateNetns(const std::string& path);
// Unmounts and removes a pinned namespace (`ip netns del`). Missing: OK.
Status DeleteNetns(const std::string& path);

}  // namespace skiff::node
