// Plain-pod integration: the pod webhook (gate + managed label), group keys, pod sets by role,
// finish rules, the ungate edit, and the API server's update rules for gated pods.
#include "controllers/kueue/pod_groups.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apiserver/kueue_admission.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::kueue {
namespace {

Json GroupPod(const std::string& name, const std::string& gpus, const std::string& total = "2") {
  Json p = Json::parse(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"namespace": "ns", "uid": "u",
                 "labels": {"kueue.x-k8s.io/queue-name": "q",
                            "kueue.x-k8s.io/pod-group-name": "g1"},
                 "annotations": {}},
    "spec": {"nodeSelector": {"own": "x"},
             "schedulingGates": [{"name": "kueue.x-k8s.io/admission"}],
             "containers": [{"name": "c", "image": "i"}]}})");
  p["metadata"]["name"] = name;
  p["metadata"]["uid"] = "uid-" + name;
  p["metadata"]["annotations"]["kueue.x-k8s.io/pod-group-total-count"] = total;
  p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = gpus;
  return p;
}

TEST(PodWebhook, GatesQueuedPodsOnly) {
  api::KindInfo pod_kind;
  pod_kind.kind = "Pod";
  Json p = GroupPod("a", "1");
  p["spec"].erase("schedulingGates");
  p["spec"]["schedulingGates"] = Json::array({{{"name", "other"}}});
  apiserver::SuspendQueuedJob(pod_kind, p);
  ASSERT_EQ(p["spec"]["schedulingGates"].size(), 2u);
  EXPECT_EQ(p["spec"]["schedulingGates"][0]["name"], "other");
  EXPECT_EQ(p["spec"]["schedulingGates"][1]["name"], "kueue.x-k8s.io/admission");
  EXPECT_EQ(p["metadata"]["labels"]["kueue.x-k8s.io/managed"], "true");
  apiserver::SuspendQueuedJob(pod_kind, p);  // idempotent
  EXPECT_EQ(p["spec"]["schedulingGates"].size(), 2u);
  EXPECT_TRUE(IsGatedByKueue(p));

  Json unlabelled = GroupPod("b", "1");
  unlabelled["metadata"]["labels"].erase("kueue.x-k8s.io/queue-name");
  unlabelled["spec"].erase("schedulingGates");
  apiserver::SuspendQueuedJob(pod_kind, unlabelled);
  EXPECT_FALSE(unlabelled["spec"].contains("schedulingGates"));

  Json owned = GroupPod("c", "1");
  owned["spec"].erase("schedulingGates");
  owned["metadata"]["ownerReferences"] =
      Json::parse(R"([{"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "x",
                       "controller": true}])");
  apiserver::SuspendQueuedJob(pod_kind, owned);
  EXPECT_FALSE(owned["spec"].contains("schedulingGates"));
  EXPECT_EQ(PodGroupKey(owned), "");  // a Job's pod is admitted with its Job
}

TEST(PodGroups, KeysSeparateGroupsFromSinglePods) {
  Json p = GroupPod("a", "1");
  EXPECT_EQ(PodGroupKey(p), "g1");
  EXPECT_EQ(PodGroupName(p), "g1");
  p["metadata"]["labels"].erase("kueue.x-k8s.io/pod-group-name");
  EXPECT_EQ(PodGroupKey(p), "pod/a");
  EXPECT_EQ(PodGroupName(p), "");
  p["metadata"]["labels"].erase("kueue.x-k8s.io/queue-name");
  EXPECT_EQ(PodGroupKey(p), "");
  std::string n = WorkloadName(PodKind(), "a", "uid-a");
  EXPECT_EQ(n.rfind("pod-a-", 0), 0u);
  EXPECT_EQ(n.size(), 11u);
}

TEST(PodGroups, PodSetsByRoleWithoutGates) {
  std::vector<Json> pods = {GroupPod("a", "2", "3"), GroupPod("b", "1", "3"),
                            GroupPod("c", "2", "3")};
  EXPECT_EQ(PodRoleHash(pods[0]), PodRoleHash(pods[2]));
  EXPECT_NE(PodRoleHash(pods[0]), PodRoleHash(pods[1]));
  // Admission adds to nodeSelector: the role must not change with it.
  Json placed = pods[0];
  placed["spec"]["nodeSelector"]["flavor"] = "h100";
  EXPECT_EQ(PodRoleHash(placed), PodRoleHash(pods[0]));

  auto ps = PodGroupPodSets(pods, false);
  ASSERT_TRUE(ps.ok()) << ps.status().message();
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[0]["name"], PodRoleHash(pods[0]));
  EXPECT_EQ((*ps)[0]["count"], 2);
  EXPECT_EQ((*ps)[1]["count"], 1);
  const Json& tmpl = (*ps)[0]["template"];
  EXPECT_FALSE(tmpl["spec"].contains("schedulingGates"));
  EXPECT_EQ(tmpl["spec"]["nodeSelector"]["own"], "x");
  EXPECT_FALSE(tmpl["metadata"].contains("labels"));  // only kueue labels, dropped

  auto single = PodGroupPodSets({pods[1]}, true);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ((*single)[0]["name"], "main");
  EXPECT_EQ((*single)[0]["count"], 1);
}

