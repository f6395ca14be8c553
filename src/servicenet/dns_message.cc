// DNS wire format: a bounds-checked reader for queries (and responses, for tests) and an encoder
// with name compression and truncation. Every read is checked; nothing here trusts a length.
#include "servicenet/dns_message.h"

#include <charconv>
#include <map>

namespace skiff::servicenet {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;  // wire octets, RFC 1035 §3.1
constexpr size_t kMaxLabelLength = 63;
constexpr int kMaxPointerJumps = 64;
// A query names one question in practice; a flood of them is a malformed message.
constexpr int kMaxQuestions = 8;
constexpr int kMaxRecords = 256;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerString(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::vector<std::string> SplitDotted(std::string_view name) {
  std::vector<std::string> labels;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  while (!name.empty()) {
    size_t dot = name.find('.');
    labels.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return labels;
}

std::string JoinLabels(const std::vector<std::string>& labels, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < labels.size(); ++i) {
    if (i > from) out += '.';
    out += labels[i];
  }
  return out;
}

// Sequential, bounds-checked reads over one message.
class Reader {
 public:
  explicit Reader(std::string_view msg, size_t pos = 0) : msg_(msg), pos_(pos) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return msg_.size() - pos_; }

  StatusOr<uint8_t> U8() {
    if (remaining() < 1) return InvalidArgument("dns: truncated message");
    return static_cast<uint8_t>(msg_[pos_++]);
  }
  StatusOr<uint16_t> U16() {
    if (remaining() < 2) return InvalidArgument("dns: truncated message");
    uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(msg_[pos_]) << 8) |
                                       static_cast<uint8_t>(msg_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  StatusOr<uint32_t> U32() {
    SKIFF_ASSIGN_OR_RETURN(uint16_t hi, U16());
    SKIFF_ASSIGN_OR_RETURN(uint16_t lo, U16());
    return (static_cast<uint32_t>(hi) << 16) | lo;
  }
  Status Skip(size_t n) {
    if (remaining() < n) return InvalidArgument("dns: truncated message");
    pos_ += n;
    return Status::Ok();
  }

  // Reads a possibly compressed name; the labels keep their original case. A pointer must
  // point before every position visited so far, so a chain of pointers always terminates.
  StatusOr<std::vector<std::string>> Name() {
    std::vector<std::string> labels;
    size_t p = pos_;
    size_t lowest = pos_;
    size_t total = 1;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
      if (p >= msg_.size()) return InvalidArgument("dns: truncated name");
      uint8_t len = static_cast<uint8_t>(msg_[p]);
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= msg_.size()) return InvalidArgument("dns: truncated compression pointer");
        size_t target = (static_cast<size_t>(len & 0x3F) << 8) | static_cast<uint8_t>(msg_[p + 1]);
        if (target >= lowest)
          return InvalidArgument("dns: compression pointer does not point back");
        if (++jumps > kMaxPointerJumps)
          return InvalidArgument("dns: too many compression pointers");
        if (!jumped) pos_ = p + 2;
        jumped = true;
        lowest = target;
        p = target;
        continue;
      }
      if ((len & 0xC0) != 0) return InvalidArgument("dns: unsupported label type");
      if (len == 0) {
        if (!jumped) pos_ = p + 1;
        return labels;
      }
      if (p + 1 + len > msg_.size()) return InvalidArgument("dns: truncated label");
      total += len + 1;
      if (total > kMaxNameLength) return InvalidArgument("dns: name longer than 255 octets");
      labels.emplace_back(msg_.substr(p + 1, len));
      p += 1 + len;
    }
  }

 private:
  std::string_view msg_;
  size_t pos_;
};

void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}
void PutU32(std::string& out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v & 0xFFFF));
}
void SetU16(std::string& out, size_t at, uint16_t v) {
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v & 0xFF);
}

// Writes names, remembering where each suffix starts so later names can point at it.
class NameWriter {
 public:
  void Write(std::string& out, const std::vector<std::string>& labels, bool compress) {
    for (size_t i = 0; i < labels.size(); ++i) {
      std::string key = LowerString(JoinLabels(labels, i));
      if (compress) {
        auto it = offsets_.find(key);
        if (it != offsets_.end()) {
          PutU16(out, static_cast<uint16_t>(0xC000 | it->second));
          return;
        }
      }
      if (out.size() < 0x3FFF) offsets_.emplace(key, out.size());
      std::string_view label = labels[i];
      if (label.size() > kMaxLabelLength) label = label.substr(0, kMaxLabelLength);
      PutU8(out, static_cast<uint8_t>(label.size()));
      out.append(label);
    }
    PutU8(out, 0);
  }
  // Registers a name already written verbatim at `at` (the echoed question).
  void Remember(const std::vector<std::string>& labels, size_t at) {
    for (size_t i = 0; i < labels.size() && at < 0x3FFF; ++i) {
      offsets_.emplace(LowerString(JoinLabels(labels, i)), at);
      at += 1 + labels[i].size();
    }
  }

