// Resolver: a ServiceSource over the informer caches, plus the system resolver as fallback.
#include "servicenet/resolver.h"

#include <arpa/inet.h>
#include <netdb.h>

#include "client/informer.h"

namespace skiff::servicenet {

struct Resolver::Source : ServiceSource {
  client::Informer* services = nullptr;
  client::Informer* endpoints = nullptr;

  std::shared_ptr<const ServiceRecord> Find(std::string_view ns,
                                            std::string_view name) const override {
    client::ObjectPtr svc = services->Get(ns, name);
    if (!svc) return nullptr;
    client::ObjectPtr ep = endpoints->Get(ns, name);
    return std::make_shared<const ServiceRecord>(ParseServiceRecord(*svc, ep.get()));
  }
  bool HasNamespace(std::string_view ns) const override { return !services->List(ns).empty(); }
};

namespace {

StatusOr<std::vector<std::string>> SystemLookup(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) return NotFound("cannot resolve \"" + name + "\": " + gai_strerror(rc));
  std::vector<std::string> out;
  for (addrinfo* p = res; p; p = p->ai_next) {
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(p->ai_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf))) out.emplace_back(buf);
  }
  freeaddrinfo(res);
  if (out.empty()) return NotFound("cannot resolve \"" + name + "\": no IPv4 address");
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Resolver>> Resolver::Create(client::InformerFactory& informers,
                                                     ResolverOptions options) {
  auto source = std::make_unique<Source>();
  SKIFF_ASSIGN_OR_RETURN(source->services, informers.ForKind("v1", "Service"));
  SKIFF_ASSIGN_OR_RETURN(source->endpoints, informers.ForKind("v1", "Endpoints"));
  return std::unique_ptr<Resolver>(new Resolver(std::move(source), std::move(options)));
}

Resolver::Resolver(std::unique_ptr<Source> source, ResolverOptions options)
    : source_(std::move(source)), options_(std::move(options)) {}

Resolver::~Resolver() = default;

StatusOr<std::vector<std::string>> Resolver::LookupHost(std::string_view name) const {
  if (ParseIpv4(name)) return std::vector<std::string>{std::string(name)};
  auto found = LookupClusterHost(*source_, name, options_.search);
  if (found.ok() && found->external_name.empty()) return found->addresses;
  if (!options_.system_fallback) {
    if (!found.ok()) return found.status();
    return NotFound("\"" + std::string(name) + "\" is an ExternalName service for " +
                    found->external_name);
  }
  return SystemLookup(found.ok() ? found->external_name : std::string(name));
}

StatusOr<std::string> Resolver::Resolve(std::string_view name) const {
  SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> all, LookupHost(name));
  return all.front();
}

StatusOr<std::string> Resolver::ResolveHostPort(std::string_view host_port) const {
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgument("expected host:port");
  SKIFF_ASSIGN_OR_RETURN(std::string ip, Resolve(host_port.substr(0, colon)));
  return ip + std::string(host_port.substr(colon));
}

StatusOr<std::string> Resolve(client::InformerFactory& informers, std::string_view name,
                              std::string_view ns) {
  ResolverOptions options;
  options.search.ns = std::string(ns);
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Resolver> r, Resolver::Create(informers, options));
  return r->Resolve(name);
}

}  // namespace skiff::servicenet
