// ServiceNetwork: Services made real on one host — ClusterIPs on the `skiff-svc` interface with a
// userspace TCP proxy per service port, and cluster DNS on the pod bridge — fed by Service and
// Endpoints informers. Without CAP_NET_ADMIN it falls back to loopback (docs/networking.md).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "servicenet/dns_lookup.h"
#include "servicenet/service_proxy.h"
#include "servicenet/service_table.h"

namespace skiff::client {
class Client;
class InformerFactory;
}  // namespace skiff::client

namespace skiff::servicenet {

enum class NetworkMode {
  kAuto,      // kHost when the host network can be set up, else kLoopback with a warning
  kHost,      // bridge + ClusterIPs on skiff-svc + DNS on the bridge address; fail otherwise
  kLoopback,  // no interfaces touched: DNS and one proxy port per service port on 127.0.0.1
};

struct ServiceNetworkOptions {
  // Keeps <data_dir>/servicenet/: the ClusterIPs this instance added (so a restart after a crash
  // removes stale ones, and never touches another instance's), the DNS address and, in loopback
  // mode, the port of each service port. "" = no state kept.
  std::string data_dir{};
  NetworkMode mode = NetworkMode::kAuto;
  std::string bridge = "skiff0";  // pod bridge; created if the node agent has not yet
  std::string bridge_cidr = "10.244.0.1/16";
  std::string service_interface = "skiff-svc";  // carries each ClusterIP as a /32
  // DNS server address. "" = <bridge address>:53 in host mode, 127.0.0.1:0 (a free port) in
  // loopback mode.
  std::string dns_listen{};
  ClusterDnsOptions dns{};
  // "ip:port" of the API server. When set, default/kubernetes (ClusterIP `kubernetes_cluster_ip`,
  // port 443 "https") and its Endpoints are kept pointing at it, as kube-apiserver does.
  std::string apiserver_endpoint{};
  std::string kubernetes_cluster_ip = "10.96.0.1";
  // The controller manager's shared informers; null = the network runs its own (started and
  // stopped with it). Not owned.
  client::InformerFactory* informers = nullptr;
  ServiceProxyOptions proxy{};
};

// Thread-safe. Lifecycle: Create, Start, (queries), Stop/destroy. Owns three threads: the sync
// worker (netlink calls and API writes block; they stay off the loops), the proxy loop and the
// DNS loop.
class ServiceNetwork {
 public:
  // `client` is not owned and must outlive the network. Errors: InvalidArgument for bad options.
  static StatusOr<std::unique_ptr<ServiceNetwork>> Create(client::Client* client,
                                                          ServiceNetworkOptions options);
  ~ServiceNetwork();  // Stop()
  ServiceNetwork(const ServiceNetwork&) = delete;
  ServiceNetwork& operator=(const ServiceNetwork&) = delete;

  // Sets up the host network (or falls back), starts DNS, the proxy and the informers. Returns
  // once serving; the first sync follows asynchronously (see WaitForSync). Errors: Unavailable
  // when kHost was demanded and the host network cannot be set up, or informers cannot be made.
  // A DNS address already in use is not fatal: see degraded().
  Status Start();
  // Stops serving and removes the ClusterIPs this instance added. Idempotent.
  void Stop();

  NetworkMode mode() const;         // the effective mode after Start (never kAuto)
  std::string dns_address() const;  // "10.244.0.1:53"; "" when DNS could not bind
  // Why the network is not fully working ("" when it is): DNS bind failure, listeners that could
  // not bind, the loopback fallback.
  std::string degraded() const;

  // Blocks until the informers have synced and everything seen so far is applied to DNS, the
  // proxy and the interface. False on timeout.
  bool WaitForSync(std::chrono::milliseconds timeout);
  // Blocks until `pred` holds, checking after each applied change. False on timeout (tests).
  bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

  // The current snapshot of every Service and its Endpoints.
  std::shared_ptr<const ServiceTable> table() const;
  // Host-reachable "ip:port" of a service port (by name or number): the ClusterIP and port in
  // host mode, 127.0.0.1 and the allocated port in loopback mode. NotFound if unknown.
  StatusOr<std::string> ServiceAddress(std::string_view ns, std::string_view name,
                                       std::string_view port) const;
  // "prometheus.monitoring:9090" (any name a pod in `ns` could use) -> a host-reachable
  // "ip:port". A name that is a service maps as ServiceAddress does; a pod name (headless) gives
  // the pod IP. Errors: NotFound when nothing in the cluster matches.
  StatusOr<std::string> ResolveHostPort(std::string_view host_port,
                                        std::string_view ns = "default") const;

 private:
  struct Impl;
  explicit ServiceNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::servicenet