 private:
  std::map<std::string, size_t> offsets_;
};

void WriteRecord(std::string& out, NameWriter& names, const DnsRecord& r) {
  names.Write(out, SplitDotted(r.name), /*compress=*/true);
  PutU16(out, static_cast<uint16_t>(r.type));
  PutU16(out, kDnsClassIn);
  PutU32(out, r.ttl);
  size_t rdlen_at = out.size();
  PutU16(out, 0);
  size_t start = out.size();
  switch (r.type) {
    case DnsType::kA:
      PutU32(out, r.a);
      break;
    case DnsType::kCname:
    case DnsType::kNs:
    case DnsType::kPtr:
      names.Write(out, SplitDotted(r.target), /*compress=*/true);
      break;
    case DnsType::kSrv:
      PutU16(out, r.srv.priority);
      PutU16(out, r.srv.weight);
      PutU16(out, r.srv.port);
      names.Write(out, SplitDotted(r.srv.target), /*compress=*/false);
      break;
    case DnsType::kSoa:
      names.Write(out, SplitDotted(r.soa.mname), /*compress=*/true);
      names.Write(out, SplitDotted(r.soa.rname), /*compress=*/true);
      PutU32(out, r.soa.serial);
      PutU32(out, r.soa.refresh);
      PutU32(out, r.soa.retry);
      PutU32(out, r.soa.expire);
      PutU32(out, r.soa.minimum);
      break;
    default:
      break;
  }
  SetU16(out, rdlen_at, static_cast<uint16_t>(out.size() - start));
}

void WriteOpt(std::string& out, uint8_t extended_rcode) {
  PutU8(out, 0);  // root name
  PutU16(out, static_cast<uint16_t>(DnsType::kOpt));
  PutU16(out, static_cast<uint16_t>(kDnsUdpMaxSize));
  PutU32(out, static_cast<uint32_t>(extended_rcode) << 24);  // version 0, no DO
  PutU16(out, 0);
}

struct Sections {
  const std::vector<DnsRecord>* answers;
  const std::vector<DnsRecord>* authority;
  const std::vector<DnsRecord>* additional;
};

std::string Encode(const DnsQuery& q, const DnsResponse& r, const Sections& s, bool truncated) {
  static const std::vector<DnsRecord> kNone;
  bool bad_version = q.has_edns && q.edns_version != 0;
  std::string out;
  out.reserve(512);
  PutU16(out, q.id);
  uint16_t flags = 0x8000;  // QR
  flags |= static_cast<uint16_t>((q.opcode & 0x0F) << 11);
  if (r.authoritative) flags |= 0x0400;
  if (truncated) flags |= 0x0200;
  if (q.recursion_desired) flags |= 0x0100;
  if (r.recursion_available) flags |= 0x0080;
  if (q.checking_disabled) flags |= 0x0010;
  // BADVERS (16) does not fit the header's 4 bits: the high bits travel in OPT (RFC 6891 §6.1.3).
  uint8_t rcode = bad_version ? 0 : static_cast<uint8_t>(r.rcode);
  flags |= rcode & 0x0F;
  PutU16(out, flags);
  const auto& answers = bad_version ? kNone : *s.answers;
  const auto& authority = bad_version ? kNone : *s.authority;
  const auto& additional = bad_version ? kNone : *s.additional;
  bool has_question = !q.questions.empty();
  PutU16(out, has_question ? 1 : 0);
  PutU16(out, static_cast<uint16_t>(answers.size()));
  PutU16(out, static_cast<uint16_t>(authority.size()));
  PutU16(out, static_cast<uint16_t>(additional.size() + (q.has_edns ? 1 : 0)));
  NameWriter names;
  if (has_question) {
    const DnsQuestion& question = q.questions.front();
    // Lower-cased labels have the same lengths as the echoed ones, so offsets match.
    names.Remember(question.labels, out.size());
    out.append(question.wire_name);
    PutU16(out, question.type);
    PutU16(out, question.klass);
  }
  for (const auto& rec : answers) WriteRecord(out, names, rec);
  for (const auto& rec : authority) WriteRecord(out, names, rec);
  for (const auto& rec : additional) WriteRecord(out, names, rec);
  if (q.has_edns) WriteOpt(out, bad_version ? 1 : 0);
  return out;
}

}  // namespace

std::string DnsQuestion::Dotted() const {
  if (labels.empty()) return ".";
  return JoinLabels(labels);
}

