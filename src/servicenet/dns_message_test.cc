// Tests for the DNS wire format: query parsing (compression, EDNS, malformed input) and response
// encoding (compression, truncation, BADVERS).
#include "servicenet/dns_message.h"

#include <gtest/gtest.h>

namespace skiff::servicenet {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

TEST(DnsMessageTest, ParsesSimpleQuery) {
  std::string msg = EncodeDnsQuery(0x1234, "Web.Default.svc.cluster.local", DnsType::kA);
  auto q = ParseDnsQuery(msg);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_TRUE(q->recursion_desired);
  ASSERT_EQ(q->questions.size(), 1u);
  EXPECT_EQ(q->questions[0].Dotted(), "web.default.svc.cluster.local");
  EXPECT_EQ(q->questions[0].type, 1);
  EXPECT_EQ(q->questions[0].klass, 1);
  EXPECT_FALSE(q->has_edns);
  EXPECT_EQ(DnsUdpLimit(*q), 512u);
}

TEST(DnsMessageTest, ParsesEdns) {
  std::string msg = EncodeDnsQuery(7, "a.b", DnsType::kSrv, /*edns=*/true, 4096);
  auto q = ParseDnsQuery(msg);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->has_edns);
  EXPECT_EQ(q->edns_udp_size, 4096);
  EXPECT_EQ(DnsUdpLimit(*q), kDnsUdpMaxSize);
}

TEST(DnsMessageTest, FollowsBackwardCompressionPointerInQuestion) {
  // Two questions: "a.example" then "b" + pointer to offset 14 ("example").
  std::string msg = Bytes({0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0});
  msg += Bytes({1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1});
  msg += Bytes({1, 'b', 0xC0, 14, 0, 1, 0, 1});
  auto q = ParseDnsQuery(msg);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->questions.size(), 2u);
  EXPECT_EQ(q->questions[1].Dotted(), "b.example");
}

