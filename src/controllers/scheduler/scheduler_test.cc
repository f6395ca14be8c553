// The scheduler's filters and messages.
#include "controllers/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::scheduler {
namespace {

Json Node(const std::string& gpus = "0") {
  return ParseJson(R"({"metadata":{"name":"n","labels":{"zone":"a"}},
    "status":{"allocatable":{"cpu":"4","memory":"8Gi","pods":"3","nvidia.com/gpu":")" + gpus +
                   R"("},"conditions":[{"type":"Ready","status":"True"}]}})")
      .value();
}

Json Pod(const std::string& extra_spec = "") {
  return ParseJson(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
    "resources":{"requests":{"cpu":"1"},"limits":{"nvidia.com/gpu":"2"}}}])" + extra_spec + "}}")
      .value();
}

TEST(Scheduler, FitsWhenCapacityAllows) {
  EXPECT_TRUE(FitErrors(Pod(), Node("2"), {}, 0).empty());
  EXPECT_EQ(FitErrors(Pod(), Node("1"), {}, 0), std::vector<std::string>{"Insufficient nvidia.com/gpu"});
  // Room taken by pods already on the node counts.
  ResourceList used = {{"cpu", 3500}, {"nvidia.com/gpu", 0}};
  EXPECT_EQ(FitErrors(Pod(), Node("2"), used, 0), std::vector<std::string>{"Insufficient cpu"});
  EXPECT_EQ(FitErrors(Pod(), Node("2"), {}, 3), std::vector<std::string>{"Too many pods"});
}

TEST(Scheduler, SelectorsTaintsAndReadiness) {
  EXPECT_TRUE(FitErrors(Pod(R"(,"nodeSelector":{"zone":"a"})"), Node("2"), {}, 0).empty());
  EXPECT_EQ(FitErrors(Pod(R"(,"nodeSelector":{"zone":"b"})"), Node("2"), {}, 0),
            std::vector<std::string>{"node(s) didn't match Pod's node affinity/selector"});
  std::string affinity = R"(,"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
    {"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["b","c"]}]},
                          {"matchExpressions":[{"key":"zone","operator":"Exists"}]}]}}})";
  EXPECT_TRUE(FitErrors(Pod(affinity), Node("2"), {}, 0).empty()) << "terms are ORed";

  Json tainted = Node("2");
  tainted["spec"]["taints"] = ParseJson(R"([{"key":"gpu","value":"true","effect":"NoSchedule"}])").value();
  EXPECT_EQ(FitErrors(Pod(), tainted, {}, 0),
            std::vector<std::string>{"node(s) had untolerated taint {gpu: true}"});
  EXPECT_TRUE(FitErrors(Pod(R"(,"tolerations":[{"key":"gpu","operator":"Exists"}])"), tainted, {}, 0).empty());
  EXPECT_TRUE(FitErrors(Pod(R"(,"tolerations":[{"key":"gpu","value":"true","effect":"NoSchedule"}])"),
                        tainted, {}, 0)
                  .empty());
  EXPECT_FALSE(FitErrors(Pod(R"(,"tolerations":[{"key":"gpu","value":"false"}])"), tainted, {}, 0).empty());

  Json cordoned = Node("2");
  cordoned["spec"]["unschedulable"] = true;
  EXPECT_EQ(FitErrors(Pod(), cordoned, {}, 0), std::vector<std::string>{"node(s) were unschedulable"});
  Json down = Node("2");
  down["status"]["conditions"][0]["status"] = "False";
  EXPECT_EQ(FitErrors(Pod(), down, {}, 0), std::vector<std::string>{"node(s) were not ready"});
}

TEST(Scheduler, MessagesReadLikeKube) {
  EXPECT_EQ(UnschedulableMessage(1, {{"Insufficient nvidia.com/gpu", 1}}),
            "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
  EXPECT_EQ(UnschedulableMessage(3, {{"node(s) were unschedulable", 2}, {"Insufficient cpu", 1}}),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable.");
  EXPECT_EQ(UnschedulableMessage(0, {}), "no nodes available to schedule pods");
}

TEST(Scheduler, ScorePrefersEmptierNodes) {
  EXPECT_GT(Score(Pod(), Node("2"), {}), Score(Pod(), Node("2"), {{"cpu", 2000}}));
}

}  // namespace
}  // namespace skiff::controllers::scheduler
