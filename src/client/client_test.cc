// Client: URLs, list paging, watch decoding, delete options and log streaming.
#include "client/client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client/test_server.h"

namespace skiff::client {
namespace {

using testing::TestRequest;
using testing::TestResponse;
using testing::TestServer;

const ResourceInfo kPods{
    .group = "", .version = "v1", .plural = "pods", .kind = "Pod", .namespaced = true};
const ResourceInfo kClusterQueues{.group = "kueue.x-k8s.io",
                                  .version = "v1beta1",
                                  .plural = "clusterqueues",
                                  .kind = "ClusterQueue",
                                  .namespaced = false};

std::unique_ptr<Client> ClientFor(const TestServer& server) {
  auto client = Client::FromConfig({.server = server.url(), .ca_data = server.ca_pem()});
  EXPECT_TRUE(client.ok());
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(ResourcePathTest, Layout) {
  EXPECT_EQ(ResourcePath(kPods, "ns"), "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(ResourcePath(kPods, ""), "/api/v1/pods");
  EXPECT_EQ(ResourcePath(kPods, "ns", "p", "log"), "/api/v1/namespaces/ns/pods/p/log");
  EXPECT_EQ(ResourcePath(kClusterQueues, "ignored", "q"),
            "/apis/kueue.x-k8s.io/v1beta1/clusterqueues/q");
}

TEST(ClientTest, ListFollowsContinue) {
  TestServer server({}, [](const TestRequest& r) -> TestResponse {
    if (r.query.find("continue=page2") != std::string::npos) {
      return {.body = R"({"kind":"PodList","metadata":{"resourceVersion":"11"},
                          "items":[{"metadata":{"name":"c"}}]})"};
    }
    return {.body = R"({"kind":"PodList","metadata":{"resourceVersion":"10","continue":"page2"},
                        "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})"};
  });
  auto client = ClientFor(server);
  auto list = client->List(kPods, "ns", {.label_selector = "app=demo"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ((*list)["items"].size(), 3u);
  EXPECT_EQ((*list)["items"][2]["metadata"]["name"], "c");
  EXPECT_EQ((*list)["metadata"]["resourceVersion"], "11");
  EXPECT_FALSE((*list)["metadata"].contains("continue"));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].query, "labelSelector=app%3Ddemo&limit=500");
  EXPECT_EQ(reqs[1].query, "labelSelector=app%3Ddemo&limit=500&continue=page2");
}

TEST(ClientTest, TableRequestsUseTableAccept) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.body = R"({"kind":"Table","columnDefinitions":[],"rows":[]})"};
  });
  auto client = ClientFor(server);
  auto table = client->List(kPods, "ns", {.as_table = true});
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE((*table)["rows"].is_array());
  EXPECT_EQ(server.requests()[0].headers["accept"], std::string(kTableAccept));
}

TEST(ClientTest, WatchDecodesEventsAndStopsOnError) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{
        .chunks = {
            R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})"
            "\n",
            R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"6"}}})"
            "\n",
            R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 5 (100)","reason":"Expired","code":410}})j"
            "\n"}};
  });
  auto client = ClientFor(server);
  std::vector<std::string> seen;
  Status st =
      client->Watch(kPods, "ns", {.resource_version = "4", .field_selector = "metadata.name=a"},
                    [&](const WatchEvent& e) {
                      seen.push_back(e.type + ":" +
                                     (*e.object)["metadata"]["resourceVersion"].get<std::string>());
                      return true;
                    });
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(st.message(), "too old resource version: 5 (100)");
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:5", "MODIFIED:6"}));
  EXPECT_EQ(server.requests()[0].query,
            "fieldSelector=metadata.name%3Da&resourceVersion=4&watch=true");
}

TEST(ClientTest, DeleteSendsOptionsBody) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.body = R"({"kind":"Status","status":"Success","details":{"uid":"u"}})"};
  });
  auto client = ClientFor(server);
  auto reply = client->Delete(kClusterQueues, "", "q",
                              {.propagation_policy = "Foreground", .grace_period_seconds = 0});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ((*reply)["details"]["uid"], "u");
  auto req = server.requests()[0];
  EXPECT_EQ(req.method, "DELETE");
  EXPECT_EQ(req.path, "/apis/kueue.x-k8s.io/v1beta1/clusterqueues/q");
  EXPECT_EQ(Json::parse(req.body), Json::parse(R"({"kind":"DeleteOptions","apiVersion":"v1",
      "propagationPolicy":"Foreground","gracePeriodSeconds":0})"));
}

TEST(ClientTest, LogsStreamLines) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.content_type = "text/plain", .chunks = {"epoch 1\nep", "och 2\n"}};
  });
  auto client = ClientFor(server);
  std::vector<std::string> lines;
  Status st =
      client->Logs("ml-prod", "p", {.container = "trainer", .follow = true, .tail_lines = 5},
                   [&](std::string_view line) {
                     lines.emplace_back(line);
                     return true;
                   });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(lines, (std::vector<std::string>{"epoch 1", "epoch 2"}));
  auto req = server.requests()[0];
  EXPECT_EQ(req.path, "/api/v1/namespaces/ml-prod/pods/p/log");
  EXPECT_EQ(req.query, "container=trainer&follow=true&tailLines=5");
}

TEST(ClientTest, PatchAndCreateQueryParameters) {
  TestServer server({}, [](const TestRequest& r) { return TestResponse{.body = "{}"}; });
  auto client = ClientFor(server);
  ASSERT_TRUE(client
                  ->Patch(kPods, "ns", "p", R"({"a":1})",
                          {.type = PatchType::kJson, .field_manager = "m", .subresource = "status"})
                  .ok());
  ASSERT_TRUE(client->Create(kPods, "ns", Json::object(), {.dry_run = true}).ok());
  auto reqs = server.requests();
  EXPECT_EQ(reqs[0].path, "/api/v1/namespaces/ns/pods/p/status");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json-patch+json");
  EXPECT_EQ(reqs[0].query, "fieldManager=m");
  EXPECT_EQ(reqs[1].query, "dryRun=All");
}

}  // namespace
}  // namespace skiff::client
