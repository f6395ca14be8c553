// Cluster DNS: maps names under the cluster domain to records from ServiceRecords, and the
// search-path expansion shared by the DNS server's clients and the in-process resolver.
#include "servicenet/dns_lookup.h"

#include <algorithm>
#include <set>

namespace skiff::servicenet {
namespace {

std::vector<std::string> Split(std::string_view name) {
  std::vector<std::string> out;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string label(name.substr(0, dot));
    for (char& c : label) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    out.push_back(std::move(label));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

std::string Join(const std::vector<std::string>& labels, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from) out += '.';
    out += labels[i];
  }
  return out;
}

std::string LowerProto(std::string p) {
  for (char& c : p) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return p;
}

// "10-244-0-5" -> 10.244.0.5.
std::optional<uint32_t> DashedIp(std::string_view label) {
  std::string dotted(label);
  std::replace(dotted.begin(), dotted.end(), '-', '.');
  return ParseIpv4(dotted);
}

std::string Dashed(const std::string& ip) {
  std::string out = ip;
  std::replace(out.begin(), out.end(), '.', '-');
  return out;
}

class Answerer {
 public:
  Answerer(const ServiceSource& source, const ClusterDnsOptions& options)
      : source_(source), options_(options) {}

  LookupAnswer Answer(const std::vector<std::string>& labels, uint16_t qtype) {
    qname_ = Join(labels, 0, labels.size());
    qtype_ = qtype;
    std::vector<std::string> zone = Split(options_.domain);
    if (labels.size() < zone.size() ||
        !std::equal(zone.begin(), zone.end(), labels.end() - zone.size())) {
      LookupAnswer out;
      out.outside_zone = true;
      out.response.rcode = DnsRcode::kRefused;
      return out;
    }
    answer_.response.authoritative = true;
    // The name relative to the zone, innermost label first: ["web", "default", "svc"].
    std::vector<std::string> rel(labels.begin(), labels.end() - zone.size());
    Resolve(rel);
    if (answer_.response.rcode != DnsRcode::kNoError || answer_.response.answers.empty()) {
      answer_.response.authority.push_back(Soa());
    }
    return std::move(answer_);
  }

 private:
  bool Wants(DnsType t) const {
    return qtype_ == static_cast<uint16_t>(t) || qtype_ == static_cast<uint16_t>(DnsType::kAny);
  }
  void NxDomain() { answer_.response.rcode = DnsRcode::kNxDomain; }

  void Resolve(const std::vector<std::string>& rel) {
    size_t n = rel.size();
    if (n == 0) {
      if (Wants(DnsType::kSoa)) answer_.response.answers.push_back(Soa());
      return;
    }
    if (rel[n - 1] == "pod") return Pod(rel);
    if (rel[n - 1] != "svc") return NxDomain();
    if (n == 1) return;  // "svc.<domain>" exists (it has children) but holds no records
    const std::string& ns = rel[n - 2];
    if (n == 2) {
      if (!source_.HasNamespace(ns)) NxDomain();
      return;
    }
    auto svc = source_.Find(ns, rel[n - 3]);
    if (!svc) return NxDomain();
    if (n == 3) return Service(*svc);
    if (n == 4) {
      // "_tcp.<svc>..." is an empty non-terminal when the service has such ports.
      if (!rel[0].empty() && rel[0][0] == '_') {
        if (!HasProtocol(*svc, rel[0].substr(1))) NxDomain();
        return;
      }
      return Endpoint(*svc, rel[0]);
    }
    if (n == 5 && !rel[0].empty() && rel[0][0] == '_' && !rel[1].empty() && rel[1][0] == '_') {
      return PortSrv(*svc, rel[0].substr(1), rel[1].substr(1));
    }
    NxDomain();
  }

  std::string ServiceName(const ServiceRecord& svc) const {
    return svc.name + "." + svc.ns + ".svc." + options_.domain;
  }

