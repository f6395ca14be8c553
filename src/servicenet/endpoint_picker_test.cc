// Tests for backend selection: least outstanding, round robin among ties, exclusion on retry,
// and the backend list derived from Endpoints (named ports).
#include "servicenet/endpoint_picker.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

namespace skiff::servicenet {
namespace {

const Backend kA{.ip = "10.244.0.2", .port = 80};
const Backend kB{.ip = "10.244.0.3", .port = 80};
const Backend kC{.ip = "10.244.0.4", .port = 80};

TEST(EndpointPickerTest, RoundRobinWhenIdle) {
  EndpointPicker p;
  p.SetBackends({kA, kB, kC});
  std::map<std::string, int> seen;
  for (int i = 0; i < 9; ++i) seen[p.Pick()->ip]++;
  EXPECT_EQ(seen[kA.ip], 3);
  EXPECT_EQ(seen[kB.ip], 3);
  EXPECT_EQ(seen[kC.ip], 3);
}

TEST(EndpointPickerTest, PrefersLeastOutstanding) {
  EndpointPicker p;
  p.SetBackends({kA, kB, kC});
  p.Acquire(kA);
  p.Acquire(kA);
  p.Acquire(kB);
  EXPECT_EQ(*p.Pick(), kC);
  p.Acquire(kC);
  EXPECT_EQ(*p.Pick(), kB);  // B and C have 1; B comes first after C in rotation
  p.Release(kA);
  p.Release(kA);
  EXPECT_EQ(*p.Pick(), kA);
  EXPECT_EQ(p.Outstanding(kA), 0);
  p.Release(kA);  // extra releases do not go negative
  EXPECT_EQ(p.Outstanding(kA), 0);
}

TEST(EndpointPickerTest, ExcludesFailedBackendsAndRunsOut) {
  EndpointPicker p;
  p.SetBackends({kA, kB});
  std::set<Backend> tried{kA};
  EXPECT_EQ(*p.Pick(tried), kB);
  tried.insert(kB);
  EXPECT_FALSE(p.Pick(tried).has_value());
  EndpointPicker empty;
  EXPECT_FALSE(empty.Pick().has_value());
}

TEST(EndpointPickerTest, CountsSurviveBackendChanges) {
  EndpointPicker p;
  p.SetBackends({kA, kB});
  p.Acquire(kA);
  p.SetBackends({kB});
  p.SetBackends({kA, kB});
  EXPECT_EQ(p.Outstanding(kA), 1);
  EXPECT_EQ(*p.Pick(), kB);
}

TEST(BackendsForTest, MatchesEndpointPortsByName) {
  Json svc =
      Json::parse(R"({"metadata":{"name":"s","namespace":"n"},"spec":{"clusterIP":"10.96.0.9",
    "ports":[{"name":"http","port":80},{"name":"metrics","port":9000,"protocol":"TCP"}]}})");
  Json ep = Json::parse(R"({"subsets":[
      {"addresses":[{"ip":"10.244.0.3"},{"ip":"10.244.0.2"}],
       "notReadyAddresses":[{"ip":"10.244.0.9"}],
       "ports":[{"name":"http","port":8080},{"name":"metrics","port":9100}]},
      {"addresses":[{"ip":"10.244.0.4"}],"ports":[{"name":"http","port":8081}]}]})");
  ServiceRecord r = ParseServiceRecord(svc, &ep);
  EXPECT_EQ(r.cluster_ip, "10.96.0.9");
  EXPECT_FALSE(r.headless);
  ASSERT_EQ(r.ports.size(), 2u);
  EXPECT_EQ(r.ports[0].protocol, "TCP");
  auto http = BackendsFor(r, r.ports[0]);
  EXPECT_EQ(http, (std::vector<Backend>{
                      {"10.244.0.2", 8080}, {"10.244.0.3", 8080}, {"10.244.0.4", 8081}}));
  auto metrics = BackendsFor(r, r.ports[1]);
  EXPECT_EQ(metrics, (std::vector<Backend>{{"10.244.0.2", 9100}, {"10.244.0.3", 9100}}));
  // No Endpoints object yet: no backends.
  EXPECT_TRUE(BackendsFor(ParseServiceRecord(svc, nullptr), r.ports[0]).empty());
}

}  // namespace
}  // namespace skiff::servicenet
