// Unit tests of the routes file parser.
#include "gateway/routes_file.h"

#include <gtest/gtest.h>

namespace skiff::gateway {
namespace {

TEST(RoutesFileTest, ParsesACanaryTable) {
  auto routes = ParseRoutesJson(R"({"routes": [
    {"hosts": ["fraud-detector.ml-prod.example.com", "fraud-detector-ml-prod.example.com"],
     "pathPrefix": "/v1", "stripPrefix": true, "timeoutSeconds": 0.25, "retries": 3,
     "backends": [
       {"revision": "ml-prod/fd-00001", "weight": 90, "endpoints": ["10.244.0.12:8080"]},
       {"revision": "ml-prod/fd-00002", "weight": 10, "endpoints": [], "ready": false}]},
    {"hosts": ["latest-fd-predictor.ml-prod.example.com"],
     "backends": [{"revision": "ml-prod/fd-00002"}]}]})");
  ASSERT_TRUE(routes.ok()) << routes.status().ToString();
  ASSERT_EQ(routes->size(), 2u);
  const Route& r = (*routes)[0];
  EXPECT_EQ(r.hosts.size(), 2u);
  EXPECT_EQ(r.path_prefix, "/v1");
  EXPECT_TRUE(r.strip_prefix);
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(r.retries, 3);
  ASSERT_EQ(r.backends.size(), 2u);
  EXPECT_EQ(r.backends[0].weight, 90);
  EXPECT_EQ(*r.backends[0].endpoints, std::vector<std::string>{"10.244.0.12:8080"});
  EXPECT_TRUE(r.backends[1].endpoints->empty());
  EXPECT_FALSE(r.backends[1].ready);
  const Route& tag = (*routes)[1];
  EXPECT_EQ(tag.timeout, std::chrono::milliseconds(300'000));  // Knative's default
  EXPECT_EQ(tag.retries, 2);
  EXPECT_EQ(tag.backends[0].weight, 100);
  EXPECT_FALSE(tag.backends[0].endpoints.has_value());  // keep what SetEndpoints set
  EXPECT_TRUE(ParseRoutesJson(R"({"routes": []})")->empty());
}

TEST(RoutesFileTest, RefusesBadDocumentsWithTheFieldPath) {
  struct Case {
    const char* doc;
    const char* want;
  };
  for (
      const Case& c : std::vector<Case>{
          {"", ""},
          {"[]", "must be a JSON object"},
          {R"({"route": []})", "route: unknown field"},
          {R"({"routes": {}})", "routes: required list"},
          {R"({"routes": [{"hosts": "a", "backends": []}]})", "routes[0].hosts"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": "r", "wieght": 1}]}]})",
           "routes[0].backends[0].wieght: unknown field"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": 1}]}]})",
           "routes[0].backends[0].revision"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": "r", "weight": 1.5}]}]})",
           "must be an integer"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": "r", "ready": 1}]}]})",
           "ready"},
          {R"({"routes": [{"hosts": ["a"], "timeoutSeconds": -1, "backends": [{"revision": "r"}]}]})",
           "timeoutSeconds"},
          {R"({"routes": [{"hosts": ["a"], "retries": 99, "backends": [{"revision": "r"}]}]})",
           "retries"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": "r", "endpoints": ["x"]}]}]})",
           "endpoints[0]"},
          {R"({"routes": [{"hosts": ["a"], "backends": [{"revision": "r"}]},
                           {"hosts": ["A"], "backends": [{"revision": "r"}]}]})",
           "already routed"},
      }) {
    auto r = ParseRoutesJson(c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.doc << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace skiff::gateway
