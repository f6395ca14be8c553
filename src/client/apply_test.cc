// Client-side apply: the last-applied annotation, the three-way patch, and the request sequence
// kubectl sends (GET, then POST or PATCH, retrying on conflict).
#include "client/apply.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "client/client.h"
#include "client/test_server.h"

namespace skiff::client {
namespace {

using testing::TestRequest;
using testing::TestResponse;
using testing::TestServer;

const std::string kKey(kLastAppliedAnnotation);

Json Manifest() {
  return Json::parse(R"({"apiVersion":"example.com/v1","kind":"Widget",
    "metadata":{"name":"w","namespace":"ns","labels":{"app":"demo"}},
    "spec":{"size":1,"color":"red"}})");
}

// What the server would hold after creating `annotated`.
Json Live(const Json& annotated) {
  Json live = annotated;
  live["metadata"]["uid"] = "u-1";
  live["metadata"]["resourceVersion"] = "5";
  live["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z";
  live["status"] = {{"phase", "Ready"}};
  return live;
}

TEST(ApplyTest, LastAppliedAnnotationIsCompactJsonWithNewline) {
  Json annotated = WithLastApplied(Manifest());
  EXPECT_EQ(
      annotated["metadata"]["annotations"][kKey],
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"annotations":{},)"
      R"("labels":{"app":"demo"},"name":"w","namespace":"ns"},"spec":{"color":"red","size":1}})"
      "\n");
  // Re-annotating an annotated object does not nest the old annotation.
  EXPECT_EQ(WithLastApplied(annotated), annotated);
  EXPECT_EQ(LastApplied(annotated),
            Json::parse(annotated["metadata"]["annotations"][kKey].get<std::string>()));
  EXPECT_TRUE(LastApplied(Manifest()).is_null());
}

TEST(ApplyTest, UnchangedManifestGivesEmptyPatch) {
  Json annotated = WithLastApplied(Manifest());
  auto patch = ComputeApplyPatch(annotated, Live(annotated));
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  EXPECT_EQ(*patch, Json::object());
}

TEST(ApplyTest, RemovedFieldsBecomeNullAndOthersAreLeftAlone) {
  Json live = Live(WithLastApplied(Manifest()));
  live["spec"]["replicas"] = 3;  // set by another writer: not ours to remove
  Json next = Manifest();
  next["spec"].erase("color");
  next["spec"]["size"] = 2;
  Json annotated = WithLastApplied(next);
  auto patch = ComputeApplyPatch(annotated, live);
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  EXPECT_EQ((*patch)["spec"], Json::parse(R"({"color":null,"size":2})"));
  EXPECT_EQ((*patch)["metadata"]["annotations"][kKey], annotated["metadata"]["annotations"][kKey]);
  EXPECT_FALSE((*patch).contains("status"));
}

TEST(ApplyTest, LiveObjectWithoutAnnotationOnlyGetsDifferences) {
  Json live = Manifest();
  live["spec"]["extra"] = true;
  auto patch = ComputeApplyPatch(WithLastApplied(Manifest()), live);
  ASSERT_TRUE(patch.ok());
  EXPECT_FALSE((*patch).contains("spec"));
  EXPECT_TRUE((*patch)["metadata"]["annotations"].contains(kKey));
}

Json ServiceManifest() {
  return Json::parse(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"ns"},
    "spec":{"ports":[{"port":80}],"selector":{"app":"demo"}}})");
}

// The live Service after the server defaulted its port.
Json DefaultedService(const Json& annotated) {
  Json live = Live(annotated);
  live["spec"]["ports"][0]["protocol"] = "TCP";
  live["spec"]["ports"][0]["targetPort"] = 80;
  live["spec"]["clusterIP"] = "10.0.0.7";
  return live;
}

TEST(ApplyTest, ServerDefaultsInListsDoNotCountAsChanges) {
  Json annotated = WithLastApplied(ServiceManifest());
  auto patch = ComputeApplyPatch(annotated, DefaultedService(annotated));
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  EXPECT_EQ(*patch, Json::object());
}

TEST(ApplyTest, EditedListsAreSentWhole) {
  Json live = DefaultedService(WithLastApplied(ServiceManifest()));
  Json next = ServiceManifest();
  next["spec"]["ports"][0]["port"] = 8080;
  auto patch = ComputeApplyPatch(WithLastApplied(next), live);
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ((*patch)["spec"]["ports"], Json::parse(R"([{"port":8080}])"));
  // Removing a field the last apply set is an edit too, even though the live list still "has"
  // everything the manifest sets.
  Json before = ServiceManifest();
  before["spec"]["ports"][0]["targetPort"] = 9090;
  Json live2 = DefaultedService(WithLastApplied(before));
  live2["spec"]["ports"][0]["targetPort"] = 9090;
  auto patch2 = ComputeApplyPatch(WithLastApplied(ServiceManifest()), live2);
  ASSERT_TRUE(patch2.ok());
  EXPECT_EQ((*patch2)["spec"]["ports"], Json::parse(R"([{"port":80}])"));
}

TEST(ApplyTest, ListsChangedByAnotherWriterAreRestored) {
  Json annotated = WithLastApplied(ServiceManifest());
  Json live = DefaultedService(annotated);
  live["spec"]["ports"][0]["port"] = 81;  // someone edited a value the manifest sets
  auto patch = ComputeApplyPatch(annotated, live);
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ((*patch)["spec"]["ports"], Json::parse(R"([{"port":80}])"));
}

