// Condition semantics (apimachinery's SetStatusCondition) and pod helpers.
#include "controllers/runtime/conditions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/runtime/expectations.h"
#include "controllers/runtime/pods.h"

namespace skiff::controllers {
namespace {

TEST(Conditions, TransitionTimeMovesOnlyWhenStatusChanges) {
  Json conds;
  EXPECT_TRUE(SetCondition(&conds, {"Ready", "False", "Starting", "wait", 1}, "T1"));
  EXPECT_EQ(conds[0]["lastTransitionTime"], "T1");
  EXPECT_EQ(conds[0]["observedGeneration"], 1);
  // Same status, new reason: updated in place, transition time kept.
  EXPECT_TRUE(SetCondition(&conds, {"Ready", "False", "Pulling", "wait more", 2}, "T2"));
  EXPECT_EQ(conds[0]["lastTransitionTime"], "T1");
  EXPECT_EQ(conds[0]["reason"], "Pulling");
  EXPECT_EQ(conds[0]["observedGeneration"], 2);
  // Nothing new: no change reported.
  EXPECT_FALSE(SetCondition(&conds, {"Ready", "False", "Pulling", "wait more", 2}, "T3"));
  EXPECT_TRUE(SetCondition(&conds, {"Ready", "True", "Up", "", 2}, "T4"));
  EXPECT_EQ(conds[0]["lastTransitionTime"], "T4");
  EXPECT_TRUE(IsConditionTrue(conds, "Ready"));
  EXPECT_EQ(conds.size(), 1u);
  SetCondition(&conds, {"Progressing", "True", "X", ""}, "T5", "lastUpdateTime");
  EXPECT_EQ(FindCondition(conds, "Progressing")->value("lastUpdateTime", ""), "T5");
  EXPECT_EQ(FindCondition(conds, "Missing"), nullptr);
}

TEST(Conditions, ControllerRefs) {
  Json owner = {{"apiVersion", "apps/v1"},
                {"kind", "ReplicaSet"},
                {"metadata", {{"name", "rs"}, {"uid", "u1"}}}};
  Json pod = {{"metadata", {{"ownerReferences", Json::array({ControllerRef(owner)})}}}};
  ASSERT_NE(GetControllerOf(pod), nullptr);
  EXPECT_EQ((*GetControllerOf(pod))["kind"], "ReplicaSet");
  EXPECT_TRUE(IsControlledBy(pod, "u1"));
  EXPECT_FALSE(IsControlledBy(pod, "u2"));
  EXPECT_EQ(GetControllerOf(Json{{"metadata", Json::object()}}), nullptr);
}

TEST(Pods, RequestsDefaultToLimitsAndInitContainersTakeTheMax) {
  Json pod = ParseJson(R"({"spec":{
    "containers":[{"resources":{"requests":{"cpu":"500m"},"limits":{"cpu":"1","memory":"1Gi"}}},
                  {"resources":{"limits":{"nvidia.com/gpu":"2"}}}],
    "initContainers":[{"resources":{"requests":{"cpu":"2"}}}],
    "overhead":{"memory":"1Mi"}}})")
                 .value();
  ResourceList r = PodRequests(pod);
  EXPECT_EQ(r["cpu"], 2000);  // init container's 2 > 0.5
  EXPECT_EQ(r["memory"], (int64_t{1} << 30) * 1000 + (int64_t{1} << 20) * 1000);
  EXPECT_EQ(r["nvidia.com/gpu"], 2000);
  EXPECT_EQ(FormatResource("memory", (int64_t{1} << 30) * 1000), "1Gi");
  EXPECT_EQ(FormatResource("cpu", 1500), "1500m");
}

TEST(Pods, PhaseAndReadiness) {
  Json pod = ParseJson(R"({"metadata":{},"status":{"phase":"Running",
    "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})")
                 .value();
  EXPECT_TRUE(IsPodActive(pod));
  EXPECT_TRUE(IsPodReady(pod));
  EXPECT_TRUE(IsPodAvailable(pod, 0, 0));
  EXPECT_FALSE(IsPodAvailable(pod, 10, 1767225600 + 5));
  EXPECT_TRUE(IsPodAvailable(pod, 10, 1767225600 + 10));
  pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(IsPodActive(pod));
  pod["metadata"].erase("deletionTimestamp");
  pod["status"]["phase"] = "Succeeded";
  EXPECT_TRUE(IsPodTerminal(pod));
  EXPECT_FALSE(IsPodActive(pod));
}

TEST(Expectations, SettleAgainstTheCache) {
  Expectations e;
  e.ExpectCreate("ns/rs", "p1");
  e.ExpectCreate("ns/rs", "p2");
  e.ExpectDelete("ns/rs", "old");
  auto pending = e.Settle(
      "ns/rs", [](const std::string& n) { return n == "p1"; },
      [](const std::string& n) { return n == "old"; });
  EXPECT_EQ(pending.creates, std::set<std::string>{"p2"});
  EXPECT_EQ(pending.deletes, std::set<std::string>{"old"});
  pending = e.Settle(
      "ns/rs", [](const std::string&) { return true; }, [](const std::string&) { return false; });
  EXPECT_TRUE(pending.creates.empty());
  EXPECT_TRUE(pending.deletes.empty());
  Expectations short_lived(std::chrono::milliseconds(0));
  short_lived.ExpectCreate("k", "never-seen");
  EXPECT_TRUE(short_lived
                  .Settle("k", [](const std::string&) { return false; },
                          [](const std::string&) { return true; })
                  .creates.empty())
      << "expired expectations must not wedge the owner";
}

}  // namespace
}  // namespace skiff::controllers
