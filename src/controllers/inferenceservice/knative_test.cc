// Knative mode's pure parts: revision names, revision objects, the split and the rollout
// bookkeeping through first deploy, canary, promote and roll back.
#include "controllers/inferenceservice/knative.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::inferenceservice {
namespace {

TEST(KnativeTest, RevisionNames) {
  EXPECT_EQ(RevisionName("iris-predictor", 1), "iris-predictor-00001");
  EXPECT_EQ(RevisionNumber("iris-predictor", "iris-predictor-00042"), 42);
  EXPECT_EQ(RevisionNumber("iris-predictor", "iris-predictor"), 0);
  EXPECT_EQ(RevisionNumber("iris-predictor", "iris-predictor-x0001"), 0);
  EXPECT_EQ(RevisionNumber("iris", "iris-predictor-00001"), 0);
}

Json Isvc(const Json& predictor, const Json& annotations = Json::object()) {
  return {{"metadata",
           {{"name", "iris"}, {"namespace", "ml"}, {"uid", "u1"}, {"annotations", annotations}}},
          {"spec", {{"predictor", predictor}}}};
}

Rendered Standard() {
  Rendered r;
  r.deployment = {{"metadata", {{"name", "iris-predictor"}, {"labels", {{"app", "isvc.iris-predictor"}}}}},
                  {"spec",
                   {{"replicas", 1},
                    {"selector", {{"matchLabels", {{"app", "isvc.iris-predictor"}}}}},
                    {"template",
                     {{"metadata", {{"labels", {{"app", "isvc.iris-predictor"}}}}},
                      {"spec", {{"containers", Json::array({{{"name", "kserve-container"}}})}}}}}}}};
  r.service = {{"metadata", {{"name", "iris-predictor"}}},
               {"spec", {{"selector", {{"app", "isvc.iris-predictor"}}}}}};
  return r;
}

TEST(KnativeTest, RevisionObjectsCarryAutoscalingAndSelectRevision) {
  Json isvc = Isvc({{"minReplicas", 0}, {"maxReplicas", 5}, {"scaleTarget", 10},
                    {"containerConcurrency", 4}},
                   {{"autoscaling.knative.dev/window", "10s"},
                    {"autoscaling.knative.dev/min-scale", "3"}});
  Rendered r = RevisionObjects(isvc, Standard(), "iris-predictor-00002", "h");
  const Json& a = r.deployment["metadata"]["annotations"];
  EXPECT_EQ(a["autoscaling.knative.dev/min-scale"], "0");  // from minReplicas, not the annotation
  EXPECT_EQ(a["autoscaling.knative.dev/max-scale"], "5");
  EXPECT_EQ(a["autoscaling.knative.dev/target"], "10");
  EXPECT_EQ(a["autoscaling.knative.dev/window"], "10s");
  EXPECT_EQ(a["autoscaling.knative.dev/class"], "kpa.autoscaling.knative.dev");
  EXPECT_EQ(a[kContainerConcurrencyAnnotation], "4");
  EXPECT_EQ(r.deployment["metadata"]["name"], "iris-predictor-00002");
  EXPECT_EQ(r.deployment["spec"]["replicas"], 1);  // initial scale 1 even with min 0
  EXPECT_EQ(r.deployment["spec"]["selector"]["matchLabels"][kRevisionLabel],
            "iris-predictor-00002");
  EXPECT_EQ(r.deployment["spec"]["template"]["metadata"]["labels"][kRevisionLabel],
            "iris-predictor-00002");
  EXPECT_EQ(r.service["metadata"]["name"], "iris-predictor-00002");
  EXPECT_EQ(r.service["spec"]["selector"][kRevisionLabel], "iris-predictor-00002");

  Rendered three = RevisionObjects(Isvc({{"minReplicas", 3}}), Standard(), "iris-predictor-00001", "h");
  EXPECT_EQ(three.deployment["spec"]["replicas"], 3);
}

TEST(KnativeTest, TemplateHashIgnoresCanaryPercent) {
  Json a = Isvc({{"minReplicas", 1}});
  Json b = Isvc({{"minReplicas", 1}, {"canaryTrafficPercent", 10}});
  Json c = Isvc({{"minReplicas", 2}});
  EXPECT_EQ(TemplateHash(a, Standard()), TemplateHash(b, Standard()));
  EXPECT_NE(TemplateHash(a, Standard()), TemplateHash(c, Standard()));
  Rendered other = Standard();
  other.deployment["spec"]["template"]["spec"]["containers"][0]["args"] = Json::array({"x"});
  EXPECT_NE(TemplateHash(a, Standard()), TemplateHash(a, other));
}

// Runs the split to its fixed point, as the reconciler does.
std::vector<TrafficTarget> Settle(std::optional<int> canary, Rollout* r, bool tags = false) {
  auto t = ComputeTraffic(canary, tags, *r);
  for (int i = 0; i < 2 && PropagateRollout(t, r); ++i) t = ComputeTraffic(canary, tags, *r);
  return t;
}

TEST(KnativeTest, LifecycleFirstDeployCanaryPromoteRollback) {
  Rollout r;
  r.latest_created = "p-00001";
  EXPECT_TRUE(Settle(std::nullopt, &r).empty());  // nothing ready yet
  r.latest_ready = "p-00001";
  auto t = Settle(std::nullopt, &r);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].revision, "p-00001");
  EXPECT_EQ(t[0].percent, 100);
  EXPECT_EQ(r.latest_rolledout, "p-00001");

  // Canary 10 while revision 2 is not ready: the split resolves to revision 1 only.
  r.latest_created = "p-00002";
  t = Settle(10, &r);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].revision, "p-00001");
  EXPECT_EQ(t[1].revision, "p-00001");
  EXPECT_EQ(r.latest_rolledout, "p-00001");
  r.latest_ready = "p-00002";
  t = Settle(10, &r);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].revision, "p-00002");
  EXPECT_EQ(t[0].percent, 10);
  EXPECT_TRUE(t[0].latest);
  EXPECT_EQ(t[1].revision, "p-00001");
  EXPECT_EQ(t[1].percent, 90);
  EXPECT_EQ(t[1].tag, "prev");
  EXPECT_EQ(r.latest_rolledout, "p-00001");

  // Promote: the field removed.
  t = Settle(std::nullopt, &r);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].revision, "p-00002");
  EXPECT_EQ(r.latest_rolledout, "p-00002");
  EXPECT_EQ(r.previous_rolledout, "p-00001");

  // Roll back: 0 to the latest.
  t = Settle(0, &r);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].revision, "p-00002");
  EXPECT_EQ(t[0].percent, 0);
  EXPECT_EQ(t[1].revision, "p-00001");
  EXPECT_EQ(t[1].percent, 100);
  EXPECT_EQ(r.latest_rolledout, "p-00001");
  // Stable on the next reconcile.
  Rollout before = r;
  t = Settle(0, &r);
  EXPECT_EQ(r.latest_rolledout, before.latest_rolledout);
  EXPECT_EQ(t[1].revision, "p-00001");
}