std::optional<uint16_t> PeekDnsQueryId(std::string_view message) {
  if (message.size() < kHeaderSize) return std::nullopt;
  if (static_cast<uint8_t>(message[2]) & 0x80) return std::nullopt;  // a response
  return static_cast<uint16_t>((static_cast<uint8_t>(message[0]) << 8) |
                               static_cast<uint8_t>(message[1]));
}

StatusOr<DnsQuery> ParseDnsQuery(std::string_view message) {
  Reader in(message);
  DnsQuery q;
  SKIFF_ASSIGN_OR_RETURN(q.id, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t flags, in.U16());
  if (flags & 0x8000) return InvalidArgument("dns: message is a response, not a query");
  q.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  q.recursion_desired = (flags & 0x0100) != 0;
  q.checking_disabled = (flags & 0x0010) != 0;
  SKIFF_ASSIGN_OR_RETURN(uint16_t qdcount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t ancount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t nscount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t arcount, in.U16());
  if (qdcount > kMaxQuestions) return InvalidArgument("dns: too many questions");
  if (ancount + nscount + arcount > kMaxRecords) return InvalidArgument("dns: too many records");
  for (int i = 0; i < qdcount; ++i) {
    DnsQuestion question;
    SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> labels, in.Name());
    SKIFF_ASSIGN_OR_RETURN(question.type, in.U16());
    SKIFF_ASSIGN_OR_RETURN(question.klass, in.U16());
    for (const auto& label : labels) {
      PutU8(question.wire_name, static_cast<uint8_t>(label.size()));
      question.wire_name.append(label);
      question.labels.push_back(LowerString(label));
    }
    PutU8(question.wire_name, 0);
    q.questions.push_back(std::move(question));
  }
  // Answer and authority sections of a query carry nothing we use (an UPDATE would); skip them
  // but still check their framing.
  for (int i = 0; i < ancount + nscount + arcount; ++i) {
    SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> name, in.Name());
    SKIFF_ASSIGN_OR_RETURN(uint16_t type, in.U16());
    SKIFF_ASSIGN_OR_RETURN(uint16_t klass, in.U16());
    SKIFF_ASSIGN_OR_RETURN(uint32_t ttl, in.U32());
    SKIFF_ASSIGN_OR_RETURN(uint16_t rdlen, in.U16());
    SKIFF_RETURN_IF_ERROR(in.Skip(rdlen));
    bool additional = i >= ancount + nscount;
    if (additional && type == static_cast<uint16_t>(DnsType::kOpt)) {
      if (q.has_edns) return InvalidArgument("dns: more than one OPT record");
      if (!name.empty()) return InvalidArgument("dns: OPT record not owned by the root");
      q.has_edns = true;
      q.edns_udp_size = klass;
      q.edns_version = static_cast<uint8_t>((ttl >> 16) & 0xFF);
      q.edns_do = (ttl & 0x8000) != 0;
    }
  }
  return q;
}

size_t DnsUdpLimit(const DnsQuery& query) {
  if (!query.has_edns) return kDnsUdpMinSize;
  size_t size = query.edns_udp_size;
  if (size < kDnsUdpMinSize) return kDnsUdpMinSize;
  return size > kDnsUdpMaxSize ? kDnsUdpMaxSize : size;
}

std::string EncodeDnsResponse(const DnsQuery& query, const DnsResponse& response, size_t max_size) {
  static const std::vector<DnsRecord> kNone;
  if (max_size < kDnsUdpMinSize) max_size = kDnsUdpMinSize;
  std::string full = Encode(query, response,
                            {&response.answers, &response.authority, &response.additional}, false);
  if (full.size() <= max_size) return full;
  // The additional section is a courtesy (glue for SRV targets): drop it before truncating.
  std::string lean =
      Encode(query, response, {&response.answers, &response.authority, &kNone}, false);
  if (lean.size() <= max_size) return lean;
  return Encode(query, response, {&kNone, &kNone, &kNone}, true);
}

std::string EncodeDnsError(uint16_t id, DnsRcode rcode) {
  std::string out;
  PutU16(out, id);
  PutU16(out, static_cast<uint16_t>(0x8000 | static_cast<uint8_t>(rcode)));
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, 0);
  return out;
}

std::string EncodeDnsQuery(uint16_t id, std::string_view name, DnsType type, bool edns,
                           uint16_t edns_size) {
  std::string out;
  PutU16(out, id);
  PutU16(out, 0x0100);  // RD, as stub resolvers send
  PutU16(out, 1);
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, edns ? 1 : 0);
  NameWriter names;
  names.Write(out, SplitDotted(name), /*compress=*/false);
  PutU16(out, static_cast<uint16_t>(type));
  PutU16(out, kDnsClassIn);
  if (edns) {
    PutU8(out, 0);
    PutU16(out, static_cast<uint16_t>(DnsType::kOpt));
    PutU16(out, edns_size);
    PutU32(out, 0);
    PutU16(out, 0);
  }
  return out;
}

