// BuildJobSet: the seed's TrainJob on the built-in torch runtime, patches, counts, env, errors.
#include "controllers/trainjob/build.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/trainjob/builtin_runtimes.h"

namespace skiff::controllers::trainjob {
namespace {

Json Runtime(const std::string& name) {
  for (Json& rt : BuiltinRuntimes()) {
    if (rt["metadata"]["name"] == name) return rt;
  }
  return Json();
}

Json SeedTrainJob() {
  return Json::parse(R"({
    "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
    "metadata": {"name": "fraud-model-train", "namespace": "ml-prod", "uid": "u1"},
    "spec": {"runtimeRef": {"name": "torch-distributed"},
             "trainer": {"numNodes": 2, "resourcesPerNode": {"requests": {"nvidia.com/gpu": 2}}}}})");
}

const Json* Env(const Json& container, const std::string& name) {
  for (const Json& e : container["env"]) {
    if (e["name"] == name) return &e;
  }
  return nullptr;
}

const Json& NodeContainer(const Json& js) {
  return js["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0];
}

TEST(BuiltinRuntimes, UpstreamNamesAndLabels) {
  Json torch = Runtime("torch-distributed");
  ASSERT_TRUE(torch.is_object());
  EXPECT_EQ(torch["metadata"]["labels"]["trainer.kubeflow.org/framework"], "torch");
  EXPECT_TRUE(Runtime("deepspeed-distributed").is_object());
  EXPECT_TRUE(Runtime("mpi-distributed").is_object());
  // This node cannot run MPI runtimes: the annotation says so.
  EXPECT_NE(Runtime("mpi-distributed")["metadata"]["annotations"].value(kUnavailableAnnotation, ""),
            "");
}

TEST(BuildJobSet, SeedTrainJobOnTorchRuntime) {
  auto r = BuildJobSet(SeedTrainJob(), Runtime("torch-distributed"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& js = r->jobset;
  EXPECT_EQ(js["metadata"]["name"], "fraud-model-train");
  EXPECT_EQ(js["metadata"]["ownerReferences"][0]["kind"], "TrainJob");
  EXPECT_EQ(js["spec"]["suspend"], false);
  const Json& rj = js["spec"]["replicatedJobs"][0];
  EXPECT_EQ(rj["replicas"], 1);
  EXPECT_EQ(rj["template"]["spec"]["parallelism"], 2);
  EXPECT_EQ(rj["template"]["spec"]["completions"], 2);
  const Json& node = NodeContainer(js);
  EXPECT_EQ(node["resources"]["requests"]["nvidia.com/gpu"], 2);
  EXPECT_EQ((*Env(node, "PET_NNODES"))["value"], "2");
  EXPECT_EQ((*Env(node, "PET_NPROC_PER_NODE"))["value"], "auto");
  EXPECT_EQ((*Env(node, "PET_MASTER_ADDR"))["value"], "fraud-model-train-node-0-0.fraud-model-train");
  EXPECT_EQ((*Env(node, "PET_MASTER_PORT"))["value"], "29500");
  EXPECT_EQ((*Env(node, "PET_NODE_RANK"))["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  EXPECT_EQ(node["ports"][0]["containerPort"], 29500);
}

TEST(BuildJobSet, TrainerOverridesAndUserEnvWin) {
  Json tj = SeedTrainJob();
  tj["spec"]["trainer"] = Json::parse(R"({"numNodes": 3, "image": "python:3.11",
      "command": ["torchrun", "train.py"], "args": ["--lr", "0.1"], "numProcPerNode": 4,
      "env": [{"name": "RANK", "value": "7"}, {"name": "FOO", "value": "bar"}],
      "resourcesPerNode": {"limits": {"cpu": "3"}}})");
  tj["spec"]["suspend"] = true;
  auto r = BuildJobSet(tj, Runtime("torch-distributed"));
  ASSERT_TRUE(r.ok());
  const Json& node = NodeContainer(r->jobset);
  EXPECT_EQ(node["image"], "python:3.11");
  EXPECT_EQ(node["command"], Json::parse(R"(["torchrun","train.py"])"));
  EXPECT_EQ(node["args"], Json::parse(R"(["--lr","0.1"])"));
  EXPECT_EQ((*Env(node, "PET_NPROC_PER_NODE"))["value"], "4");
  EXPECT_EQ((*Env(node, "RANK"))["value"], "7");
  EXPECT_EQ((*Env(node, "FOO"))["value"], "bar");
  EXPECT_EQ(r->jobset["spec"]["suspend"], true);
  EXPECT_EQ(r->num_nodes, 3);
}

TEST(BuildJobSet, NprocFromCpuWithoutGpus) {
  Json spec = Json::parse(R"({"trainer": {}})");
  EXPECT_EQ(TorchNprocPerNode(spec, Json::parse(R"({"requests": {"cpu": "2500m"}})")), "3");
  EXPECT_EQ(TorchNprocPerNode(spec, Json::parse(R"({"limits": {"cpu": 4}})")), "4");
  EXPECT_EQ(TorchNprocPerNode(spec, Json::object()), "1");
  EXPECT_EQ(TorchNprocPerNode(spec, Json::parse(R"({"limits": {"nvidia.com/gpu": 1}})")), "auto");
}

TEST(BuildJobSet, RuntimePatchesMergeByNameAndRejectUnknownTargets) {
  Json tj = SeedTrainJob();
  tj["spec"]["runtimePatches"] = Json::parse(R"([{"manager": "kueue.x-k8s.io/manager",
    "trainingRuntimeSpec": {"template": {"metadata": {"labels": {"team": "a"}},
      "spec": {"replicatedJobs": [{"name": "node", "template": {"spec": {"template": {"spec": {
        "nodeSelector": {"pool": "gpu"},
        "containers": [{"name": "node", "env": [{"name": "X", "value": "1"}]}]}}}}}]}}}}])");
  auto r = BuildJobSet(tj, Runtime("torch-distributed"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& pod = r->jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["nodeSelector"]["pool"], "gpu");
  EXPECT_EQ(pod["containers"].size(), 1u);
  EXPECT_EQ(pod["containers"][0]["image"], "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime");
  EXPECT_NE(Env(pod["containers"][0], "X"), nullptr);
  EXPECT_EQ(r->jobset["metadata"]["labels"]["team"], "a");

  tj["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    ["name"] = "workers";
  auto bad = BuildJobSet(tj, Runtime("torch-distributed"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("replicatedJob \"workers\" does not exist"),
            std::string::npos);
}

TEST(BuildJobSet, MpiRuntimeIsRefusedWithAClearMessage) {
  auto r = BuildJobSet(SeedTrainJob(), Runtime("deepspeed-distributed"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mpi ML policy is not supported"), std::string::npos);
}

TEST(BuildJobSet, InitializerEnvGoesToInitializerContainers) {
  Json rt = Runtime("torch-distributed");
  Json init = Json::parse(R"({"name": "dataset-initializer",
    "template": {"metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step":
      "dataset-initializer"}}, "spec": {"template": {"spec": {"containers": [
        {"name": "dataset-initializer", "image": "ghcr.io/kubeflow/trainer/dataset-initializer"}]}}}}})");
  rt["spec"]["template"]["spec"]["replicatedJobs"].insert(
      rt["spec"]["template"]["spec"]["replicatedJobs"].begin(), init);
  Json tj = SeedTrainJob();
  tj["spec"]["initializer"] = Json::parse(R"({"dataset": {"storageUri": "file:///data/iris",
      "secretRef": {"name": "creds"}}})");
  auto r = BuildJobSet(tj, rt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& c = r->jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
                          ["containers"][0];
  EXPECT_EQ((*Env(c, "STORAGE_URI"))["value"], "file:///data/iris");
  EXPECT_EQ(c["envFrom"][0]["secretRef"]["name"], "creds");
  EXPECT_EQ(r->trainer_job, "node");
  EXPECT_EQ(r->jobset["spec"]["replicatedJobs"][1]["template"]["spec"]["parallelism"], 2);
}

TEST(BuildJobSet, SkiffAddsInitializerJobsTheRuntimeLacks) {
  Json tj = SeedTrainJob();
  tj["spec"]["initializer"] = Json::parse(R"({"dataset": {"storageUri": "pvc://data/iris"},
      "model": {"storageUri": "http://127.0.0.1:8000/model.joblib"}})");
  auto r = BuildJobSet(tj, Runtime("torch-distributed"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& rjobs = r->jobset["spec"]["replicatedJobs"];
  ASSERT_EQ(rjobs.size(), 3u);
  EXPECT_EQ(rjobs[0]["name"], "dataset-initializer");
  EXPECT_EQ(rjobs[1]["name"], "model-initializer");
  const Json& ds = rjobs[0]["template"]["spec"]["template"]["spec"];
  EXPECT_EQ((*Env(ds["containers"][0], "STORAGE_URI"))["value"], "pvc://data/iris");
  EXPECT_EQ((*Env(ds["containers"][0], "OUTPUT_PATH"))["value"], "/workspace/dataset");
  EXPECT_EQ(ds["volumes"][1]["persistentVolumeClaim"]["claimName"], "data");
  const Json& node = rjobs[2];
  EXPECT_EQ(node["dependsOn"].size(), 2u);
  EXPECT_EQ(node["template"]["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]
                ["claimName"],
            "fraud-model-train-initializer");
  EXPECT_EQ(node["template"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]
                ["mountPath"],
            "/workspace");

  tj["spec"]["initializer"] = Json::parse(R"({"model": {"storageUri": "hf://meta/llama"}})");
  auto hub = BuildJobSet(tj, Runtime("torch-distributed"));
  ASSERT_FALSE(hub.ok());
  EXPECT_NE(hub.status().message().find("hf:// scheme needs a model hub"), std::string::npos);
}

TEST(MergeByName, NullDeletesAndScalarsReplace) {
  Json doc = Json::parse(R"({"a": 1, "b": {"c": 2}, "l": [1, 2]})");
  MergeByName(doc, Json::parse(R"({"a": null, "b": {"d": 3}, "l": [3]})"));
  EXPECT_EQ(doc, Json::parse(R"({"b": {"c": 2, "d": 3}, "l": [3]})"));
}

}  // namespace
}  // namespace skiff::controllers::trainjob