TEST(ApplyTest, RefusesToChangeKind) {
  Json live = Live(WithLastApplied(Manifest()));
  Json other = Manifest();
  other["kind"] = "Gadget";
  EXPECT_EQ(ComputeApplyPatch(WithLastApplied(other), live).status().code(),
            StatusCode::kInvalidArgument);
}

const ResourceInfo kWidgets{.group = "example.com",
                            .version = "v1",
                            .plural = "widgets",
                            .singular = "widget",
                            .kind = "Widget",
                            .namespaced = true};

// A scripted widget endpoint: `live` is the stored object (null = absent); PATCH fails with
// Conflict `conflicts` times first.
struct FakeWidgets {
  std::mutex mu;
  Json live;
  int conflicts = 0;
  TestResponse Handle(const TestRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.method == "GET") {
      if (live.is_null()) {
        return {
            .status = 404,
            .body =
                R"({"kind":"Status","reason":"NotFound","message":"widgets.example.com \"w\" not found","code":404})"};
      }
      return {.body = live.dump()};
    }
    if (r.method == "POST") {
      live = Live(Json::parse(r.body));
      return {.status = 201, .body = live.dump()};
    }
    if (r.method == "PATCH") {
      if (conflicts > 0) {
        --conflicts;
        return {.status = 409,
                .body = R"({"kind":"Status","reason":"Conflict","message":"conflict","code":409})"};
      }
      live.merge_patch(Json::parse(r.body));
      return {.body = live.dump()};
    }
    return {.status = 405};
  }
};

TEST(ApplyObjectTest, CreatesThenConfiguresThenUnchanged) {
  FakeWidgets fake;
  TestServer server({}, [&](const TestRequest& r) { return fake.Handle(r); });
  auto client = Client::FromConfig({.server = server.url(), .ca_data = server.ca_pem()});
  ASSERT_TRUE(client.ok());

  auto created = ApplyObject(**client, kWidgets, Manifest(), {});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->result, ApplyResult::kCreated);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/apis/example.com/v1/namespaces/ns/widgets/w");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].path, "/apis/example.com/v1/namespaces/ns/widgets");
  EXPECT_EQ(reqs[1].query, "fieldManager=kubectl-client-side-apply&fieldValidation=Strict");
  EXPECT_EQ(Json::parse(reqs[1].body), WithLastApplied(Manifest()));

  Json next = Manifest();
  next["spec"]["size"] = 2;
  auto configured = ApplyObject(**client, kWidgets, next, {});
  ASSERT_TRUE(configured.ok()) << configured.status().ToString();
  EXPECT_EQ(configured->result, ApplyResult::kConfigured);
  reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[3].method, "PATCH");
  EXPECT_EQ(reqs[3].headers["content-type"], "application/merge-patch+json");
  EXPECT_EQ(Json::parse(reqs[3].body)["spec"], Json::parse(R"({"size":2})"));

  auto unchanged = ApplyObject(**client, kWidgets, next, {});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->result, ApplyResult::kUnchanged);
  EXPECT_EQ(server.requests().size(), 5u);  // only the GET
}

TEST(ApplyObjectTest, RetriesPatchOnConflict) {
  FakeWidgets fake;
  fake.live = Live(WithLastApplied(Manifest()));
  fake.conflicts = 2;
  TestServer server({}, [&](const TestRequest& r) { return fake.Handle(r); });
  auto client = Client::FromConfig({.server = server.url(), .ca_data = server.ca_pem()});
  ASSERT_TRUE(client.ok());
  Json next = Manifest();
  next["spec"]["color"] = "blue";
  auto outcome = ApplyObject(**client, kWidgets, next, {});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->result, ApplyResult::kConfigured);
  EXPECT_EQ(server.requests().size(), 6u);  // (GET, PATCH) x 3
  EXPECT_EQ(fake.live["spec"]["color"], "blue");
}

TEST(ApplyObjectTest, GivesUpAfterMaxRetriesWithSourceInMessage) {
  FakeWidgets fake;
  fake.live = Live(WithLastApplied(Manifest()));
  fake.conflicts = 100;
  TestServer server({}, [&](const TestRequest& r) { return fake.Handle(r); });
  auto client = Client::FromConfig({.server = server.url(), .ca_data = server.ca_pem()});
  ASSERT_TRUE(client.ok());
  Json next = Manifest();
  next["spec"]["color"] = "blue";
  auto outcome = ApplyObject(**client, kWidgets, next, {.source = "w.yaml"});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kAborted);
  EXPECT_EQ(outcome.status().message().rfind("error when applying patch:", 0), 0u);
  EXPECT_NE(outcome.status().message().find("for: \"w.yaml\": conflict"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 12u);  // 1 + 5 retries, each GET + PATCH
}

TEST(ApplyObjectTest, ServerSideApply) {
  FakeWidgets fake;
  TestServer server({}, [&](const TestRequest& r) { return TestResponse{.body = r.body}; });
  auto client = Client::FromConfig({.server = server.url(), .ca_data = server.ca_pem()});
  ASSERT_TRUE(client.ok());
  auto outcome =
      ApplyObject(**client, kWidgets, Manifest(), {.server_side = true, .force_conflicts = true});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->result, ApplyResult::kServerSideApplied);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PATCH");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/apply-patch+yaml");
  EXPECT_EQ(reqs[0].query, "fieldManager=kubectl&fieldValidation=Strict&force=true");
  EXPECT_EQ(Json::parse(reqs[0].body), Manifest());
}

}  // namespace
}  // namespace skiff::client
