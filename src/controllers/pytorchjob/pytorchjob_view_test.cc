// Tests for PyTorchJob parsing: webhook defaults, validation, names, pod and service views.
#include "controllers/pytorchjob/pytorchjob_view.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::pytorchjob {
namespace {

Json Job(const std::string& specs) {
  return Json::parse(R"({"metadata": {"name": "pt", "namespace": "ns", "uid": "u1"},
                         "spec": {"pytorchReplicaSpecs": )" +
                     specs + "}}");
}

const char* kTwo = R"({
  "Worker": {"replicas": 3, "restartPolicy": "ExitCode", "template": {"spec": {"containers": [
    {"name": "pytorch", "image": "img", "ports": [{"name": "pytorchjob-port", "containerPort": 8080}]}]}}},
  "Master": {"template": {"spec": {"containers": [{"name": "pytorch", "image": "img"}]}}}})";

TEST(PyTorchJobView, AppliesWebhookDefaults) {
  PyTorchJobView v = ParsePyTorchJob(Job(kTwo));
  EXPECT_TRUE(v.validation_errors.empty()) << v.validation_errors[0];
  ASSERT_EQ(v.replicas.size(), 2u);
  EXPECT_EQ(v.replicas[0].type, ReplicaType::kMaster);  // Master first, whatever the JSON order
  EXPECT_EQ(v.replicas[0].replicas, 1);
  EXPECT_EQ(v.replicas[0].restart_policy, RestartPolicy::kOnFailure);
  EXPECT_EQ(v.replicas[0].port, kDefaultPort);
  EXPECT_EQ(v.replicas[1].replicas, 3);
  EXPECT_EQ(v.replicas[1].restart_policy, RestartPolicy::kExitCode);
  EXPECT_EQ(v.replicas[1].port, 8080);
  EXPECT_EQ(v.TotalReplicas(), 4);
  EXPECT_EQ(v.nproc_per_node, "auto");
  EXPECT_FALSE(v.nproc_per_node_set);
  EXPECT_EQ(v.clean_pod_policy, CleanPodPolicy::kNone);
  EXPECT_FALSE(v.suspend);
  EXPECT_FALSE(v.backoff_limit.has_value());
}

TEST(PyTorchJobView, ReplicaKeysInAnyCase) {
  PyTorchJobView v = ParsePyTorchJob(Job(R"({"master": {"template": {"spec": {"containers": [
      {"name": "pytorch", "image": "img"}]}}}})"));
  ASSERT_EQ(v.replicas.size(), 1u);
  EXPECT_EQ(v.replicas[0].type, ReplicaType::kMaster);
  EXPECT_EQ(v.replicas[0].key, "master");
  Json tmpl = DefaultedTemplate(Job(R"({"master": {"template": {"spec": {"containers": [
      {"name": "pytorch", "image": "img"}]}}}})"),
                                v.replicas[0]);
  EXPECT_EQ(tmpl["spec"]["containers"][0]["ports"],
            Json::parse(R"([{"name": "pytorchjob-port", "containerPort": 23456}])"));
}

TEST(PyTorchJobView, RunPolicyAndElastic) {
  Json job = Job(kTwo);
  job["spec"]["runPolicy"] = {{"cleanPodPolicy", "All"},
                              {"backoffLimit", 2},
                              {"activeDeadlineSeconds", 60},
                              {"ttlSecondsAfterFinished", 5},
                              {"suspend", true},
                              {"managedBy", "kueue.x-k8s.io/multikueue"}};
  job["spec"]["nprocPerNode"] = "4";
  job["spec"]["elasticPolicy"] = {{"maxReplicas", 5}};
  PyTorchJobView v = ParsePyTorchJob(job);
  EXPECT_EQ(v.clean_pod_policy, CleanPodPolicy::kAll);
  EXPECT_EQ(v.backoff_limit, 2);
  EXPECT_EQ(v.active_deadline_seconds, 60);
  EXPECT_EQ(v.ttl_seconds_after_finished, 5);
  EXPECT_TRUE(v.suspend);
  EXPECT_EQ(v.managed_by, "kueue.x-k8s.io/multikueue");
  EXPECT_EQ(v.nproc_per_node, "4");
  ASSERT_TRUE(v.elastic.has_value());
  EXPECT_EQ(v.elastic->min_replicas, 5);  // the missing bound copies the other
  EXPECT_EQ(v.elastic->max_replicas, 5);

  job["spec"]["elasticPolicy"] = Json::object();
  v = ParsePyTorchJob(job);
  EXPECT_EQ(v.elastic->min_replicas, 3);  // both missing: the Worker replica count
  EXPECT_EQ(v.elastic->max_replicas, 3);
}

