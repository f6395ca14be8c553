// ServiceProxy: kube-proxy's userspace mode. One TCP listener per service port (on the ClusterIP,
// or on loopback in the fallback), each accepted connection spliced to a ready backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "servicenet/service_record.h"

namespace skiff::servicenet {

// The desired state of one listener.
struct ProxyListenerSpec {
  std::string key{};      // stable identity, "ns/name/portname/TCP"; a changed address reopens
  std::string bind_ip{};  // ClusterIP, or 127.0.0.1 in the fallback
  int bind_port = 0;      // 0 = any free port (kept for the listener's lifetime)
  std::vector<Backend> backends{};
};

struct ProxyListenerState {
  std::string key{};
  int port = 0;     // bound port; 0 when binding failed
  Status status{};  // why binding failed
};

struct ServiceProxyOptions {
  // How long a connect to one backend may take before the next backend is tried. A vanished
  // pod IP on the bridge otherwise takes the kernel's ARP timeout (~3 s) per attempt.
  int connect_timeout_ms = 2000;
  // Backends tried per connection before giving up (connection reset to the client).
  int max_attempts = 3;
};

// Runs its own event loop thread (the proxy's connections must not share a loop with blocking
// controller work). Update() is thread-safe and blocks until the loop has applied it.
class ServiceProxy {
 public:
  explicit ServiceProxy(ServiceProxyOptions options = {});
  ~ServiceProxy();  // Stop()
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  // Makes the listeners exactly `desired`: opens new ones, closes absent ones (connections in
  // flight continue), replaces backends in place. Returns one state per desired listener.
  // A listener with no backends accepts and resets each connection.
  std::vector<ProxyListenerState> Update(std::vector<ProxyListenerSpec> desired);
  void Stop();

  struct Stats {
    uint64_t accepted = 0;        // connections accepted
    uint64_t proxied = 0;         // connected to a backend
    uint64_t rejected = 0;        // reset: no backend, or every attempt failed
    uint64_t connect_errors = 0;  // failed backend connect attempts
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::servicenet
