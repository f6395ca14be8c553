// Tests for cluster DNS semantics: records per name kind, negative answers, search-path rules,
// and the full message exchange (AnswerDnsMessage).
#include "servicenet/dns_lookup.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "servicenet/service_table.h"

namespace skiff::servicenet {
namespace {

std::vector<std::string> Labels(std::string_view name) {
  std::vector<std::string> out;
  while (!name.empty()) {
    size_t dot = name.find('.');
    out.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

class DnsLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceTable::Map m;
    Json web = Json::parse(R"({"metadata":{"name":"web","namespace":"default"},
      "spec":{"clusterIP":"10.96.0.20","ports":[{"name":"http","port":80,"protocol":"TCP"}]}})");
    Json web_ep = Json::parse(R"({"subsets":[{"addresses":[{"ip":"10.244.0.5"}],
      "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]})");
    Add(m, web, &web_ep);
    Json prom = Json::parse(R"({"metadata":{"name":"prometheus","namespace":"monitoring"},
      "spec":{"clusterIP":"10.96.0.30","ports":[{"name":"web","port":9090}]}})");
    Add(m, prom, nullptr);
    Json workers = Json::parse(R"({"metadata":{"name":"js","namespace":"train"},
      "spec":{"clusterIP":"None","ports":[{"name":"dist","port":29500}]}})");
    Json workers_ep = Json::parse(R"({"subsets":[{"addresses":[
        {"ip":"10.244.0.7","hostname":"js-workers-0-0"},
        {"ip":"10.244.0.8","hostname":"js-workers-0-1"},
        {"ip":"10.244.0.9"}],
      "notReadyAddresses":[{"ip":"10.244.0.10","hostname":"js-workers-0-2"}],
      "ports":[{"name":"dist","port":29500,"protocol":"TCP"}]}]})");
    Add(m, workers, &workers_ep);
    Json ext = Json::parse(R"({"metadata":{"name":"ext","namespace":"default"},
      "spec":{"type":"ExternalName","externalName":"example.com"}})");
    Add(m, ext, nullptr);
    table_ = ServiceTable(std::move(m));
  }

  static void Add(ServiceTable::Map& m, const Json& svc, const Json* ep) {
    auto r = std::make_shared<ServiceRecord>(ParseServiceRecord(svc, ep));
    m[r->ns + "/" + r->name] = r;
  }

  LookupAnswer Ask(std::string_view name, DnsType type = DnsType::kA) {
    return LookupQuestion(table_, Labels(name), static_cast<uint16_t>(type), options_);
  }

  static std::vector<std::string> Ips(const LookupAnswer& a) {
    std::vector<std::string> out;
    for (const auto& r : a.response.answers) {
      if (r.type == DnsType::kA) out.push_back(FormatIpv4(r.a));
    }
    return out;
  }

  ServiceTable table_;
  ClusterDnsOptions options_;
};

TEST_F(DnsLookupTest, ClusterIpService) {
  auto a = Ask("web.default.svc.cluster.local");
  EXPECT_EQ(a.response.rcode, DnsRcode::kNoError);
  EXPECT_TRUE(a.response.authoritative);
  EXPECT_EQ(Ips(a), std::vector<std::string>{"10.96.0.20"});
  EXPECT_EQ(a.response.answers[0].ttl, 5u);
}

TEST_F(DnsLookupTest, HeadlessServiceListsReadyEndpoints) {
  auto a = Ask("js.train.svc.cluster.local");
  EXPECT_EQ(Ips(a), (std::vector<std::string>{"10.244.0.7", "10.244.0.8", "10.244.0.9"}));
}

TEST_F(DnsLookupTest, HeadlessPodHostnames) {
  EXPECT_EQ(Ips(Ask("js-workers-0-1.js.train.svc.cluster.local")),
            std::vector<std::string>{"10.244.0.8"});
  // An address without hostname is named by its dashed IP.
  EXPECT_EQ(Ips(Ask("10-244-0-9.js.train.svc.cluster.local")),
            std::vector<std::string>{"10.244.0.9"});
  // Not-ready addresses are not published (the Endpoints controller moves them into
  // `addresses` when the service sets publishNotReadyAddresses).
  EXPECT_EQ(Ask("js-workers-0-2.js.train.svc.cluster.local").response.rcode, DnsRcode::kNxDomain);
  // Per-endpoint names exist only for headless services.
  EXPECT_EQ(Ask("10-244-0-5.web.default.svc.cluster.local").response.rcode, DnsRcode::kNxDomain);
}

