// Cluster DNS semantics (the Kubernetes DNS spec, as CoreDNS's kubernetes plugin serves it):
// which records a name under the cluster domain has, and the search-path rules pods use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "servicenet/dns_message.h"
#include "servicenet/service_record.h"

namespace skiff::servicenet {

struct ClusterDnsOptions {
  std::string domain = "cluster.local";  // the cluster zone, without a trailing dot
  uint32_t ttl = 5;                      // seconds, for answers and negative caching (SOA min)
};

struct LookupAnswer {
  DnsResponse response{};
  // The name is outside the cluster zone: response.rcode is REFUSED; a server may forward it.
  bool outside_zone = false;
};

// Answers one question (lower-cased labels, query type) from `source`:
//   <svc>.<ns>.svc.<domain>                A: ClusterIP, or each ready endpoint when headless;
//                                          SRV: one per named port. ExternalName: CNAME.
//   <host>.<svc>.<ns>.svc.<domain>         A: the endpoint of a headless service whose hostname
//                                          (or dashed IP, 10-244-0-5) is <host>.
//   _<port>._<proto>.<svc>.<ns>.svc.<dom>  SRV (targets with glue A records in additional).
//   <a-b-c-d>.<ns>.pod.<domain>            A: a.b.c.d.
// Existing names without records of the type (AAAA, say) get NOERROR with no answers, unknown
// names NXDOMAIN; both carry the zone SOA in authority for negative caching.
LookupAnswer LookupQuestion(const ServiceSource& source, const std::vector<std::string>& labels,
                            uint16_t qtype, const ClusterDnsOptions& options);

// The whole server-side exchange for one message: parse, answer, encode. `tcp` lifts the UDP
// size limit. Returns nullopt for messages that must not be answered (responses, runts);
// FORMERR for malformed queries, NOTIMP for opcodes other than QUERY, REFUSED for names outside
// the cluster zone (skiff does not recurse: pods have no route out anyway).
std::optional<std::string> AnswerDnsMessage(const ServiceSource& source, std::string_view message,
                                            bool tcp, const ClusterDnsOptions& options);

// A pod's resolv.conf search list: <ns>.svc.<domain> svc.<domain> <domain>.
std::vector<std::string> SearchList(std::string_view ns, std::string_view domain);

// The absolute names a stub resolver tries for `name`, in order (glibc's rule): a name ending in
// '.' is tried as is; one with at least `ndots` dots is tried as is, then with each search
// suffix; otherwise with each suffix first, then as is.
std::vector<std::string> SearchCandidates(std::string_view name,
                                          const std::vector<std::string>& search, int ndots);

struct SearchOptions {
  std::string ns = "default";  // whose search path applies
  ClusterDnsOptions dns{};
  int ndots = 5;  // as in the pods' resolv.conf
};

struct HostLookup {
  std::string name{};                    // the absolute name that answered
  std::vector<std::string> addresses{};  // dotted quads
  std::string external_name{};           // set instead when the name is an ExternalName service
};

// Resolves `name` to IPv4 addresses from `source` with the pods' search rules. Errors: NotFound
// when no candidate exists in the cluster zone (callers may then try the system resolver).
StatusOr<HostLookup> LookupClusterHost(const ServiceSource& source, std::string_view name,
                                       const SearchOptions& options);

}  // namespace skiff::servicenet