TEST(PyTorchJobView, ValidationErrors) {
  // No pytorch container, Master with 2 replicas, an unknown type, a bad restart policy.
  PyTorchJobView v = ParsePyTorchJob(Job(R"({
    "Master": {"replicas": 2, "template": {"spec": {"containers": [{"name": "main", "image": "i"}]}}},
    "Worker": {"restartPolicy": "Sometimes", "template": {"spec": {"containers": [
      {"name": "pytorch", "image": ""}]}}},
    "Launcher": {}})"));
  std::string all;
  for (const std::string& e : v.validation_errors) all += e + "\n";
  EXPECT_NE(all.find("spec.pytorchReplicaSpecs[Master].template.spec.containers: Required value: "
                     "must have at least one container with name pytorch"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.pytorchReplicaSpecs[Master].replicas: Forbidden: must be 1"),
            std::string::npos);
  EXPECT_NE(all.find("spec.pytorchReplicaSpecs[Launcher]: Unsupported value"), std::string::npos);
  EXPECT_NE(all.find("spec.pytorchReplicaSpecs[Worker].restartPolicy: Unsupported value: "
                     "\"Sometimes\""),
            std::string::npos);
  EXPECT_NE(all.find("containers[0].image: Required value"), std::string::npos);

  Json bad_name = Job(kTwo);
  bad_name["metadata"]["name"] = "Bad.Name";
  EXPECT_EQ(ParsePyTorchJob(bad_name).validation_errors.size(), 1u);
  EXPECT_FALSE(ParsePyTorchJob(Job("{}")).validation_errors.empty());
}

TEST(PyTorchJobView, NamesAndExitCodes) {
  EXPECT_EQ(ReplicaName("pt", ReplicaType::kMaster, 0), "pt-master-0");
  EXPECT_EQ(ReplicaName("pt", ReplicaType::kWorker, 7), "pt-worker-7");
  for (int32_t code : {130, 137, 138, 143}) EXPECT_TRUE(IsRetryableExitCode(code)) << code;
  for (int32_t code : {0, 1, 2, 126, 127, 128, 139, 255, kNoExitCode}) {
    EXPECT_FALSE(IsRetryableExitCode(code)) << code;
  }
}

TEST(PyTorchJobView, ParsesPodsAndServices) {
  PodView p = ParsePod(Json::parse(R"({
    "metadata": {"name": "pt-worker-1", "uid": "p1", "deletionTimestamp": "2025-01-01T00:00:00Z",
                 "labels": {"training.kubeflow.org/replica-type": "worker",
                            "training.kubeflow.org/replica-index": "1"}},
    "status": {"phase": "Failed",
      "initContainerStatuses": [{"name": "init", "restartCount": 1}],
      "containerStatuses": [
        {"name": "sidecar", "restartCount": 2, "state": {"terminated": {"exitCode": 9}}},
        {"name": "pytorch", "restartCount": 3, "state": {"terminated": {"exitCode": 137}}}]}})"));
  EXPECT_EQ(p.name, "pt-worker-1");
  EXPECT_EQ(p.replica_type, "worker");
  EXPECT_EQ(p.index, 1);
  EXPECT_TRUE(p.deleting);
  EXPECT_FALSE(p.Active());
  EXPECT_EQ(p.exit_code, 137);  // the pytorch container's, not the sidecar's
  EXPECT_EQ(p.restart_count, 6);
  PodView bad = ParsePod(
      Json::parse(R"({"metadata": {"labels": {"training.kubeflow.org/replica-index": "x1"}}})"));
  EXPECT_EQ(bad.index, -1);
  EXPECT_EQ(bad.exit_code, kNoExitCode);
  ServiceView s = ParseService(Json::parse(
      R"({"metadata": {"name": "pt-master-0", "labels": {
          "training.kubeflow.org/replica-type": "master", "training.kubeflow.org/replica-index": "0"}}})"));
  EXPECT_EQ(s.replica_type, "master");
  EXPECT_EQ(s.index, 0);
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