TEST_F(DnsLookupTest, SrvForNamedPorts) {
  auto a = Ask("_http._tcp.web.default.svc.cluster.local", DnsType::kSrv);
  ASSERT_EQ(a.response.answers.size(), 1u);
  EXPECT_EQ(a.response.answers[0].srv.port, 80);
  EXPECT_EQ(a.response.answers[0].srv.target, "web.default.svc.cluster.local");
  ASSERT_EQ(a.response.additional.size(), 1u);
  EXPECT_EQ(FormatIpv4(a.response.additional[0].a), "10.96.0.20");

  auto h = Ask("_dist._tcp.js.train.svc.cluster.local", DnsType::kSrv);
  ASSERT_EQ(h.response.answers.size(), 3u);
  EXPECT_EQ(h.response.answers[0].srv.port, 29500);
  EXPECT_EQ(h.response.answers[0].srv.target, "js-workers-0-0.js.train.svc.cluster.local");
  EXPECT_EQ(h.response.answers[2].srv.target, "10-244-0-9.js.train.svc.cluster.local");

  EXPECT_EQ(Ask("_nope._tcp.web.default.svc.cluster.local", DnsType::kSrv).response.rcode,
            DnsRcode::kNxDomain);
  EXPECT_EQ(Ask("_http._udp.web.default.svc.cluster.local", DnsType::kSrv).response.rcode,
            DnsRcode::kNxDomain);
}

TEST_F(DnsLookupTest, NegativeAnswers) {
  auto nx = Ask("nope.default.svc.cluster.local");
  EXPECT_EQ(nx.response.rcode, DnsRcode::kNxDomain);
  ASSERT_EQ(nx.response.authority.size(), 1u);
  EXPECT_EQ(nx.response.authority[0].type, DnsType::kSoa);
  // An existing name asked for AAAA: NOERROR without answers (NODATA), so resolvers that ask
  // A and AAAA together still use the A answer.
  auto nodata = Ask("web.default.svc.cluster.local", DnsType::kAaaa);
  EXPECT_EQ(nodata.response.rcode, DnsRcode::kNoError);
  EXPECT_TRUE(nodata.response.answers.empty());
  EXPECT_EQ(nodata.response.authority.size(), 1u);
  EXPECT_EQ(Ask("default.svc.cluster.local").response.rcode, DnsRcode::kNoError);
  EXPECT_EQ(Ask("empty.svc.cluster.local").response.rcode, DnsRcode::kNxDomain);
  EXPECT_EQ(Ask("svc.cluster.local").response.rcode, DnsRcode::kNoError);
  EXPECT_EQ(Ask("web.cluster.local").response.rcode, DnsRcode::kNxDomain);
  EXPECT_EQ(Ask("a.b.web.default.svc.cluster.local").response.rcode, DnsRcode::kNxDomain);
}

TEST_F(DnsLookupTest, OutsideZoneIsRefused) {
  auto a = Ask("example.com");
  EXPECT_TRUE(a.outside_zone);
  EXPECT_EQ(a.response.rcode, DnsRcode::kRefused);
  EXPECT_TRUE(Ask("local").outside_zone);
}

TEST_F(DnsLookupTest, ExternalNameIsCname) {
  auto a = Ask("ext.default.svc.cluster.local");
  ASSERT_EQ(a.response.answers.size(), 1u);
  EXPECT_EQ(a.response.answers[0].type, DnsType::kCname);
  EXPECT_EQ(a.response.answers[0].target, "example.com");
}

TEST_F(DnsLookupTest, PodNames) {
  EXPECT_EQ(Ips(Ask("10-244-1-2.default.pod.cluster.local")),
            std::vector<std::string>{"10.244.1.2"});
  EXPECT_EQ(Ask("nonsense.default.pod.cluster.local").response.rcode, DnsRcode::kNxDomain);
}