  void Service(const ServiceRecord& svc) {
    std::string fqdn = ServiceName(svc);
    if (svc.type == "ExternalName") {
      if (!svc.external_name.empty()) {
        answer_.response.answers.push_back({.name = qname_,
                                            .type = DnsType::kCname,
                                            .ttl = options_.ttl,
                                            .target = svc.external_name});
      }
      return;
    }
    if (Wants(DnsType::kA)) {
      for (const auto& ip : ServiceIps(svc)) AddA(answer_.response.answers, qname_, ip);
    }
    if (Wants(DnsType::kSrv)) {
      for (const auto& p : svc.ports) {
        if (!p.name.empty()) AddSrv(svc, p, fqdn);
      }
    }
  }

  std::vector<std::string> ServiceIps(const ServiceRecord& svc) const {
    std::vector<std::string> ips;
    if (!svc.headless) {
      if (!svc.cluster_ip.empty()) ips.push_back(svc.cluster_ip);
      return ips;
    }
    std::set<std::string> seen;
    for (const auto& subset : svc.subsets) {
      for (const auto& a : subset.addresses) {
        if (seen.insert(a.ip).second) ips.push_back(a.ip);
      }
    }
    return ips;
  }

  void Endpoint(const ServiceRecord& svc, const std::string& host) {
    // Per-endpoint names exist only for headless services (the DNS spec, §2.4.1).
    if (!svc.headless) return NxDomain();
    std::set<std::string> ips;
    for (const auto& subset : svc.subsets) {
      for (const auto& a : subset.addresses) {
        if (a.hostname == host || (a.hostname.empty() && Dashed(a.ip) == host)) ips.insert(a.ip);
      }
    }
    if (ips.empty()) return NxDomain();
    if (!Wants(DnsType::kA)) return;
    for (const auto& ip : ips) AddA(answer_.response.answers, qname_, ip);
  }

  bool HasProtocol(const ServiceRecord& svc, const std::string& proto) const {
    for (const auto& p : svc.ports) {
      if (!p.name.empty() && LowerProto(p.protocol) == proto) return true;
    }
    return false;
  }

  void PortSrv(const ServiceRecord& svc, const std::string& port_name, const std::string& proto) {
    const ServicePort* port = nullptr;
    for (const auto& p : svc.ports) {
      if (p.name == port_name && LowerProto(p.protocol) == proto) port = &p;
    }
    if (!port) return NxDomain();
    if (Wants(DnsType::kSrv)) AddSrv(svc, *port, ServiceName(svc));
  }

  void AddSrv(const ServiceRecord& svc, const ServicePort& port, const std::string& fqdn) {
    auto& answers = answer_.response.answers;
    auto& extra = answer_.response.additional;
    if (!svc.headless) {
      if (svc.cluster_ip.empty()) return;
      answers.push_back({.name = qname_,
                         .type = DnsType::kSrv,
                         .ttl = options_.ttl,
                         .srv = {.priority = 0,
                                 .weight = 100,
                                 .port = static_cast<uint16_t>(port.port),
                                 .target = fqdn}});
      AddA(extra, fqdn, svc.cluster_ip);
      return;
    }
    struct Target {
      std::string name;
      std::string ip;
      int port;
    };
    std::vector<Target> targets;
    for (const auto& subset : svc.subsets) {
      for (const auto& ep : subset.ports) {
        if (ep.name != port.name || ep.protocol != port.protocol) continue;
        for (const auto& a : subset.addresses) {
          std::string host = a.hostname.empty() ? Dashed(a.ip) : a.hostname;
          targets.push_back({host + "." + fqdn, a.ip, ep.port});
        }
      }
    }
    uint16_t weight =
        targets.empty() ? 0 : static_cast<uint16_t>(std::max<size_t>(1, 100 / targets.size()));
    for (const auto& t : targets) {
      answers.push_back({.name = qname_,
                         .type = DnsType::kSrv,
                         .ttl = options_.ttl,
                         .srv = {.priority = 0,
                                 .weight = weight,
                                 .port = static_cast<uint16_t>(t.port),
                                 .target = t.name}});
      AddA(extra, t.name, t.ip);
    }
  }

  void Pod(const std::vector<std::string>& rel) {
    // <a-b-c-d>.<ns>.pod.<domain> answers with the address it spells (kube-dns "pods insecure").
    if (rel.size() != 3) return rel.size() == 2 ? void() : NxDomain();
    auto ip = DashedIp(rel[0]);
    if (!ip) return NxDomain();
    if (Wants(DnsType::kA)) {
      answer_.response.answers.push_back(
          {.name = qname_, .type = DnsType::kA, .ttl = options_.ttl, .a = *ip});
    }
  }