TEST(DnsMessageTest, RejectsPointerLoopsAndForwardPointers) {
  std::string self = Bytes({0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsQuery(self).ok());
  std::string forward = Bytes({0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 20, 0, 1, 0, 1, 0, 0, 0});
  EXPECT_FALSE(ParseDnsQuery(forward).ok());
  // a -> pointer back to "a" again: a loop through a label.
  std::string loop = Bytes({0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsQuery(loop).ok());
}

TEST(DnsMessageTest, RejectsMalformedMessages) {
  EXPECT_FALSE(ParseDnsQuery("").ok());
  EXPECT_FALSE(ParseDnsQuery(Bytes({0, 1, 0})).ok());
  // Truncated question.
  EXPECT_FALSE(ParseDnsQuery(Bytes({0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a'})).ok());
  // A response is not a query, and must not be answered.
  std::string resp = EncodeDnsQuery(1, "a", DnsType::kA);
  resp[2] = static_cast<char>(resp[2] | 0x80);
  EXPECT_FALSE(ParseDnsQuery(resp).ok());
  EXPECT_FALSE(PeekDnsQueryId(resp).has_value());
  // Label over 63 octets (0x40 is a reserved label type).
  std::string big = Bytes({0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64});
  big += std::string(64, 'x') + Bytes({0, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsQuery(big).ok());
  // Name over 255 octets.
  std::string name;
  for (int i = 0; i < 5; ++i) name += std::string(60, 'a') + ".";
  EXPECT_FALSE(ParseDnsQuery(EncodeDnsQuery(1, name, DnsType::kA)).ok());
}

TEST(DnsMessageTest, EncodesCompressedAnswerThatRoundTrips) {
  auto q = ParseDnsQuery(EncodeDnsQuery(9, "Web.default.svc.cluster.local", DnsType::kA));
  ASSERT_TRUE(q.ok());
  DnsResponse r;
  r.authoritative = true;
  r.answers.push_back({.name = "web.default.svc.cluster.local",
                       .type = DnsType::kA,
                       .ttl = 5,
                       .a = *ParseIpv4("10.96.0.10")});
  std::string wire = EncodeDnsResponse(*q, r, 512);
  // Header 12 + question (31 + 4) + answer: pointer (2) + 10 + 4 = 63 bytes.
  EXPECT_EQ(wire.size(), 12u + 35u + 16u);
  // The answer owner is a pointer to the question name at offset 12.
  EXPECT_EQ(static_cast<uint8_t>(wire[47]), 0xC0);
  EXPECT_EQ(static_cast<uint8_t>(wire[48]), 12);
  // The question keeps the client's case (0x20 randomization).
  EXPECT_NE(wire.find("Web"), std::string::npos);
  auto parsed = ParseDnsResponse(wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, 9);
  EXPECT_TRUE(parsed->authoritative);
  EXPECT_FALSE(parsed->truncated);
  ASSERT_EQ(parsed->answers.size(), 1u);
  EXPECT_EQ(parsed->answers[0].name, "web.default.svc.cluster.local");
  EXPECT_EQ(FormatIpv4(parsed->answers[0].a), "10.96.0.10");
  EXPECT_EQ(parsed->answers[0].ttl, 5u);
}

TEST(DnsMessageTest, EncodesSrvAndSoa) {
  auto q = ParseDnsQuery(EncodeDnsQuery(3, "_http._tcp.web.ns.svc.cluster.local", DnsType::kSrv));
  ASSERT_TRUE(q.ok());
  DnsResponse r;
  r.answers.push_back(
      {.name = "_http._tcp.web.ns.svc.cluster.local",
       .type = DnsType::kSrv,
       .ttl = 5,
       .srv = {.priority = 0, .weight = 100, .port = 8080, .target = "web.ns.svc.cluster.local"}});
  r.authority.push_back({.name = "cluster.local",
                         .type = DnsType::kSoa,
                         .ttl = 5,
                         .soa = {.mname = "ns.dns.cluster.local",
                                 .rname = "hostmaster.cluster.local",
                                 .serial = 1,
                                 .minimum = 5}});
  auto parsed = ParseDnsResponse(EncodeDnsResponse(*q, r, 512));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->answers.size(), 1u);
  EXPECT_EQ(parsed->answers[0].srv.port, 8080);
  EXPECT_EQ(parsed->answers[0].srv.target, "web.ns.svc.cluster.local");
  ASSERT_EQ(parsed->authority.size(), 1u);
  EXPECT_EQ(parsed->authority[0].soa.mname, "ns.dns.cluster.local");
  EXPECT_EQ(parsed->authority[0].soa.minimum, 5u);
}

DnsResponse ManyAnswers(const std::string& name, int n) {
  DnsResponse r;
  for (int i = 0; i < n; ++i) {
    r.answers.push_back(
        {.name = name, .type = DnsType::kA, .ttl = 5, .a = 0x0AF40000u + static_cast<uint32_t>(i)});
  }
  return r;
}

TEST(DnsMessageTest, SetsTruncatedOverUdpWithoutEdns) {
  std::string name = "workers.default.svc.cluster.local";
  auto q = ParseDnsQuery(EncodeDnsQuery(4, name, DnsType::kA));
  ASSERT_TRUE(q.ok());
  DnsResponse r = ManyAnswers(name, 40);  // 40 * 16 bytes > 512
  std::string udp = EncodeDnsResponse(*q, r, DnsUdpLimit(*q));
  EXPECT_LE(udp.size(), 512u);
  auto parsed = ParseDnsResponse(udp);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->truncated);
  EXPECT_TRUE(parsed->answers.empty());
  // Over TCP the same answer is whole.
  auto full = ParseDnsResponse(EncodeDnsResponse(*q, r, 65535));
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->truncated);
  EXPECT_EQ(full->answers.size(), 40u);
}

TEST(DnsMessageTest, EdnsRaisesTheUdpLimitAndEchoesOpt) {
  std::string name = "workers.default.svc.cluster.local";
  auto q = ParseDnsQuery(EncodeDnsQuery(4, name, DnsType::kA, true, 1232));
  ASSERT_TRUE(q.ok());
  auto parsed = ParseDnsResponse(EncodeDnsResponse(*q, ManyAnswers(name, 40), DnsUdpLimit(*q)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->truncated);
  EXPECT_EQ(parsed->answers.size(), 40u);
  ASSERT_EQ(parsed->additional.size(), 1u);
  EXPECT_EQ(parsed->additional[0].type, DnsType::kOpt);
}

TEST(DnsMessageTest, DropsAdditionalBeforeTruncating) {
  std::string name = "_p._tcp.w.default.svc.cluster.local";
  auto q = ParseDnsQuery(EncodeDnsQuery(4, name, DnsType::kSrv));
  ASSERT_TRUE(q.ok());
  DnsResponse r;
  for (int i = 0; i < 8; ++i) {
    std::string target = "host-" + std::to_string(i) + ".w.default.svc.cluster.local";
    r.answers.push_back(
        {.name = name, .type = DnsType::kSrv, .ttl = 5, .srv = {.port = 80, .target = target}});
    r.additional.push_back({.name = target, .type = DnsType::kA, .ttl = 5, .a = 1});
  }
  auto parsed = ParseDnsResponse(EncodeDnsResponse(*q, r, 512));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->truncated);
  EXPECT_EQ(parsed->answers.size(), 8u);
  EXPECT_TRUE(parsed->additional.empty());
}

TEST(DnsMessageTest, AnswersBadVersionForEdnsOne) {
  std::string msg = EncodeDnsQuery(5, "a.cluster.local", DnsType::kA, true, 1232);
  // OPT TTL bytes: extended rcode, version, flags(2). Set version = 1.
  msg[msg.size() - 5] = 1;
  auto q = ParseDnsQuery(msg);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->edns_version, 1);
  auto parsed = ParseDnsResponse(EncodeDnsResponse(*q, ManyAnswers("a.cluster.local", 1), 512));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->answers.empty());
  ASSERT_EQ(parsed->additional.size(), 1u);
  EXPECT_EQ(parsed->additional[0].ttl >> 24, 1u);  // BADVERS = 16 = (1 << 4) | 0
}

TEST(DnsMessageTest, ErrorReplyCarriesId) {
  auto parsed = ParseDnsResponse(EncodeDnsError(0xBEEF, DnsRcode::kFormErr));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->id, 0xBEEF);
  EXPECT_EQ(parsed->rcode, DnsRcode::kFormErr);
}

TEST(DnsMessageTest, Ipv4TextRoundTrip) {
  EXPECT_EQ(FormatIpv4(*ParseIpv4("10.244.0.1")), "10.244.0.1");
  EXPECT_FALSE(ParseIpv4("10.244.0").has_value());
  EXPECT_FALSE(ParseIpv4("10.244.0.256").has_value());
  EXPECT_FALSE(ParseIpv4("10.244.0.1.2").has_value());
  EXPECT_FALSE(ParseIpv4("a.b.c.d").has_value());
  EXPECT_FALSE(ParseIpv4("").has_value());
}

}  // namespace
}  // namespace skiff::servicenet