TEST(PodGroups, TotalCountMustAgree) {
  auto t = PodGroupTotalCount({GroupPod("a", "1"), GroupPod("b", "1")});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 2);
  EXPECT_FALSE(PodGroupTotalCount({GroupPod("a", "1"), GroupPod("b", "1", "3")}).ok());
  EXPECT_FALSE(PodGroupTotalCount({GroupPod("a", "1", "zero")}).ok());
  EXPECT_FALSE(PodGroupTotalCount({GroupPod("a", "1", "0")}).ok());
}

TEST(PodGroups, FinishedRules) {
  Json a = GroupPod("a", "1"), b = GroupPod("b", "1");
  EXPECT_FALSE(PodGroupFinished({a, b}, 2, false));
  a["status"]["phase"] = "Succeeded";
  EXPECT_FALSE(PodGroupFinished({a, b}, 2, false));
  b["status"]["phase"] = "Failed";
  EXPECT_FALSE(PodGroupFinished({a, b}, 2, false));  // retriable: a replacement may come
  b["metadata"]["annotations"]["kueue.x-k8s.io/retriable-in-group"] = "false";
  auto f = PodGroupFinished({a, b}, 2, false);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->succeeded);
  b["status"]["phase"] = "Succeeded";
  f = PodGroupFinished({a, b}, 2, false);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->succeeded);
  EXPECT_EQ(f->message, "Pods succeeded: 2/2");

  Json single = GroupPod("s", "1");
  single["status"]["phase"] = "Failed";
  f = PodGroupFinished({single}, 1, true);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->reason, "Failed");
}

TEST(PodGroups, UngateKeepsOtherGatesAndAddsFlavor) {
  Json p = GroupPod("a", "1");
  p["spec"]["schedulingGates"].push_back({{"name", "other"}});
  PodSetStart s;
  s.node_selector = {{"flavor", "h100"}};
  s.tolerations = Json::parse(R"([{"key": "gpu", "operator": "Exists"}])");
  Json u = UngatedPod(p, s);
  ASSERT_EQ(u["spec"]["schedulingGates"].size(), 1u);
  EXPECT_EQ(u["spec"]["schedulingGates"][0]["name"], "other");
  EXPECT_EQ(u["spec"]["nodeSelector"]["own"], "x");
  EXPECT_EQ(u["spec"]["nodeSelector"]["flavor"], "h100");
  EXPECT_EQ(u["spec"]["tolerations"].size(), 1u);
  Json only = UngatedPod(GroupPod("b", "1"), PodSetStart{});
  EXPECT_FALSE(only["spec"].contains("schedulingGates"));
  EXPECT_FALSE(IsGatedByKueue(only));
}

// kube's update rules for gated pods: gates can only go away; while gated, nodeSelector may
// only gain entries; everything else stays immutable.
TEST(PodGroups, ApiServerGatedPodUpdateRules) {
  testing::TestEnv env;
  ASSERT_TRUE(env.ok());
  client::ResourceInfo pods = env.Resource("v1", "Pod");
  Json pod = Json::parse(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "gated"},
    "spec": {"nodeSelector": {"own": "x"},
             "schedulingGates": [{"name": "g1"}, {"name": "g2"}],
             "containers": [{"name": "c", "image": "i"}]}})");
  auto created = env.client()->Create(pods, "default", pod);
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto replace = [&](const std::function<void(Json&)>& edit) {
    Json cur = *env.client()->Get(pods, "default", "gated");
    edit(cur);
    return env.client()->Replace(pods, "default", "gated", cur);
  };
  auto added_gate =
      replace([](Json& p) { p["spec"]["schedulingGates"].push_back({{"name", "x"}}); });
  ASSERT_FALSE(added_gate.ok());
  EXPECT_NE(added_gate.status().message().find(
                "only deletion is allowed, but found new scheduling gate 'x'"),
            std::string::npos)
      << added_gate.status().message();
  auto changed_sel = replace([](Json& p) { p["spec"]["nodeSelector"]["own"] = "y"; });
  ASSERT_FALSE(changed_sel.ok());
  EXPECT_NE(changed_sel.status().message().find("only additions to spec.nodeSelector"),
            std::string::npos)
      << changed_sel.status().message();
  auto changed_image_name = replace([](Json& p) { p["spec"]["containers"][0]["name"] = "d"; });
  EXPECT_FALSE(changed_image_name.ok());

  auto ok = replace([](Json& p) {
    p["spec"]["schedulingGates"] = Json::array({{{"name", "g2"}}});
    p["spec"]["nodeSelector"]["flavor"] = "h100";
    p["spec"]["tolerations"] = Json::parse(R"([{"key": "gpu", "operator": "Exists"}])");
  });
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  auto ungated = replace([](Json& p) { p["spec"].erase("schedulingGates"); });
  ASSERT_TRUE(ungated.ok()) << ungated.status().message();
  // No longer gated: nodeSelector is immutable again.
  auto late = replace([](Json& p) { p["spec"]["nodeSelector"]["more"] = "z"; });
  EXPECT_FALSE(late.ok());
  Json final_pod = *env.client()->Get(pods, "default", "gated");
  EXPECT_EQ(final_pod["spec"]["nodeSelector"]["flavor"], "h100");
  EXPECT_FALSE(final_pod["spec"].contains("schedulingGates"));
}

}  // namespace
}  // namespace skiff::controllers::kueue