namespace {

StatusOr<DnsRecord> ReadRecord(std::string_view message, Reader& in) {
  DnsRecord r;
  SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> name, in.Name());
  r.name = LowerString(JoinLabels(name));
  SKIFF_ASSIGN_OR_RETURN(uint16_t type, in.U16());
  r.type = static_cast<DnsType>(type);
  SKIFF_ASSIGN_OR_RETURN(uint16_t klass, in.U16());
  (void)klass;
  SKIFF_ASSIGN_OR_RETURN(r.ttl, in.U32());
  SKIFF_ASSIGN_OR_RETURN(uint16_t rdlen, in.U16());
  size_t start = in.pos();
  if (in.remaining() < rdlen) return InvalidArgument("dns: truncated rdata");
  Reader rd(message.substr(0, start + rdlen), start);
  switch (r.type) {
    case DnsType::kA: {
      if (rdlen != 4) return InvalidArgument("dns: A record with rdlength != 4");
      SKIFF_ASSIGN_OR_RETURN(r.a, rd.U32());
      break;
    }
    case DnsType::kCname:
    case DnsType::kNs:
    case DnsType::kPtr: {
      SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> target, rd.Name());
      r.target = LowerString(JoinLabels(target));
      break;
    }
    case DnsType::kSrv: {
      SKIFF_ASSIGN_OR_RETURN(r.srv.priority, rd.U16());
      SKIFF_ASSIGN_OR_RETURN(r.srv.weight, rd.U16());
      SKIFF_ASSIGN_OR_RETURN(r.srv.port, rd.U16());
      SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> target, rd.Name());
      r.srv.target = LowerString(JoinLabels(target));
      break;
    }
    case DnsType::kSoa: {
      SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> mname, rd.Name());
      SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> rname, rd.Name());
      r.soa.mname = LowerString(JoinLabels(mname));
      r.soa.rname = LowerString(JoinLabels(rname));
      SKIFF_ASSIGN_OR_RETURN(r.soa.serial, rd.U32());
      SKIFF_ASSIGN_OR_RETURN(r.soa.refresh, rd.U32());
      SKIFF_ASSIGN_OR_RETURN(r.soa.retry, rd.U32());
      SKIFF_ASSIGN_OR_RETURN(r.soa.expire, rd.U32());
      SKIFF_ASSIGN_OR_RETURN(r.soa.minimum, rd.U32());
      break;
    }
    default:
      break;
  }
  SKIFF_RETURN_IF_ERROR(in.Skip(rdlen));
  return r;
}

}  // namespace

StatusOr<DnsParsedResponse> ParseDnsResponse(std::string_view message) {
  Reader in(message);
  DnsParsedResponse r;
  SKIFF_ASSIGN_OR_RETURN(r.id, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t flags, in.U16());
  if (!(flags & 0x8000)) return InvalidArgument("dns: not a response");
  r.authoritative = (flags & 0x0400) != 0;
  r.truncated = (flags & 0x0200) != 0;
  r.rcode = static_cast<DnsRcode>(flags & 0x0F);
  SKIFF_ASSIGN_OR_RETURN(uint16_t qdcount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t ancount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t nscount, in.U16());
  SKIFF_ASSIGN_OR_RETURN(uint16_t arcount, in.U16());
  for (int i = 0; i < qdcount; ++i) {
    DnsQuestion question;
    SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> labels, in.Name());
    for (auto& l : labels) question.labels.push_back(LowerString(l));
    SKIFF_ASSIGN_OR_RETURN(question.type, in.U16());
    SKIFF_ASSIGN_OR_RETURN(question.klass, in.U16());
    r.questions.push_back(std::move(question));
  }
  for (int i = 0; i < ancount + nscount + arcount; ++i) {
    SKIFF_ASSIGN_OR_RETURN(DnsRecord rec, ReadRecord(message, in));
    if (i < ancount) {
      r.answers.push_back(std::move(rec));
    } else if (i < ancount + nscount) {
      r.authority.push_back(std::move(rec));
    } else {
      r.additional.push_back(std::move(rec));
    }
  }
  return r;
}

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t ip = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    std::string_view part = text.substr(0, dot);
    if (part.empty() || part.size() > 3) return std::nullopt;
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || ptr != part.data() + part.size() || v > 255) return std::nullopt;
    ip = (ip << 8) | v;
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return ip;
}

std::string FormatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

}  // namespace skiff::servicenet