TEST(KnativeTest, CanaryOnFirstDeployAndFullCanary) {
  Rollout r;
  r.latest_created = r.latest_ready = "p-00001";
  // No rolled-out revision yet: 100% to the latest, which then is the rolled-out one, so the
  // canary split resolves to revision 1 on both sides.
  auto t = Settle(10, &r);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].revision, "p-00001");
  EXPECT_EQ(t[1].revision, "p-00001");
  EXPECT_EQ(t[0].percent + t[1].percent, 100);
  r.latest_created = r.latest_ready = "p-00002";
  t = Settle(100, &r);  // 100: no prev target
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].revision, "p-00002");
  EXPECT_EQ(r.latest_rolledout, "p-00002");
}

TEST(KnativeTest, TagsAndTrafficJson) {
  Rollout r;
  r.latest_created = r.latest_ready = "p-00002";
  r.latest_rolledout = "p-00001";
  auto t = ComputeTraffic(25, /*tag_routing=*/true, r);
  Json j = TrafficJson(t, "iris-predictor", "ml", "example.com");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["tag"], "latest");
  EXPECT_EQ(j[0]["url"], "http://latest-iris-predictor.ml.example.com");
  EXPECT_EQ(j[0]["percent"], 25);
  EXPECT_EQ(j[1]["tag"], "prev");
  EXPECT_EQ(j[1]["latestRevision"], false);
  Json plain = TrafficJson(ComputeTraffic(std::nullopt, false, r), "iris-predictor", "ml", "x");
  EXPECT_FALSE(plain[0].contains("tag"));
}

}  // namespace
}  // namespace skiff::controllers::inferenceservice
