// Rolling-update arithmetic, template hashing, and the ReplicaSet deletion order.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/deployment/deployment.h"
#include "controllers/replicaset/replicaset.h"

namespace skiff::controllers::deployment {
namespace {

TEST(Rolling, IntOrPercent) {
  EXPECT_EQ(ResolveIntOrPercent(Json("25%"), 5, true, 0), 2);   // surge rounds up
  EXPECT_EQ(ResolveIntOrPercent(Json("25%"), 5, false, 0), 1);  // unavailable rounds down
  EXPECT_EQ(ResolveIntOrPercent(Json(3), 5, false, 0), 3);
  EXPECT_EQ(ResolveIntOrPercent(Json("bad%"), 5, false, 7), 7);
  EXPECT_EQ(ResolveIntOrPercent(Json(nullptr), 5, false, 7), 7);
}

TEST(Rolling, NewReplicaSetGrowsWithinSurge) {
  RsState old{"old", 5, 5, false};
  RsState fresh{"new", 0, 0, true};
  EXPECT_EQ(NewRsReplicas(5, 2, {old, fresh}, fresh), 2);
  fresh.replicas = 2;
  EXPECT_EQ(NewRsReplicas(5, 2, {old, fresh}, fresh), 2) << "7 pods already: at the surge limit";
  old.replicas = 3;
  EXPECT_EQ(NewRsReplicas(5, 2, {old, fresh}, fresh), 4);
  old.replicas = 0;
  fresh.replicas = 4;
  EXPECT_EQ(NewRsReplicas(5, 2, {old, fresh}, fresh), 5) << "never beyond the desired count";
}

TEST(Rolling, OldReplicaSetsShrinkKeepingMinimumAvailability) {
  // 5 desired, maxUnavailable 1: 5 old ready, new has 2 unready.
  RsState old{"old", 5, 5, false};
  RsState fresh{"new", 2, 0, true};
  // 7 pods - 4 minimum - 2 unavailable new = 1 may go; 5 available - 4 minimum = 1 too.
  EXPECT_EQ(ScaleDownOld(5, 1, {old}, &fresh), std::vector<int64_t>{4});
  fresh.available = 2;
  EXPECT_EQ(ScaleDownOld(5, 1, {old}, &fresh), std::vector<int64_t>{2});
  // Unhealthy old pods go first, without touching availability.
  RsState sick{"sick", 3, 0, false};
  RsState healthy{"healthy", 2, 2, false};
  fresh = {"new", 0, 0, true};
  EXPECT_EQ(ScaleDownOld(2, 0, {sick, healthy}, &fresh), (std::vector<int64_t>{0, 2}));
}

TEST(Rolling, ZeroDowntimeWhenMaxUnavailableIsZero) {
  RsState old{"old", 3, 3, false};
  RsState fresh{"new", 1, 0, true};
  EXPECT_EQ(ScaleDownOld(3, 0, {old}, &fresh), std::vector<int64_t>{3})
      << "no old pod may go until a new one is available";
  fresh.available = 1;
  EXPECT_EQ(ScaleDownOld(3, 0, {old}, &fresh), std::vector<int64_t>{2});
}

TEST(Deployment, TemplateHashIgnoresItsOwnLabelAndIsStable) {
  Json t = ParseJson(R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c"}]}})").value();
  Json with_hash = t;
  with_hash["metadata"]["labels"]["pod-template-hash"] = "xyz";
  EXPECT_EQ(TemplateHash(t), TemplateHash(with_hash));
  Json changed = t;
  changed["spec"]["containers"][0]["args"] = Json::array({"--v"});
  EXPECT_NE(TemplateHash(t), TemplateHash(changed));
  for (char c : TemplateHash(t)) {
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  }
}

TEST(ReplicaSet, DeletesUnscheduledPendingUnreadyAndNewestFirst) {
  auto pod = [](const std::string& name, const std::string& node, const std::string& phase,
                bool ready, const std::string& created) {
    Json p = {{"metadata", {{"name", name}, {"creationTimestamp", created}}},
              {"spec", {{"nodeName", node}}},
              {"status", {{"phase", phase}}}};
    if (ready) p["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", "True"}}});
    return std::make_shared<const Json>(p);
  };
  std::vector<client::ObjectPtr> pods = {
      pod("ready-old", "n", "Running", true, "2026-01-01T00:00:00Z"),
      pod("ready-new", "n", "Running", true, "2026-01-02T00:00:00Z"),
      pod("unready", "n", "Running", false, "2026-01-01T00:00:00Z"),
      pod("pending", "n", "Pending", false, "2026-01-01T00:00:00Z"),
      pod("unscheduled", "", "Pending", false, "2026-01-01T00:00:00Z"),
  };
  replicaset::SortForDeletion(&pods);
  std::vector<std::string> order;
  for (const auto& p : pods) order.push_back((*p)["metadata"]["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"unscheduled", "pending", "unready", "ready-new",
                                             "ready-old"}));
}

TEST(ReplicaSet, PodFromTemplateIsOwned) {
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata", {{"name", "rs"}, {"namespace", "ns"}, {"uid", "u"}}}};
  Json tmpl = ParseJson(R"({"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}})").value();
  Json pod = replicaset::PodFromTemplate(rs, tmpl, "rs-abcde");
  EXPECT_EQ(pod["metadata"]["name"], "rs-abcde");
  EXPECT_EQ(pod["metadata"]["namespace"], "ns");
  EXPECT_EQ(pod["metadata"]["labels"]["a"], "b");
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["uid"], "u");
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(pod["spec"]["containers"][0]["name"], "c");
  EXPECT_EQ(replicaset::RandomName("rs-").size(), 8u);
}

}  // namespace
}  // namespace skiff::controllers::deployment