TEST_F(DnsLookupTest, OtherClusterDomain) {
  options_.domain = "skiff.internal";
  EXPECT_EQ(Ips(Ask("web.default.svc.skiff.internal")), std::vector<std::string>{"10.96.0.20"});
  EXPECT_TRUE(Ask("web.default.svc.cluster.local").outside_zone);
}

TEST(SearchTest, CandidatesFollowNdots) {
  auto search = SearchList("default", "cluster.local");
  EXPECT_EQ(search, (std::vector<std::string>{"default.svc.cluster.local", "svc.cluster.local",
                                              "cluster.local"}));
  EXPECT_EQ(
      SearchCandidates("prometheus.monitoring", search, 5),
      (std::vector<std::string>{"prometheus.monitoring.default.svc.cluster.local",
                                "prometheus.monitoring.svc.cluster.local",
                                "prometheus.monitoring.cluster.local", "prometheus.monitoring"}));
  EXPECT_EQ(SearchCandidates("a.b.c.d.e.f", search, 5).front(), "a.b.c.d.e.f");
  EXPECT_EQ(SearchCandidates("web.default.svc.cluster.local.", search, 5),
            std::vector<std::string>{"web.default.svc.cluster.local"});
}

TEST_F(DnsLookupTest, ClusterHostWithSearchPath) {
  SearchOptions opts;
  auto r = LookupClusterHost(table_, "prometheus.monitoring", opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "prometheus.monitoring.svc.cluster.local");
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.96.0.30"});
  r = LookupClusterHost(table_, "web", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.96.0.20"});
  // "web" resolves only in its own namespace's search path.
  opts.ns = "monitoring";
  EXPECT_EQ(LookupClusterHost(table_, "web", opts).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(LookupClusterHost(table_, "web.default", opts).ok());
  EXPECT_TRUE(LookupClusterHost(table_, "web.default.svc.cluster.local", opts).ok());
  auto pod = LookupClusterHost(table_, "js-workers-0-0.js.train", opts);
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->addresses, std::vector<std::string>{"10.244.0.7"});
  auto ext = LookupClusterHost(table_, "ext.default", opts);
  ASSERT_TRUE(ext.ok());
  EXPECT_EQ(ext->external_name, "example.com");
  EXPECT_EQ(LookupClusterHost(table_, "example.com", opts).status().code(), StatusCode::kNotFound);
}

TEST_F(DnsLookupTest, AnswerDnsMessageEndToEnd) {
  auto reply = AnswerDnsMessage(
      table_, EncodeDnsQuery(77, "web.default.svc.cluster.local", DnsType::kA), false, options_);
  ASSERT_TRUE(reply.has_value());
  auto parsed = ParseDnsResponse(*reply);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->id, 77);
  ASSERT_EQ(parsed->answers.size(), 1u);
  EXPECT_EQ(FormatIpv4(parsed->answers[0].a), "10.96.0.20");

  auto refused = ParseDnsResponse(
      *AnswerDnsMessage(table_, EncodeDnsQuery(1, "pypi.org", DnsType::kA), false, options_));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->rcode, DnsRcode::kRefused);

  std::string garbage = EncodeDnsQuery(2, "x.cluster.local", DnsType::kA);
  garbage.resize(garbage.size() - 3);
  auto formerr = ParseDnsResponse(*AnswerDnsMessage(table_, garbage, false, options_));
  ASSERT_TRUE(formerr.ok());
  EXPECT_EQ(formerr->id, 2);
  EXPECT_EQ(formerr->rcode, DnsRcode::kFormErr);

  std::string notify = EncodeDnsQuery(3, "cluster.local", DnsType::kSoa);
  notify[2] = static_cast<char>(4 << 3);  // opcode NOTIFY
  auto notimp = ParseDnsResponse(*AnswerDnsMessage(table_, notify, false, options_));
  ASSERT_TRUE(notimp.ok());
  EXPECT_EQ(notimp->rcode, DnsRcode::kNotImp);

  EXPECT_FALSE(AnswerDnsMessage(table_, "ab", false, options_).has_value());
}

}  // namespace
}  // namespace skiff::servicenet
