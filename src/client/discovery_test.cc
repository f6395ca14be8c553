// Resource resolution (kubectl's REST mapper rules) and discovery over legacy and aggregated
// documents, including re-discovery after a miss.
#include "client/discovery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "client/rest_client.h"
#include "client/test_server.h"

namespace skiff::client {
namespace {

using testing::TestRequest;
using testing::TestResponse;
using testing::TestServer;

constexpr char kCoreV1[] = R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
 {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"],"categories":["all"]},
 {"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]},
 {"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch"]},
 {"name":"events","singularName":"event","namespaced":true,"kind":"Event","verbs":["list"],"shortNames":["ev"]},
 {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get"],"shortNames":["ns"]}]})";
constexpr char kAppsV1[] = R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
 {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment","verbs":["get"],"shortNames":["deploy"],"categories":["all"]},
 {"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get"]}]})";
constexpr char kEventsV1[] =
    R"({"kind":"APIResourceList","groupVersion":"events.k8s.io/v1","resources":[
 {"name":"events","singularName":"event","namespaced":true,"kind":"Event","verbs":["list"],"shortNames":["ev"]}]})";
constexpr char kTrainerV1alpha1[] =
    R"({"kind":"APIResourceList","groupVersion":"trainer.kubeflow.org/v1alpha1","resources":[
 {"name":"trainjobs","singularName":"trainjob","namespaced":true,"kind":"TrainJob","verbs":["get"]},
 {"name":"clustertrainingruntimes","singularName":"clustertrainingruntime","namespaced":false,"kind":"ClusterTrainingRuntime","verbs":["get"]}]})";
constexpr char kKueueV1beta1[] =
    R"({"kind":"APIResourceList","groupVersion":"kueue.x-k8s.io/v1beta1","resources":[
 {"name":"clusterqueues","singularName":"clusterqueue","namespaced":false,"kind":"ClusterQueue","verbs":["get"],"shortNames":["cq"]}]})";
constexpr char kServingV1beta1[] =
    R"({"kind":"APIResourceList","groupVersion":"serving.kserve.io/v1beta1","resources":[
 {"name":"inferenceservices","singularName":"inferenceservice","namespaced":true,"kind":"InferenceService","verbs":["get"],"shortNames":["isvc"]}]})";

std::vector<GroupResources> Groups() {
  return {
      {"", {"v1"}, ParseApiResourceList("v1", kCoreV1)},
      {"apps", {"v1"}, ParseApiResourceList("apps/v1", kAppsV1)},
      {"events.k8s.io", {"v1"}, ParseApiResourceList("events.k8s.io/v1", kEventsV1)},
      {"trainer.kubeflow.org",
       {"v1alpha1"},
       ParseApiResourceList("trainer.kubeflow.org/v1alpha1", kTrainerV1alpha1)},
      {"kueue.x-k8s.io",
       {"v1beta1"},
       ParseApiResourceList("kueue.x-k8s.io/v1beta1", kKueueV1beta1)},
      {"serving.kserve.io",
       {"v1beta1"},
       ParseApiResourceList("serving.kserve.io/v1beta1", kServingV1beta1)},
  };
}

std::string Resolve(std::string_view input) {
  auto r = MatchResource(Groups(), input);
  return r.ok() ? r->GroupResource() + "@" + r->version : r.status().message();
}

TEST(ParseApiResourceListTest, FoldsSubresources) {
  auto list = ParseApiResourceList("v1", kCoreV1);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].plural, "pods");
  EXPECT_EQ(list[0].kind, "Pod");
  EXPECT_TRUE(list[0].namespaced);
  EXPECT_EQ(list[0].subresources, (std::vector<std::string>{"log", "status"}));
  EXPECT_FALSE(list[2].namespaced);
  EXPECT_EQ(list[0].KindPrefix(), "pod");
  auto apps = ParseApiResourceList("apps/v1", kAppsV1);
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].group, "apps");
  EXPECT_EQ(apps[0].KindPrefix(), "deployment.apps");
  EXPECT_EQ(apps[0].GroupVersion(), "apps/v1");
}

