// Job integrations: pod sets per kind, workload names, start/stop edits, finished detection.
#include "controllers/kueue/jobs.h"

#include <gtest/gtest.h>

namespace skiff::controllers::kueue {
namespace {

const JobKind& Kind(const std::string& k) {
  for (const JobKind& j : ManagedKinds()) {
    if (j.kind == k) return j;
  }
  return ManagedKinds()[0];
}

Json BatchJob() {
  return Json::parse(R"({"apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "sample", "namespace": "ns", "uid": "u-1",
                 "labels": {"kueue.x-k8s.io/queue-name": "q"},
                 "annotations": {"kueue.x-k8s.io/job-min-parallelism": "2"}},
    "spec": {"parallelism": 4, "completions": 8, "suspend": true,
             "template": {"spec": {"nodeSelector": {"own": "x"},
               "containers": [{"name": "c", "image": "i",
                 "resources": {"requests": {"nvidia.com/gpu": 1}}}]}}}})");
}

TEST(Jobs, WorkloadNameIsPrefixNameAndHash) {
  std::string n = WorkloadName(Kind("Job"), "sample", "u-1");
  EXPECT_EQ(n.rfind("job-sample-", 0), 0u);
  EXPECT_EQ(n.size(), std::string("job-sample-").size() + 5);
  EXPECT_NE(n, WorkloadName(Kind("Job"), "sample", "u-2"));
  EXPECT_LE(WorkloadName(Kind("Job"), std::string(300, 'a'), "u").size(), 253u);
}

TEST(Jobs, BatchJobPodSetAndMinCount) {
  auto ps = PodSetsOf(Kind("Job"), BatchJob(), nullptr);
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0]["name"], "main");
  EXPECT_EQ((*ps)[0]["count"], 4);
  EXPECT_EQ((*ps)[0]["minCount"], 2);
  EXPECT_TRUE(IsSuspended(Kind("Job"), BatchJob()));
}

TEST(Jobs, StartInjectsFlavorAndStopRestores) {
  Json job = BatchJob();
  auto ps = PodSetsOf(Kind("Job"), job, nullptr);
  PodSetStart s;
  s.name = "main";
  s.node_selector = {{"cloud.google.com/gke-accelerator", "h100"}};
  s.tolerations = Json::parse(R"([{"key": "gpu", "operator": "Exists"}])");
  s.count = 3;
  Json started = StartedJob(Kind("Job"), job, {s});
  EXPECT_FALSE(IsSuspended(Kind("Job"), started));
  const Json& pspec = started["spec"]["template"]["spec"];
  EXPECT_EQ(pspec["nodeSelector"]["own"], "x");
  EXPECT_EQ(pspec["nodeSelector"]["cloud.google.com/gke-accelerator"], "h100");
  EXPECT_EQ(pspec["tolerations"].size(), 1u);
  EXPECT_EQ(started["spec"]["parallelism"], 3);  // partial admission
  Json stopped = StoppedJob(Kind("Job"), started, *ps);
  EXPECT_TRUE(IsSuspended(Kind("Job"), stopped));
  EXPECT_EQ(stopped["spec"]["template"]["spec"]["nodeSelector"], Json({{"own", "x"}}));
  EXPECT_FALSE(stopped["spec"]["template"]["spec"].contains("tolerations"));
  EXPECT_EQ(stopped["spec"]["parallelism"], 4);
}

TEST(Jobs, TrainJobPodSetsComeFromItsJobSetAndStartIsARuntimePatch) {
  Json tj = Json::parse(R"({"metadata": {"name": "t", "namespace": "ns", "uid": "u"},
    "spec": {"suspend": true, "runtimeRef": {"name": "torch-distributed"}}})");
  EXPECT_EQ(PodSetsOf(Kind("TrainJob"), tj, nullptr).status().code(), StatusCode::kNotFound);
  Json js = Json::parse(R"({"spec": {"replicatedJobs": [{"name": "node", "replicas": 1,
    "template": {"spec": {"parallelism": 2, "completions": 2,
      "template": {"spec": {"containers": [{"name": "node", "image": "x"}]}}}}}]}})");
  auto ps = PodSetsOf(Kind("TrainJob"), tj, &js);
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ((*ps)[0]["name"], "node");
  EXPECT_EQ((*ps)[0]["count"], 2);
  PodSetStart s;
  s.name = "node";
  s.node_selector = {{"pool", "gpu"}};
  Json started = StartedJob(Kind("TrainJob"), tj, {s});
  EXPECT_EQ(started["spec"]["suspend"], false);
  const Json& patch = started["spec"]["runtimePatches"][0];
  EXPECT_EQ(patch["manager"], "kueue.x-k8s.io/manager");
  EXPECT_EQ(patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]["template"]
                 ["spec"]["template"]["spec"]["nodeSelector"]["pool"],
            "gpu");
  Json stopped = StoppedJob(Kind("TrainJob"), started, *ps);
  EXPECT_EQ(stopped["spec"]["suspend"], true);
  EXPECT_FALSE(stopped["spec"].contains("runtimePatches"));
}

TEST(Jobs, PyTorchJobPodSetsPerReplicaType) {
  Json pj = Json::parse(R"({"spec": {"runPolicy": {"suspend": true}, "pytorchReplicaSpecs": {
    "Master": {"replicas": 1, "template": {"spec": {"containers": [{"name": "pytorch"}]}}},
    "Worker": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pytorch"}]}}}}}})");
  auto ps = PodSetsOf(Kind("PyTorchJob"), pj, nullptr);
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[1]["name"], "worker");
  EXPECT_EQ((*ps)[1]["count"], 3);
  EXPECT_TRUE(IsSuspended(Kind("PyTorchJob"), pj));
  Json started = StartedJob(Kind("PyTorchJob"), pj, {});
  EXPECT_FALSE(IsSuspended(Kind("PyTorchJob"), started));
}

TEST(Jobs, FinishedFromConditions) {
  Json job = BatchJob();
  EXPECT_FALSE(FinishedOf(Kind("Job"), job).has_value());
  job["status"]["conditions"] = Json::parse(R"([{"type": "Complete", "status": "True",
                                                 "message": "done"}])");
  auto f = FinishedOf(Kind("Job"), job);
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->succeeded);
  Json tj = Json::parse(R"({"status": {"conditions": [{"type": "Failed", "status": "True",
                                                        "message": "boom"}]}})");
  auto g = FinishedOf(Kind("TrainJob"), tj);
  ASSERT_TRUE(g.has_value());
  EXPECT_FALSE(g->succeeded);
  EXPECT_EQ(g->message, "boom");
}

}  // namespace
}  // namespace skiff::controllers::kueue
