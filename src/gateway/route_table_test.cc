// Unit tests of routing: host normalisation, endpoint parsing, validation, prefix matching,
// the weighted pick, targets and the hop-by-hop rules.
#include "gateway/route_table.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "gateway/http_head.h"

namespace skiff::gateway {
namespace {

TEST(RouteTest, NormalizeHost) {
  EXPECT_EQ(*NormalizeHost("Iris.ML.example.com:8080"), "iris.ml.example.com");
  EXPECT_EQ(*NormalizeHost("iris.ml.example.com."), "iris.ml.example.com");
  EXPECT_EQ(*NormalizeHost("iris:"), "iris");
  EXPECT_EQ(*NormalizeHost("[::1]:80"), "[::1]");
  EXPECT_EQ(*NormalizeHost("[FE80::1]"), "[fe80::1]");
  EXPECT_EQ(*NormalizeHost("10.0.0.1:8080"), "10.0.0.1");
  for (const char* bad : {"", ":80", "a b", "a..b", ".a", "a:8x", "[::1", "[zz]", "a/b", "a@b"}) {
    EXPECT_FALSE(NormalizeHost(bad).ok()) << bad;
  }
}

TEST(RouteTest, ParseEndpointAddress) {
  auto a = ParseEndpointAddress("10.244.0.12:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ip, "10.244.0.12");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->address, "10.244.0.12:8080");
  EXPECT_EQ(ParseEndpointAddress("localhost:9000")->address, "127.0.0.1:9000");
  EXPECT_EQ(ParseEndpointAddress("[0:0::1]:80")->address, "[::1]:80");
  for (const char* bad :
       {"10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000", "pod.svc:80", "[::1]80", "1.2.3:80", ":80"}) {
    EXPECT_FALSE(ParseEndpointAddress(bad).ok()) << bad;
  }
}

Route OneRoute(std::string host, std::string prefix = "") {
  Route r;
  r.hosts = {std::move(host)};
  r.path_prefix = std::move(prefix);
  Backend b;
  b.revision = "ns/r";
  r.backends = {b};
  return r;
}

TEST(RouteTest, ValidateRoutesNamesTheField) {
  EXPECT_TRUE(ValidateRoutes({OneRoute("a"), OneRoute("a", "/v1"), OneRoute("b")}).ok());
  Status dup = ValidateRoutes({OneRoute("a"), OneRoute("A:80")});
  EXPECT_NE(dup.message().find("routes[1].hosts[0]"), std::string::npos) << dup.message();
  Route no_slash = OneRoute("a", "v1");
  EXPECT_NE(ValidateRoutes({no_slash}).message().find("pathPrefix"), std::string::npos);
  Route weight = OneRoute("a");
  weight.backends[0].weight = 101;
  EXPECT_NE(ValidateRoutes({weight}).message().find("routes[0].backends[0].weight"),
            std::string::npos);
  Route twice = OneRoute("a");
  twice.backends.push_back(twice.backends[0]);
  EXPECT_NE(ValidateRoutes({twice}).message().find("appears twice"), std::string::npos);
  Route bad_ep = OneRoute("a");
  bad_ep.backends[0].endpoints = std::vector<std::string>{"1.2.3.4:80", "nope"};
  EXPECT_NE(ValidateRoutes({bad_ep}).message().find("endpoints[1]"), std::string::npos);
  Route no_backends = OneRoute("a");
  no_backends.backends.clear();
  EXPECT_FALSE(ValidateRoutes({no_backends}).ok());
  Route retries = OneRoute("a");
  retries.retries = 11;
  EXPECT_FALSE(ValidateRoutes({retries}).ok());
  Route timeout = OneRoute("a");
  timeout.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(ValidateRoutes({timeout}).ok());
}

TEST(RouteTableTest, MatchesHostThenLongestPrefix) {
  RealClock clock;
  std::map<std::string, std::shared_ptr<Revision>> revisions;
  auto make = [&](const std::string& key) {
    auto& r = revisions[key];
    if (!r) r = std::make_shared<Revision>(key, ActivatorOptions{}, nullptr, clock);
    return r;
  };
  Route any = OneRoute("h");
  any.backends[0].revision = "ns/any";
  Route models = OneRoute("h", "/v1/models");
  models.backends[0].revision = "ns/models";
  Route iris = OneRoute("h", "/v1/models/iris");
  iris.backends[0].revision = "ns/iris";
  RouteTable table({any, models, iris}, make);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Match("h", "/v1/models/iris:predict")->Pick()->name(), "ns/iris");
  EXPECT_EQ(table.Match("h", "/v1/models/x")->Pick()->name(), "ns/models");
  EXPECT_EQ(table.Match("h", "/")->Pick()->name(), "ns/any");
  EXPECT_EQ(table.Match("other", "/"), nullptr);
  EXPECT_TRUE(PathHasPrefix("/a/b", "/a/"));
  EXPECT_FALSE(PathHasPrefix("/a", "/a/"));
  EXPECT_TRUE(PathHasPrefix("/anything", ""));
}

TEST(RouteTableTest, SplitsExactlyByWeightAmongReadyBackends) {
  RealClock clock;
  auto make = [&](const std::string& key) {
    return std::make_shared<Revision>(key, ActivatorOptions{}, nullptr, clock);
  };
  Route r = OneRoute("h");
  r.backends[0].revision = "ns/stable";
  r.backends[0].weight = 90;
  Backend canary;
  canary.revision = "ns/canary";
  canary.weight = 10;
  r.backends.push_back(canary);
  RouteTable table({r}, make);
  const CompiledRoute* route = table.Match("h", "/");
  std::map<std::string, int> hits;
  int longest_run = 0, run = 0;
  std::string last;
  for (int i = 0; i < 1000; ++i) {
    std::string name = route->Pick()->name();
    run = name == last ? run + 1 : 1;
    longest_run = std::max(longest_run, run);
    last = name;
    hits[name]++;
  }
  EXPECT_EQ(hits["ns/canary"], 100);
  EXPECT_EQ(hits["ns/stable"], 900);
  EXPECT_LT(longest_run, 30);  // interleaved, not 90 then 10

  // A not-ready backend leaves the split; zero weight gets nothing; none left: nullptr.
  Route r2 = r;
  r2.hosts = {"h2"};
  r2.backends[0].ready = false;
  Route r3 = r;
  r3.hosts = {"h3"};
  r3.backends[0].ready = false;
  r3.backends[1].weight = 0;
  RouteTable t2({r2, r3}, make);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(t2.Match("h2", "/")->Pick()->name(), "ns/canary");
  EXPECT_EQ(t2.Match("h3", "/")->Pick(), nullptr);
}

TEST(RouteTableTest, SplitTarget) {
  auto t = SplitTarget("/v1/models/iris:predict?x=1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/v1/models/iris:predict");
  EXPECT_EQ(t->path_and_query, "/v1/models/iris:predict?x=1");
  EXPECT_EQ(t->authority, "");
  t = SplitTarget("HTTP://Iris.example.com:80/p?q");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->authority, "Iris.example.com:80");
  EXPECT_EQ(t->path, "/p");
  t = SplitTarget("http://iris.example.com?q");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "");
  EXPECT_EQ(ForwardedTarget(t->path_and_query, "", false), "/?q");
  EXPECT_FALSE(SplitTarget("").ok());
  EXPECT_FALSE(SplitTarget("ftp://x/").ok());
  EXPECT_FALSE(SplitTarget("http:///p").ok());
}