  void AddA(std::vector<DnsRecord>& section, const std::string& name, const std::string& ip) {
    auto parsed = ParseIpv4(ip);
    if (!parsed) return;
    section.push_back({.name = name, .type = DnsType::kA, .ttl = options_.ttl, .a = *parsed});
  }

  DnsRecord Soa() const {
    return {.name = options_.domain,
            .type = DnsType::kSoa,
            .ttl = options_.ttl,
            .soa = {.mname = "ns.dns." + options_.domain,
                    .rname = "hostmaster." + options_.domain,
                    .serial = 1,
                    .refresh = 7200,
                    .retry = 1800,
                    .expire = 86400,
                    .minimum = options_.ttl}};
  }

  const ServiceSource& source_;
  const ClusterDnsOptions& options_;
  std::string qname_;
  uint16_t qtype_ = 0;
  LookupAnswer answer_;
};

}  // namespace

LookupAnswer LookupQuestion(const ServiceSource& source, const std::vector<std::string>& labels,
                            uint16_t qtype, const ClusterDnsOptions& options) {
  return Answerer(source, options).Answer(labels, qtype);
}

std::optional<std::string> AnswerDnsMessage(const ServiceSource& source, std::string_view message,
                                            bool tcp, const ClusterDnsOptions& options) {
  auto id = PeekDnsQueryId(message);
  if (!id) return std::nullopt;
  auto query = ParseDnsQuery(message);
  if (!query.ok()) return EncodeDnsError(*id, DnsRcode::kFormErr);
  size_t limit = tcp ? 65535 : DnsUdpLimit(*query);
  DnsResponse response;
  if (query->opcode != 0) {
    response.rcode = DnsRcode::kNotImp;
  } else if (query->questions.size() != 1) {
    response.rcode = DnsRcode::kFormErr;
  } else if (query->questions[0].klass != kDnsClassIn &&
             query->questions[0].klass != 255 /* ANY */) {
    response.rcode = DnsRcode::kRefused;
  } else {
    const DnsQuestion& q = query->questions[0];
    response = LookupQuestion(source, q.labels, q.type, options).response;
  }
  return EncodeDnsResponse(*query, response, limit);
}

std::vector<std::string> SearchList(std::string_view ns, std::string_view domain) {
  std::string d(domain);
  return {std::string(ns) + ".svc." + d, "svc." + d, d};
}

std::vector<std::string> SearchCandidates(std::string_view name,
                                          const std::vector<std::string>& search, int ndots) {
  std::vector<std::string> out;
  if (name.empty()) return out;
  if (name.back() == '.') {
    out.emplace_back(name.substr(0, name.size() - 1));
    return out;
  }
  int dots = static_cast<int>(std::count(name.begin(), name.end(), '.'));
  std::vector<std::string> searched;
  for (const auto& s : search) searched.push_back(std::string(name) + "." + s);
  if (dots >= ndots) out.emplace_back(name);
  out.insert(out.end(), searched.begin(), searched.end());
  if (dots < ndots) out.emplace_back(name);
  return out;
}

StatusOr<HostLookup> LookupClusterHost(const ServiceSource& source, std::string_view name,
                                       const SearchOptions& options) {
  auto search = SearchList(options.ns, options.dns.domain);
  for (const auto& candidate : SearchCandidates(name, search, options.ndots)) {
    LookupAnswer a =
        LookupQuestion(source, Split(candidate), static_cast<uint16_t>(DnsType::kA), options.dns);
    if (a.outside_zone || a.response.rcode != DnsRcode::kNoError) continue;
    HostLookup out{.name = candidate};
    for (const auto& r : a.response.answers) {
      if (r.type == DnsType::kA) out.addresses.push_back(FormatIpv4(r.a));
      if (r.type == DnsType::kCname) out.external_name = r.target;
    }
    if (out.addresses.empty() && out.external_name.empty()) continue;  // NODATA: keep searching
    return out;
  }
  return NotFound("no service or pod named \"" + std::string(name) + "\" in the cluster (" +
                  options.ns + " search path)");
}

}  // namespace skiff::servicenet
