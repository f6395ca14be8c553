// InferenceServices → gateway routes: Standard hosts, the Knative split with merged targets,
// tag routes, the activator fallback before the first ready revision, failed revisions.
#include "cli/isvc_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::cli {
namespace {

Json Endpoints(const std::string& name, const std::vector<std::string>& ips) {
  Json addrs = Json::array();
  for (const auto& ip : ips) addrs.push_back({{"ip", ip}});
  return {{"metadata", {{"name", name}, {"namespace", "ml"}}},
          {"subsets", Json::array({{{"addresses", addrs}, {"ports", Json::array({{{"port", 8080}}})}}})}};
}

TEST(IsvcRoutesTest, StandardMode) {
  Json isvc = {{"metadata", {{"name", "iris"}, {"namespace", "ml"}}},
               {"spec", {{"predictor", {{"timeout", 5}}}}}};
  auto routes = IsvcRoutes({isvc}, {{"ml/iris-predictor", Endpoints("iris-predictor", {"10.0.0.1"})}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].hosts, (std::vector<std::string>{"iris.ml.example.com", "iris-ml.example.com"}));
  ASSERT_EQ(routes[0].backends.size(), 1u);
  EXPECT_EQ(routes[0].backends[0].revision, "ml/iris-predictor");
  EXPECT_EQ(*routes[0].backends[0].endpoints, std::vector<std::string>{"10.0.0.1:8080"});
  EXPECT_EQ(routes[0].timeout, std::chrono::seconds(5));
  EXPECT_TRUE(gateway::ValidateRoutes(routes).ok());
}

TEST(IsvcRoutesTest, StandardModeDomainFromStatusUrl) {
  Json isvc = {{"metadata", {{"name", "iris"}, {"namespace", "ml"}}},
               {"spec", {{"predictor", Json::object()}}},
               {"status", {{"url", "http://iris.ml.models.corp"}}}};
  auto routes = IsvcRoutes({isvc}, {});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].hosts,
            (std::vector<std::string>{"iris.ml.models.corp", "iris-ml.models.corp"}));
}

TEST(IsvcRoutesTest, StandardModeTransformerIsTheEntryPoint) {
  Json isvc = {{"metadata", {{"name", "iris"}, {"namespace", "ml"}}},
               {"spec", {{"predictor", Json::object()}, {"transformer", Json::object()}}}};
  auto routes = IsvcRoutes({isvc}, {{"ml/iris-transformer", Endpoints("t", {"10.0.0.9"})}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].backends[0].revision, "ml/iris-transformer");
  EXPECT_EQ(*routes[0].backends[0].endpoints, std::vector<std::string>{"10.0.0.9:8080"});
}

Json Knative(const Json& predictor_status, const Json& conditions = Json::array()) {
  return {{"metadata",
           {{"name", "iris"},
            {"namespace", "ml"},
            {"annotations", {{"serving.kserve.io/deploymentMode", "Serverless"}}}}},
          {"spec", {{"predictor", Json::object()}}},
          {"status",
           {{"url", "http://iris.ml.corp.dev"},
            {"deploymentMode", "Knative"},
            {"conditions", conditions},
            {"components", {{"predictor", predictor_status}}}}}};
}

TEST(IsvcRoutesTest, KnativeSplitAndTags) {
  Json isvc = Knative({{"latestCreatedRevision", "iris-predictor-00002"},
                       {"traffic",
                        Json::array({{{"revisionName", "iris-predictor-00002"},
                                      {"percent", 10},
                                      {"latestRevision", true},
                                      {"tag", "latest"}},
                                     {{"revisionName", "iris-predictor-00001"},
                                      {"percent", 90},
                                      {"tag", "prev"}}})}});
  auto routes = IsvcRoutes({isvc}, {{"ml/iris-predictor-00001", Endpoints("a", {"10.0.0.1", "10.0.0.2"})},
                                    {"ml/iris-predictor-00002", Endpoints("b", {})}});
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].hosts, std::vector<std::string>{"latest-iris-predictor.ml.corp.dev"});
  EXPECT_EQ(routes[1].hosts, std::vector<std::string>{"prev-iris-predictor.ml.corp.dev"});
  EXPECT_EQ(routes[1].backends[0].revision, "ml/iris-predictor-00001");
  const gateway::Route& main = routes[2];
  EXPECT_EQ(main.hosts, (std::vector<std::string>{"iris.ml.corp.dev", "iris-predictor.ml.corp.dev"}));
  ASSERT_EQ(main.backends.size(), 2u);
  EXPECT_EQ(main.backends[0].revision, "ml/iris-predictor-00002");
  EXPECT_EQ(main.backends[0].weight, 10);
  EXPECT_TRUE(main.backends[0].endpoints->empty());  // scaled to zero: the activator holds
  EXPECT_EQ(main.backends[1].weight, 90);
  EXPECT_EQ(main.backends[1].container_concurrency, 0);
  EXPECT_EQ(main.backends[1].endpoints->size(), 2u);
  EXPECT_TRUE(gateway::ValidateRoutes(routes).ok());
}

TEST(IsvcRoutesTest, KnativeContainerConcurrencyOnEveryBackend) {
  Json isvc = Knative({{"traffic", Json::array({{{"revisionName", "iris-predictor-00001"},
                                                  {"percent", 100},
                                                  {"latestRevision", true},
                                                  {"tag", "latest"}}})}});
  isvc["spec"]["predictor"]["containerConcurrency"] = 4;
  auto routes = IsvcRoutes({isvc}, {});
  ASSERT_EQ(routes.size(), 2u);
  for (const auto& r : routes) EXPECT_EQ(r.backends[0].container_concurrency, 4);
  EXPECT_TRUE(gateway::ValidateRoutes(routes).ok());
}

TEST(IsvcRoutesTest, KnativeSameRevisionTwiceIsMerged) {
  Json isvc = Knative({{"traffic", Json::array({{{"revisionName", "iris-predictor-00001"},
                                                  {"percent", 10},
                                                  {"latestRevision", true}},
                                                 {{"revisionName", "iris-predictor-00001"},
                                                  {"percent", 90},
                                                  {"tag", "prev"}}})}});
  auto routes = IsvcRoutes({isvc}, {});
  ASSERT_EQ(routes.size(), 2u);
  ASSERT_EQ(routes[1].backends.size(), 1u);
  EXPECT_EQ(routes[1].backends[0].weight, 100);
  EXPECT_TRUE(gateway::ValidateRoutes(routes).ok());
}

TEST(IsvcRoutesTest, KnativeBeforeFirstReadyRevision) {
  Json starting = Knative({{"latestCreatedRevision", "iris-predictor-00001"}});
  auto routes = IsvcRoutes({starting}, {});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].backends[0].revision, "ml/iris-predictor-00001");
  EXPECT_TRUE(routes[0].backends[0].ready);
  Json failed = Knative({{"latestCreatedRevision", "iris-predictor-00001"}},
                        Json::array({{{"type", "PredictorConfigurationReady"}, {"status", "False"}}}));
  routes = IsvcRoutes({failed}, {});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_FALSE(routes[0].backends[0].ready);
  EXPECT_TRUE(IsvcRoutes({Knative(Json::object())}, {}).empty());  // nothing created yet
}

}  // namespace
}  // namespace skiff::cli
