// Resolver: cluster names for skiff's own components ("prometheus.monitoring" -> 10.96.x.y),
// with the pods' search-path rules, read straight from the shared Service/Endpoints informers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "servicenet/dns_lookup.h"

namespace skiff::client {
class InformerFactory;
class Informer;
}  // namespace skiff::client

namespace skiff::servicenet {

struct ResolverOptions {
  SearchOptions search{};  // namespace whose search path applies ("default"), domain, ndots
  // Names the cluster does not know (and ExternalName targets) go to the system resolver
  // (getaddrinfo, blocking). false: they are NotFound.
  bool system_fallback = true;
};

// Thread-safe; every call reads the informer caches (no copy of its own). Calls may block in
// getaddrinfo when system_fallback is on: use from controller workers, never an event loop.
class Resolver {
 public:
  // Registers (or reuses) the v1 Service and Endpoints informers of `informers`, which must
  // outlive the resolver; they are started with the factory.
  static StatusOr<std::unique_ptr<Resolver>> Create(client::InformerFactory& informers,
                                                    ResolverOptions options = {});
  ~Resolver();

  // Every IPv4 address of `name`: an IP literal as is, cluster names by the search rules (the
  // ClusterIP for a service, endpoint IPs for a headless one), else the system resolver.
  // Errors: NotFound.
  StatusOr<std::vector<std::string>> LookupHost(std::string_view name) const;
  // The first address of LookupHost.
  StatusOr<std::string> Resolve(std::string_view name) const;
  // "prometheus.monitoring:9090" -> "10.96.3.7:9090".
  StatusOr<std::string> ResolveHostPort(std::string_view host_port) const;

 private:
  struct Source;
  Resolver(std::unique_ptr<Source> source, ResolverOptions options);
  std::unique_ptr<Source> source_;
  ResolverOptions options_;
};

// One-shot form of Resolver::Resolve for `name` as a pod in `ns` would see it.
StatusOr<std::string> Resolve(client::InformerFactory& informers, std::string_view name,
                              std::string_view ns = "default");

}  // namespace skiff::servicenet
