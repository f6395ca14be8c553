// Tests for the PyTorchJob pod environment (upstream envvar.go / master.go / elastic.go).
#include "controllers/pytorchjob/env.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::pytorchjob {
namespace {

PyTorchJobView TwoNode() {
  return ParsePyTorchJob(Json::parse(R"({"metadata": {"name": "pt", "namespace": "ns"},
    "spec": {"pytorchReplicaSpecs": {
      "Master": {"template": {"spec": {"containers": [{"name": "pytorch", "image": "i"}]}}},
      "Worker": {"replicas": 2, "template": {"spec": {"containers": [{"name": "pytorch",
        "image": "i", "ports": [{"name": "pytorchjob-port", "containerPort": 9999}]}]}}}}}})"));
}

TEST(PodEnv, MasterAndWorkers) {
  PyTorchJobView job = TwoNode();
  std::vector<EnvVar> master = PodEnv(job, ReplicaType::kMaster, 0);
  std::vector<EnvVar> want = {{"PYTHONUNBUFFERED", "0"},
                              {"MASTER_PORT", "23456"},
                              {"PET_MASTER_PORT", "23456"},
                              {"MASTER_ADDR", "pt-master-0"},
                              {"PET_MASTER_ADDR", "pt-master-0"},
                              {"WORLD_SIZE", "3"},
                              {"RANK", "0"},
                              {"PET_NPROC_PER_NODE", "auto"},
                              {"PET_NODE_RANK", "0"},
                              {"PET_NNODES", "3"}};
  EXPECT_EQ(master, want);
  std::vector<EnvVar> worker1 = PodEnv(job, ReplicaType::kWorker, 1);
  want[6] = {"RANK", "2"};  // worker i has rank i+1
  want[8] = {"PET_NODE_RANK", "2"};
  EXPECT_EQ(worker1, want);  // MASTER_PORT is the Master's port, not the Worker's 9999
}

TEST(PodEnv, NumericNprocScalesWorldSize) {
  PyTorchJobView job = TwoNode();
  job.nproc_per_node = "4";
  EXPECT_EQ(NprocPerNodeInt(job), 4);
  std::vector<EnvVar> env = PodEnv(job, ReplicaType::kWorker, 0);
  EXPECT_EQ(env[5], (EnvVar{"WORLD_SIZE", "12"}));
  EXPECT_EQ(env[7], (EnvVar{"PET_NPROC_PER_NODE", "4"}));
  for (const char* s : {"auto", "cpu", "gpu", "", "4x"}) {
    job.nproc_per_node = s;
    EXPECT_EQ(NprocPerNodeInt(job), 1) << s;
  }
}

TEST(PodEnv, ElasticWithoutMaster) {
  PyTorchJobView job = ParsePyTorchJob(Json::parse(R"({"metadata": {"name": "el"},
    "spec": {"elasticPolicy": {"minReplicas": 1, "maxReplicas": 3, "maxRestarts": 2,
                               "rdzvId": "abc", "standalone": true,
                               "rdzvConf": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]},
             "pytorchReplicaSpecs": {"Worker": {"replicas": 2, "template": {"spec": {
               "containers": [{"name": "pytorch", "image": "i"}]}}}}}})"));
  std::vector<EnvVar> want = {
      {"PYTHONUNBUFFERED", "0"},    {"PET_RDZV_ENDPOINT", "el-worker-0:23456"},
      {"PET_RDZV_BACKEND", "c10d"}, {"PET_NNODES", "1:3"},
      {"PET_MAX_RESTARTS", "2"},    {"PET_RDZV_ID", "abc"},
      {"PET_RDZV_CONF", "a=1,b=2"}, {"PET_STANDALONE", ""}};
  EXPECT_EQ(PodEnv(job, ReplicaType::kWorker, 1), want);
  job.elastic->rdzv_host = "etcd";
  job.elastic->rdzv_port = 2379;
  job.elastic->rdzv_backend = "etcd-v2";
  std::vector<EnvVar> env = PodEnv(job, ReplicaType::kWorker, 0);
  EXPECT_EQ(env[1], (EnvVar{"PET_RDZV_ENDPOINT", "etcd:2379"}));
  EXPECT_EQ(env[2], (EnvVar{"PET_RDZV_BACKEND", "etcd-v2"}));
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
