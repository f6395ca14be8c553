// Tests for PyTorchJob Pod and Service rendering.
#include "controllers/pytorchjob/children.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::pytorchjob {
namespace {

Json Job() {
  return Json::parse(R"({"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "pt", "namespace": "ns", "uid": "u-pt"},
    "spec": {"pytorchReplicaSpecs": {
      "Master": {"restartPolicy": "ExitCode", "template": {
        "metadata": {"labels": {"app": "train"}, "annotations": {"a": "b"}},
        "spec": {"restartPolicy": "Always", "containers": [
          {"name": "pytorch", "image": "pytorch/pytorch:2.1", "env": [{"name": "X", "value": "1"}]},
          {"name": "sidecar", "image": "busybox"}]}}},
      "Worker": {"replicas": 2, "template": {"spec": {"containers": [
          {"name": "pytorch", "image": "pytorch/pytorch:2.1",
           "ports": [{"name": "metrics", "containerPort": 9090}]}]}}}}}})");
}

std::string Env(const Json& container, const std::string& name) {
  std::string value = "<unset>";
  for (const Json& e : container["env"]) {
    if (e["name"] == name) value = e["value"];  // the last one wins, as in the kubelet
  }
  return value;
}

TEST(Children, MasterPod) {
  Json job = Job();
  PyTorchJobView view = ParsePyTorchJob(job);
  Json pod = RenderPod(job, view, *view.Find(ReplicaType::kMaster), 0);
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_EQ(pod["metadata"]["name"], "pt-master-0");
  EXPECT_EQ(pod["metadata"]["namespace"], "ns");
  EXPECT_EQ(pod["metadata"]["annotations"]["a"], "b");
  const Json& labels = pod["metadata"]["labels"];
  EXPECT_EQ(labels, Json::parse(R"({"app": "train",
      "training.kubeflow.org/job-name": "pt",
      "training.kubeflow.org/operator-name": "pytorchjob-controller",
      "training.kubeflow.org/replica-type": "master",
      "training.kubeflow.org/replica-index": "0",
      "training.kubeflow.org/job-role": "master"})"));
  const Json& ref = pod["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["apiVersion"], "kubeflow.org/v1");
  EXPECT_EQ(ref["kind"], "PyTorchJob");
  EXPECT_EQ(ref["uid"], "u-pt");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");  // ExitCode: the controller retries
  const Json& pytorch = pod["spec"]["containers"][0];
  EXPECT_EQ(pytorch["ports"],
            Json::parse(R"([{"name": "pytorchjob-port", "containerPort": 23456}])"));
  EXPECT_EQ(pytorch["env"][0], Json::parse(R"({"name": "X", "value": "1"})"));  // user env first
  EXPECT_EQ(Env(pytorch, "MASTER_ADDR"), "pt-master-0");
  EXPECT_EQ(Env(pytorch, "MASTER_PORT"), "23456");
  EXPECT_EQ(Env(pytorch, "WORLD_SIZE"), "3");
  EXPECT_EQ(Env(pytorch, "RANK"), "0");
  // Every container gets the env, as upstream's setPodEnv does.
  EXPECT_EQ(Env(pod["spec"]["containers"][1], "RANK"), "0");
  EXPECT_FALSE(pod["spec"]["containers"][1].contains("ports"));
}

TEST(Children, WorkerPodAndService) {
  Json job = Job();
  PyTorchJobView view = ParsePyTorchJob(job);
  const ReplicaSpec& worker = *view.Find(ReplicaType::kWorker);
  Json pod = RenderPod(job, view, worker, 1);
  EXPECT_EQ(pod["metadata"]["name"], "pt-worker-1");
  EXPECT_FALSE(pod["metadata"]["labels"].contains("training.kubeflow.org/job-role"));
  EXPECT_EQ(pod["metadata"]["labels"]["training.kubeflow.org/replica-index"], "1");
  EXPECT_EQ(pod["spec"]["restartPolicy"], "OnFailure");
  EXPECT_EQ(Env(pod["spec"]["containers"][0], "RANK"), "2");
  EXPECT_EQ(pod["spec"]["containers"][0]["ports"].size(), 2u);

  Json svc = RenderService(job, view, worker, 1);
  EXPECT_EQ(svc["metadata"]["name"], "pt-worker-1");
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  EXPECT_EQ(svc["spec"]["selector"], Json::parse(R"({
      "training.kubeflow.org/job-name": "pt",
      "training.kubeflow.org/operator-name": "pytorchjob-controller",
      "training.kubeflow.org/replica-type": "worker",
      "training.kubeflow.org/replica-index": "1"})"));
  EXPECT_EQ(svc["metadata"]["labels"], svc["spec"]["selector"]);
  EXPECT_EQ(svc["spec"]["ports"], Json::parse(R"([{"name": "metrics", "port": 9090},
      {"name": "pytorchjob-port", "port": 23456}])"));
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["name"], "pt");
}

TEST(Children, Selector) {
  EXPECT_EQ(FormatSelector(ReplicaSelectorLabels("pt", ReplicaType::kMaster)),
            "training.kubeflow.org/job-name=pt,training.kubeflow.org/operator-name="
            "pytorchjob-controller,training.kubeflow.org/replica-type=master");
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