TEST(MatchResourceTest, KubectlSpellings) {
  EXPECT_EQ(Resolve("pods"), "pods@v1");
  EXPECT_EQ(Resolve("pod"), "pods@v1");
  EXPECT_EQ(Resolve("po"), "pods@v1");
  EXPECT_EQ(Resolve("Pod"), "pods@v1");
  EXPECT_EQ(Resolve("deploy"), "deployments.apps@v1");
  EXPECT_EQ(Resolve("deployment.apps"), "deployments.apps@v1");
  EXPECT_EQ(Resolve("deployments.v1.apps"), "deployments.apps@v1");
  EXPECT_EQ(Resolve("trainjob"), "trainjobs.trainer.kubeflow.org@v1alpha1");
  EXPECT_EQ(Resolve("TrainJob"), "trainjobs.trainer.kubeflow.org@v1alpha1");
  EXPECT_EQ(Resolve("trainjobs.trainer.kubeflow.org"), "trainjobs.trainer.kubeflow.org@v1alpha1");
  EXPECT_EQ(Resolve("isvc"), "inferenceservices.serving.kserve.io@v1beta1");
  EXPECT_EQ(Resolve("cq"), "clusterqueues.kueue.x-k8s.io@v1beta1");
  EXPECT_EQ(Resolve("ns"), "namespaces@v1");
}

TEST(MatchResourceTest, CoreGroupWinsAndGroupsDisambiguate) {
  EXPECT_EQ(Resolve("events"), "events@v1");
  EXPECT_EQ(Resolve("ev"), "events@v1");
  EXPECT_EQ(Resolve("events.events.k8s.io"), "events.events.k8s.io@v1");
}

TEST(MatchResourceTest, UnknownTypes) {
  EXPECT_EQ(Resolve("widgets"), "the server doesn't have a resource type \"widgets\"");
  EXPECT_EQ(Resolve("pods.apps"), "the server doesn't have a resource type \"pods.apps\"");
  auto r = MatchResource(Groups(), "nope");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(MatchCategoryTest, ExpandsAll) {
  std::vector<std::string> names;
  for (const ResourceInfo& r : MatchCategory(Groups(), "all")) {
    names.push_back(r.GroupResource());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"pods", "deployments.apps"}));
  EXPECT_TRUE(MatchCategory(Groups(), "nothing").empty());
}

TEST(MatchKindTest, ExactGroupVersionKind) {
  auto r = MatchKind(Groups(), "trainer.kubeflow.org/v1alpha1", "TrainJob");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->plural, "trainjobs");
  EXPECT_TRUE(r->namespaced);
  auto ns = MatchKind(Groups(), "v1", "Namespace");
  ASSERT_TRUE(ns.ok());
  EXPECT_FALSE(ns->namespaced);
  auto miss = MatchKind(Groups(), "trainer.kubeflow.org/v1", "TrainJob");
  EXPECT_EQ(miss.status().message(),
            "no matches for kind \"TrainJob\" in version \"trainer.kubeflow.org/v1\"");
  EXPECT_FALSE(MatchKind(Groups(), "v1", "pod").ok());
}

TEST(ParseAggregatedDiscoveryTest, ReadsScopesAndPutsCoreFirst) {
  auto groups = ParseAggregatedDiscovery(R"({"kind":"APIGroupDiscoveryList","items":[
    {"metadata":{"name":"example.com"},"versions":[{"version":"v1","resources":[
      {"resource":"widgets","singularResource":"widget","scope":"Namespaced",
       "responseKind":{"group":"example.com","version":"v1","kind":"Widget"},"shortNames":["wd"],
       "subresources":[{"subresource":"status"}]}]}]},
    {"metadata":{"name":""},"versions":[{"version":"v1","resources":[
      {"resource":"namespaces","singularResource":"namespace","scope":"Cluster",
       "responseKind":{"group":"","version":"v1","kind":"Namespace"}}]}]}]})");
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].group, "");
  EXPECT_FALSE((*groups)[0].resources[0].namespaced);
  const ResourceInfo& w = (*groups)[1].resources[0];
  EXPECT_EQ(w.kind, "Widget");
  EXPECT_TRUE(w.namespaced);
  EXPECT_EQ(w.subresources, std::vector<std::string>{"status"});
  EXPECT_EQ(MatchResource(*groups, "wd")->plural, "widgets");
}

