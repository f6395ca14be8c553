// HostNetwork: the host-side interfaces the service network needs — the pod bridge (skiff0) and
// the interface that carries ClusterIPs as /32 addresses (skiff-svc) — managed over rtnetlink,
// so no `ip` child process races the node agent's reaper and nothing depends on iproute2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::servicenet {

// Every call blocks on a netlink round trip (microseconds); call from a worker thread, never an
// event loop. Needs CAP_NET_ADMIN: without it calls fail with PermissionDenied. Thread-safe
// (each call uses its own socket).
class HostNetwork {
 public:
  // Creates the bridge if absent, adds `cidr` ("10.244.0.1/16") if absent, sets it up.
  // Idempotent, and safe when the node agent does the same concurrently.
  static Status EnsureBridge(std::string_view name, std::string_view cidr);
  // Creates a dummy interface (or, where the kernel lacks the dummy driver, a bridge without
  // ports, which holds local addresses just the same) and sets it up. Idempotent.
  static Status EnsureAddressInterface(std::string_view name);
  // Adds / removes ip/32 on `iface`. Adding an existing address and removing a missing one
  // succeed.
  static Status AddAddress(std::string_view iface, std::string_view ip);
  static Status RemoveAddress(std::string_view iface, std::string_view ip);
  // IPv4 addresses on `iface` (dotted). NotFound when the interface does not exist.
  static StatusOr<std::vector<std::string>> ListAddresses(std::string_view iface);
  // Deletes the interface (tests). Deleting a missing one succeeds.
  static Status DeleteInterface(std::string_view name);
};

}  // namespace skiff::servicenet
