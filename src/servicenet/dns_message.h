// DNS wire format (RFC 1035, 2782, 6891): parsing queries and encoding responses. Depends only
// on the standard library and skiff_base so the fuzz tree can compile it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::servicenet {

enum class DnsType : uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kOpt = 41,
  kAny = 255,
};

enum class DnsRcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

inline constexpr uint16_t kDnsClassIn = 1;
// Without EDNS a UDP reply may carry at most 512 bytes (RFC 1035 §4.2.1).
inline constexpr size_t kDnsUdpMinSize = 512;
// We never promise more than this over UDP, whatever the client advertises (avoids IP
// fragmentation on the bridge; RFC 9715's advice).
inline constexpr size_t kDnsUdpMaxSize = 1232;

struct DnsQuestion {
  std::vector<std::string> labels{};  // lower-cased, for lookups
  std::string wire_name{};            // the name as sent (case kept), uncompressed, for echoing
  uint16_t type = 0;
  uint16_t klass = 0;
  // "a.b.c" (lower-case) or "." for the root. Labels holding '.' are not escaped.
  std::string Dotted() const;
};

struct DnsQuery {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  std::vector<DnsQuestion> questions{};
  bool has_edns = false;
  uint16_t edns_udp_size = 0;  // as advertised (only when has_edns)
  uint8_t edns_version = 0;
  bool edns_do = false;
};

// Parses a query message. Errors (InvalidArgument) for anything malformed: truncated sections,
// label or name too long, compression loops or forward pointers, a response (QR=1) instead of a
// query. Never throws; safe on arbitrary bytes.
StatusOr<DnsQuery> ParseDnsQuery(std::string_view message);
// The message id, so that a server can answer FORMERR to a query it could not parse; nullopt
// when the message is shorter than a header or is itself a response (never answer those).
std::optional<uint16_t> PeekDnsQueryId(std::string_view message);

struct DnsSoa {
  std::string mname{};
  std::string rname{};
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;
};

struct DnsSrv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target{};  // dotted
};

struct DnsRecord {
  std::string name{};  // dotted owner name
  DnsType type = DnsType::kA;
  uint32_t ttl = 0;
  uint32_t a = 0;        // kA: IPv4 address in host byte order
  std::string target{};  // kCname / kPtr / kNs: dotted
  DnsSrv srv{};          // kSrv
  DnsSoa soa{};          // kSoa
};

struct DnsResponse {
  DnsRcode rcode = DnsRcode::kNoError;
  bool authoritative = false;
  bool recursion_available = false;
  std::vector<DnsRecord> answers{};
  std::vector<DnsRecord> authority{};
  std::vector<DnsRecord> additional{};
};

// Encodes the reply to `query` (id, opcode, RD and the first question echoed). Owner names are
// compressed (RFC 1035 §4.1.4); SRV targets are not (RFC 2782). When the message would exceed
// `max_size`, sections are dropped and TC is set so the client retries over TCP. An OPT record
// is added when the query carried one. A `max_size` below 512 is treated as 512.
std::string EncodeDnsResponse(const DnsQuery& query, const DnsResponse& response, size_t max_size);

// A bare error reply (FORMERR, NOTIMP, ...) for a message whose id is all we know.
std::string EncodeDnsError(uint16_t id, DnsRcode rcode);

// The UDP size limit for replying to `query` (512 without EDNS; the advertised size clamped to
// [512, kDnsUdpMaxSize] with it).
size_t DnsUdpLimit(const DnsQuery& query);

// Builds a query message (for tests and the forwarder's own probes). Name is dotted.
std::string EncodeDnsQuery(uint16_t id, std::string_view name, DnsType type, bool edns = false,
                           uint16_t edns_size = 0);

// Decoded response, for tests and clients: header fields plus records (A, CNAME, SRV, SOA
// decoded; other types kept with empty data). Errors: InvalidArgument when malformed.
struct DnsParsedResponse {
  uint16_t id = 0;
  bool truncated = false;
  bool authoritative = false;
  DnsRcode rcode = DnsRcode::kNoError;
  std::vector<DnsQuestion> questions{};
  std::vector<DnsRecord> answers{};
  std::vector<DnsRecord> authority{};
  std::vector<DnsRecord> additional{};  // includes OPT (type kOpt) when present
};
StatusOr<DnsParsedResponse> ParseDnsResponse(std::string_view message);

// "10.96.0.1" <-> host-order uint32. Parse gives nullopt for anything but a dotted quad.
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t ip);

}  // namespace skiff::servicenet
