// Tests for Endpoints computation: readiness, named target ports, hostnames, publishing
// not-ready addresses, and pod-to-service mapping inputs.
#include "controllers/endpoints/subsets.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace skiff::controllers::endpoints {
namespace {

client::ObjectPtr Pod(const std::string& name, const std::string& ip, bool ready,
                      const std::string& extra_spec = "{}") {
  Json pod = Json::parse(R"({"metadata":{"namespace":"default","labels":{"app":"web"}},
    "spec":{"nodeName":"skiff","containers":[{"name":"c","ports":[
      {"name":"http","containerPort":8080},{"name":"dns","containerPort":5353,"protocol":"UDP"}]}]},
    "status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}})");
  pod["metadata"]["name"] = name;
  pod["metadata"]["uid"] = "uid-" + name;
  if (!ip.empty()) pod["status"]["podIP"] = ip;
  pod["status"]["conditions"][0]["status"] = ready ? "True" : "False";
  pod["spec"].update(Json::parse(extra_spec));
  return std::make_shared<const Json>(std::move(pod));
}

Json Service(const std::string& extra_spec = "{}") {
  Json svc = Json::parse(R"({"metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"app":"web"},"clusterIP":"10.96.0.5",
            "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":"http"}]}})");
  svc["spec"].update(Json::parse(extra_spec));
  return svc;
}

TEST(SubsetsTest, ReadyAndNotReadyWithNamedTargetPort) {
  Json subsets =
      ComputeSubsets(Service(), {Pod("a", "10.244.0.3", true), Pod("b", "10.244.0.4", false),
                                 Pod("c", "", true) /* no IP yet */});
  ASSERT_EQ(subsets.size(), 1u);
  const Json& s = subsets[0];
  ASSERT_EQ(s["addresses"].size(), 1u);
  EXPECT_EQ(s["addresses"][0]["ip"], "10.244.0.3");
  EXPECT_EQ(s["addresses"][0]["nodeName"], "skiff");
  EXPECT_EQ(s["addresses"][0]["targetRef"],
            Json::parse(R"({"kind":"Pod","namespace":"default","name":"a","uid":"uid-a"})"));
  EXPECT_FALSE(s["addresses"][0].contains("hostname"));
  ASSERT_EQ(s["notReadyAddresses"].size(), 1u);
  EXPECT_EQ(s["notReadyAddresses"][0]["ip"], "10.244.0.4");
  EXPECT_EQ(s["ports"], Json::parse(R"([{"name":"http","port":8080,"protocol":"TCP"}])"));
}

TEST(SubsetsTest, TerminatingAndTerminalPodsAreLeftOut) {
  Json terminating = *Pod("t", "10.244.0.5", true);
  terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  Json done = *Pod("d", "10.244.0.6", false);
  done["status"]["phase"] = "Succeeded";
  std::vector<client::ObjectPtr> pods = {std::make_shared<const Json>(terminating),
                                         std::make_shared<const Json>(done)};
  EXPECT_TRUE(ComputeSubsets(Service(), pods).empty());
  EXPECT_FALSE(IsPodServing(terminating));
}

TEST(SubsetsTest, PublishNotReadyAddressesPutsEveryoneInAddresses) {
  Json subsets = ComputeSubsets(Service(R"({"publishNotReadyAddresses":true})"),
                                {Pod("a", "10.244.0.3", true), Pod("b", "10.244.0.4", false)});
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["addresses"].size(), 2u);
  EXPECT_FALSE(subsets[0].contains("notReadyAddresses"));
}

TEST(SubsetsTest, HostnameOnlyWhenSubdomainNamesTheService) {
  Json svc = Service(R"({"clusterIP":"None"})");
  Json subsets = ComputeSubsets(
      svc, {Pod("a", "10.244.0.3", true, R"({"hostname":"h0","subdomain":"web"})"),
            Pod("b", "10.244.0.4", true, R"({"hostname":"h1","subdomain":"other"})")});
  ASSERT_EQ(subsets.size(), 1u);
  const Json& addrs = subsets[0]["addresses"];
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[0]["hostname"], "h0");
  EXPECT_FALSE(addrs[1].contains("hostname"));
}

TEST(SubsetsTest, PodsWithDifferentPortsGetSeparateSubsets) {
  Json other = Json::parse(
      R"({"containers":[{"name":"c","ports":[{"name":"http","containerPort":9090}]}]})");
  Json subsets = ComputeSubsets(
      Service(), {Pod("a", "10.244.0.3", true), Pod("b", "10.244.0.4", true, other.dump()),
                  Pod("c", "10.244.0.5", true, R"({"containers":[{"name":"c"}]})")});
  ASSERT_EQ(subsets.size(), 2u);  // pod c declares no "http" port and serves nothing
  std::set<int> ports;
  for (const auto& s : subsets) ports.insert(s["ports"][0]["port"].get<int>());
  EXPECT_EQ(ports, (std::set<int>{8080, 9090}));
}

TEST(SubsetsTest, NumericAndDefaultTargetPorts) {
  Json svc = Service(R"({"ports":[{"name":"a","port":80,"targetPort":8081},
                                  {"name":"b","port":81},
                                  {"name":"c","port":82,"targetPort":"8083"},
                                  {"name":"d","port":53,"protocol":"UDP","targetPort":"dns"}]})");
  Json subsets = ComputeSubsets(svc, {Pod("a", "10.244.0.3", true)});
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["ports"], Json::parse(R"([{"name":"a","port":8081,"protocol":"TCP"},
    {"name":"b","port":81,"protocol":"TCP"},{"name":"c","port":8083,"protocol":"TCP"},
    {"name":"d","port":5353,"protocol":"UDP"}])"));
}

TEST(SubsetsTest, SelectorMatching) {
  Json svc = Service();
  EXPECT_TRUE(HasSelector(svc));
  EXPECT_TRUE(SelectorMatches(svc, *Pod("a", "", true)));
  Json other = *Pod("a", "", true);
  other["metadata"]["labels"]["app"] = "db";
  EXPECT_FALSE(SelectorMatches(svc, other));
  other["metadata"].erase("labels");
  EXPECT_FALSE(SelectorMatches(svc, other));
  Json no_selector = Service();
  no_selector["spec"].erase("selector");
  EXPECT_FALSE(HasSelector(no_selector));
  EXPECT_FALSE(SelectorMatches(no_selector, *Pod("a", "", true)));
}

TEST(SubsetsTest, DeterministicOrder) {
  auto a = ComputeSubsets(Service(), {Pod("a", "10.244.0.3", true), Pod("b", "10.244.0.2", true)});
  auto b = ComputeSubsets(Service(), {Pod("b", "10.244.0.2", true), Pod("a", "10.244.0.3", true)});
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace skiff::controllers::endpoints