// A server with legacy discovery whose set of groups can grow (a CRD being created).
class LegacyDiscoveryServer {
 public:
  LegacyDiscoveryServer() : server_({}, [this](const TestRequest& r) { return Handle(r); }) {}
  TestServer& server() { return server_; }
  std::atomic<bool> with_kueue{false};

 private:
  TestResponse Handle(const TestRequest& r) {
    if (r.path == "/api") {
      return {.body = R"({"kind":"APIVersions","versions":["v1"]})"};
    }
    if (r.path == "/api/v1") {
      return {.body = kCoreV1};
    }
    if (r.path == "/apis") {
      std::string groups =
          R"({"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],
              "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}})";
      if (with_kueue) {
        groups +=
            R"(,{"name":"kueue.x-k8s.io","versions":[{"groupVersion":"kueue.x-k8s.io/v1beta1","version":"v1beta1"}],
              "preferredVersion":{"groupVersion":"kueue.x-k8s.io/v1beta1","version":"v1beta1"}})";
      }
      return {.body = R"({"kind":"APIGroupList","groups":[)" + groups + "]}"};
    }
    if (r.path == "/apis/apps/v1") {
      return {.body = kAppsV1};
    }
    if (r.path == "/apis/kueue.x-k8s.io/v1beta1") {
      return {.body = kKueueV1beta1};
    }
    return {.status = 404, .body = R"({"kind":"Status","reason":"NotFound","code":404})"};
  }
  TestServer server_;
};

TEST(DiscoveryTest, LegacyDocumentsAndRediscoveryOnMiss) {
  LegacyDiscoveryServer fake;
  RestConfig config{.server = fake.server().url(), .ca_data = fake.server().ca_pem()};
  auto rest = RestClient::Create(config);
  ASSERT_TRUE(rest.ok());
  Discovery discovery(**rest);
  auto deploy = discovery.ResolveResource("deploy");
  ASSERT_TRUE(deploy.ok()) << deploy.status().ToString();
  EXPECT_EQ(deploy->group, "apps");
  size_t after_first = fake.server().requests().size();
  EXPECT_EQ(after_first, 4u);  // /api, /api/v1, /apis, /apis/apps/v1
  // Cached: no more requests for known types.
  ASSERT_TRUE(discovery.ResolveKind("v1", "Pod").ok());
  EXPECT_EQ(fake.server().requests().size(), after_first);
  // A new group appears; a miss triggers one re-discovery.
  fake.with_kueue = true;
  auto cq = discovery.ResolveResource("cq");
  ASSERT_TRUE(cq.ok()) << cq.status().ToString();
  EXPECT_EQ(cq->plural, "clusterqueues");
  EXPECT_FALSE(cq->namespaced);
  EXPECT_EQ(discovery.ResolveResource("widgets").status().code(), StatusCode::kNotFound);
}

TEST(DiscoveryTest, UsesAggregatedDiscoveryWhenOffered) {
  TestServer server({}, [](const TestRequest& r) -> TestResponse {
    std::string ct = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    if (r.path == "/api") {
      return {.content_type = ct,
              .body = R"({"kind":"APIGroupDiscoveryList","items":[{"metadata":{"name":""},
                "versions":[{"version":"v1","resources":[{"resource":"pods","singularResource":"pod",
                "scope":"Namespaced","responseKind":{"kind":"Pod"},"shortNames":["po"]}]}]}]})"};
    }
    if (r.path == "/apis") {
      return {.content_type = ct, .body = R"({"kind":"APIGroupDiscoveryList","items":[]})"};
    }
    return {.status = 404};
  });
  auto rest = RestClient::Create({.server = server.url(), .ca_data = server.ca_pem()});
  ASSERT_TRUE(rest.ok());
  Discovery discovery(**rest);
  auto po = discovery.ResolveResource("po");
  ASSERT_TRUE(po.ok()) << po.status().ToString();
  EXPECT_EQ(po->plural, "pods");
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_NE(server.requests()[0].headers["accept"].find("as=APIGroupDiscoveryList"),
            std::string::npos);
}

}  // namespace
}  // namespace skiff::client