TEST(HttpHeadTest, HopByHopAndForwardedTarget) {
  EXPECT_TRUE(IsHopByHop("Connection"));
  EXPECT_TRUE(IsHopByHop("transfer-encoding"));
  EXPECT_TRUE(IsHopByHop("Proxy-Authorization"));
  EXPECT_FALSE(IsHopByHop("Content-Length"));
  EXPECT_FALSE(IsHopByHop("X-Forwarded-For"));
  auto tokens = ConnectionTokens(" keep-alive ,X-Trace,, Close");
  EXPECT_EQ(tokens, (std::vector<std::string>{"keep-alive", "x-trace", "close"}));
  EXPECT_TRUE(HasToken(tokens, "X-TRACE"));
  EXPECT_EQ(ForwardedTarget("/serving/ml/iris/v1/models/iris:predict", "/serving/ml/iris", true),
            "/v1/models/iris:predict");
  EXPECT_EQ(ForwardedTarget("/serving/ml/iris?x", "/serving/ml/iris", true), "/?x");
  EXPECT_EQ(ForwardedTarget("/serving/ml/iris", "/serving/ml/iris", false), "/serving/ml/iris");
  std::string body = ErrorJson("bad \"host\" \x01\xff\\");
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["error"], "bad \"host\" \x01?\\");
  std::string hex;
  AppendHex(hex, 0x1a2b);
  EXPECT_EQ(hex, "1a2b");
}

}  // namespace
}  // namespace skiff::gateway
