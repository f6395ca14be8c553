// ServiceRecord: the typed view of one Service and its Endpoints that DNS, the ClusterIP proxy
// and the in-process resolver read. ServiceSource is where they look records up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace skiff::servicenet {

struct ServicePort {
  std::string name{};
  int port = 0;
  std::string protocol = "TCP";  // TCP, UDP, SCTP
};

struct EndpointAddress {
  std::string ip{};
  std::string hostname{};  // set for pods with spec.hostname + matching spec.subdomain
};

struct EndpointPort {
  std::string name{};
  int port = 0;
  std::string protocol = "TCP";
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses{};  // ready (or published although not ready)
  std::vector<EndpointAddress> not_ready{};
  std::vector<EndpointPort> ports{};
};

// Immutable once built; shared between threads as shared_ptr<const ServiceRecord>.
struct ServiceRecord {
  std::string ns{};
  std::string name{};
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip{};        // "" when unset; never "None" (see headless)
  bool headless = false;           // spec.clusterIP == "None"
  std::string external_name{};     // type ExternalName
  std::vector<ServicePort> ports{};
  std::vector<EndpointSubset> subsets{};  // from the Endpoints object of the same name
};

// One reachable backend of a service port.
struct Backend {
  std::string ip{};
  int port = 0;
  bool operator==(const Backend&) const = default;
  bool operator<(const Backend& o) const { return ip < o.ip || (ip == o.ip && port < o.port); }
};

// Builds a record from a core/v1 Service and its Endpoints (`endpoints` may be null). Tolerates
// missing or ill-typed fields (the API server validated them; a partial object gives a partial
// record rather than an error).
ServiceRecord ParseServiceRecord(const Json& service, const Json* endpoints);

// The ready backends for `port`: every ready address of each subset whose ports include one with
// the same name (and protocol) as the service port. Sorted, without duplicates.
std::vector<Backend> BackendsFor(const ServiceRecord& record, const ServicePort& port);

// Read-side lookup shared by the DNS server and the resolver. Implementations are thread-safe.
class ServiceSource {
 public:
  virtual ~ServiceSource() = default;
  // nullptr when there is no such Service.
  virtual std::shared_ptr<const ServiceRecord> Find(std::string_view ns,
                                                    std::string_view name) const = 0;
  // True when at least one Service exists in `ns` (so `<ns>.svc.<domain>` exists as a name).
  virtual bool HasNamespace(std::string_view ns) const = 0;
};

}  // namespace skiff::servicenet
