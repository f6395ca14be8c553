// The PyTorchJob controller against a real in-process API server (no node agent: tests move pod
// phases through the pods/status subresource, as the kubelet would).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "controllers/pytorchjob/pytorchjob_controller.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::pytorchjob {
namespace {

using testing::Eventually;
using testing::TestEnv;

constexpr auto kWait = std::chrono::seconds(30);

class PyTorchJobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    jobs_ = env_.Resource("kubeflow.org/v1", "PyTorchJob");
    pods_ = env_.Resource("v1", "Pod");
    services_ = env_.Resource("v1", "Service");
    events_ = env_.Resource("v1", "Event");
    mgr_ = std::make_unique<Manager>(env_.client());
    ASSERT_TRUE(Register(mgr_.get()).ok());
    ASSERT_TRUE(mgr_->Start().ok());
    ASSERT_TRUE(mgr_->WaitForSync(kWait));
  }
  void TearDown() override {
    if (mgr_) mgr_->Stop();
  }

  static Json NewJob(const std::string& name, const std::string& worker_policy = "OnFailure") {
    Json job = Json::parse(R"({"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
      "metadata": {"namespace": "default"},
      "spec": {"pytorchReplicaSpecs": {
        "Master": {"replicas": 1, "template": {"spec": {"containers": [
          {"name": "pytorch", "image": "pytorch/pytorch:2.1", "command": ["python3", "train.py"]}]}}},
        "Worker": {"replicas": 2, "template": {"spec": {"containers": [
          {"name": "pytorch", "image": "pytorch/pytorch:2.1", "command": ["python3", "train.py"]}]}}}}}})");
    job["metadata"]["name"] = name;
    job["spec"]["pytorchReplicaSpecs"]["Worker"]["restartPolicy"] = worker_policy;
    return job;
  }

  void Create(const Json& job) {
    auto r = env_.client()->Create(jobs_, "default", job);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  Json Get(const client::ResourceInfo& r, const std::string& name) {
    auto obj = env_.client()->Get(r, "default", name);
    return obj.ok() ? *obj : Json();
  }

  bool Exists(const client::ResourceInfo& r, const std::string& name) {
    return env_.client()->Get(r, "default", name).ok();
  }

  // The job's condition `type` when its status is "True", else null.
  Json TrueCondition(const std::string& job, const std::string& type) {
    Json obj = Get(jobs_, job);
    if (!obj.contains("status") || !obj["status"].contains("conditions")) return Json();
    for (const Json& c : obj["status"]["conditions"]) {
      if (c["type"] == type && c["status"] == "True") return c;
    }
    return Json();
  }

  Json WaitCondition(const std::string& job, const std::string& type) {
    Json cond;
    EXPECT_TRUE(Eventually(
        [&] {
          cond = TrueCondition(job, type);
          return !cond.is_null();
        },
        kWait))
        << job << " never got " << type << ": " << Get(jobs_, job).dump();
    return cond;
  }

  void SetPodPhase(const std::string& name, const std::string& phase, int exit_code = 0) {
    Json pod = Get(pods_, name);
    ASSERT_FALSE(pod.is_null()) << name;
    pod["status"] = {{"phase", phase}};
    if (phase == "Succeeded" || phase == "Failed") {
      pod["status"]["containerStatuses"] = {
          {{"name", "pytorch"},
           {"image", "pytorch/pytorch:2.1"},
           {"imageID", "skiff-local:///usr/bin/python3"},
           {"ready", false},
           {"restartCount", 0},
           {"state", {{"terminated", {{"exitCode", exit_code}}}}}}};
    }
    auto r = env_.client()->Replace(pods_, "default", name, pod, {.subresource = "status"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::vector<std::string> EventReasons(const std::string& job) {
    mgr_->events().Flush();
    std::vector<std::string> out;
    auto list = env_.client()->List(events_, "default");
    if (!list.ok()) return out;
    for (const Json& e : (*list)["items"]) {
      if (e["involvedObject"]["name"] == job) out.push_back(e["reason"]);
    }
    return out;
  }

  static std::string EnvOf(const Json& pod, const std::string& name) {
    for (const Json& e : pod["spec"]["containers"][0]["env"]) {
      if (e["name"] == name) return e["value"];
    }
    return "<unset>";
  }

  TestEnv env_;
  client::ResourceInfo jobs_, pods_, services_, events_;
  std::unique_ptr<Manager> mgr_;
};

TEST_F(PyTorchJobControllerTest, CreatesReplicasAndSucceedsWithTheMaster) {
  Create(NewJob("pt"));
  for (const char* name : {"pt-master-0", "pt-worker-0", "pt-worker-1"}) {
    ASSERT_TRUE(Eventually([&] { return Exists(pods_, name) && Exists(services_, name); }, kWait))
        << name;
  }
  Json master = Get(pods_, "pt-master-0");
  const Json& labels = master["metadata"]["labels"];
  EXPECT_EQ(labels["training.kubeflow.org/job-name"], "pt");
  EXPECT_EQ(labels["training.kubeflow.org/operator-name"], "pytorchjob-controller");
  EXPECT_EQ(labels["training.kubeflow.org/replica-type"], "master");
  EXPECT_EQ(labels["training.kubeflow.org/replica-index"], "0");
  EXPECT_EQ(labels["training.kubeflow.org/job-role"], "master");
  EXPECT_EQ(master["metadata"]["ownerReferences"][0]["kind"], "PyTorchJob");
  EXPECT_EQ(master["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(master["spec"]["restartPolicy"], "OnFailure");
  EXPECT_EQ(master["spec"]["containers"][0]["ports"][0]["name"], "pytorchjob-port");
  EXPECT_EQ(master["spec"]["containers"][0]["ports"][0]["containerPort"], 23456);
  EXPECT_EQ(EnvOf(master, "MASTER_ADDR"), "pt-master-0");
  EXPECT_EQ(EnvOf(master, "MASTER_PORT"), "23456");
  EXPECT_EQ(EnvOf(master, "WORLD_SIZE"), "3");
  EXPECT_EQ(EnvOf(master, "RANK"), "0");
  Json worker = Get(pods_, "pt-worker-1");
  EXPECT_EQ(EnvOf(worker, "RANK"), "2");
  EXPECT_EQ(EnvOf(worker, "PET_NODE_RANK"), "2");
  EXPECT_EQ(worker["metadata"]["labels"].count("training.kubeflow.org/job-role"), 0u);
  Json svc = Get(services_, "pt-master-0");
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  EXPECT_EQ(svc["spec"]["selector"]["training.kubeflow.org/replica-index"], "0");
  EXPECT_EQ(svc["spec"]["ports"][0]["port"], 23456);

  Json created = WaitCondition("pt", "Created");
  EXPECT_EQ(created["reason"], "PyTorchJobCreated");
  EXPECT_EQ(created["message"], "PyTorchJob pt is created.");

  for (const char* name : {"pt-master-0", "pt-worker-0", "pt-worker-1"})
    SetPodPhase(name, "Running");
  Json running = WaitCondition("pt", "Running");
  EXPECT_EQ(running["reason"], "PyTorchJobRunning");
  ASSERT_TRUE(Eventually(
      [&] {
        Json st = Get(jobs_, "pt")["status"];
        return st["replicaStatuses"]["Worker"].value("active", 0) == 2;
      },
      kWait));

  SetPodPhase("pt-master-0", "Succeeded");
  Json ok = WaitCondition("pt", "Succeeded");
  EXPECT_EQ(ok["reason"], "PyTorchJobSucceeded");
  EXPECT_EQ(ok["message"], "PyTorchJob pt is successfully completed.");
  Json status = Get(jobs_, "pt")["status"];
  EXPECT_TRUE(status.contains("startTime"));
  EXPECT_TRUE(status.contains("completionTime"));
  EXPECT_EQ(status["replicaStatuses"]["Master"]["succeeded"], 1);
  EXPECT_EQ(status["replicaStatuses"]["Master"]["selector"],
            "training.kubeflow.org/job-name=pt,training.kubeflow.org/operator-name="
            "pytorchjob-controller,training.kubeflow.org/replica-type=master");
  // The State column shows the last condition.
  EXPECT_EQ(status["conditions"].back()["type"], "Succeeded");
  // cleanPodPolicy None (the default) leaves the pods.
  EXPECT_TRUE(Exists(pods_, "pt-worker-0"));

  std::vector<std::string> reasons;
  ASSERT_TRUE(Eventually(
      [&] {
        reasons = EventReasons("pt");
        return std::count(reasons.begin(), reasons.end(), "PyTorchJobSucceeded") == 1 &&
               std::count(reasons.begin(), reasons.end(), "ExitedWithCode") == 1;
      },
      kWait));
  // One per child: a reconcile never creates a child twice.
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "SuccessfulCreatePod"), 3);
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "SuccessfulCreateService"), 3);
}

TEST_F(PyTorchJobControllerTest, WorkerFailingWithNeverFailsTheJob) {
  Create(NewJob("never", "Never"));
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "never-worker-1"); }, kWait));
  EXPECT_EQ(Get(pods_, "never-worker-1")["spec"]["restartPolicy"], "Never");
  SetPodPhase("never-master-0", "Running");
  SetPodPhase("never-worker-1", "Failed", 3);
  Json failed = WaitCondition("never", "Failed");
  EXPECT_EQ(failed["reason"], "PyTorchJobFailed");
  EXPECT_EQ(failed["message"], "PyTorchJob never is failed because 1 Worker replica(s) failed.");
  EXPECT_TRUE(Get(jobs_, "never")["status"].contains("completionTime"));
  EXPECT_TRUE(Exists(pods_, "never-worker-1"));  // kept for its logs
}

TEST_F(PyTorchJobControllerTest, FailedWorkerWithOnFailureIsRecreated) {
  Create(NewJob("again"));
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "again-worker-0"); }, kWait));
  std::string uid = Get(pods_, "again-worker-0")["metadata"]["uid"];
  SetPodPhase("again-worker-0", "Failed", 1);
  ASSERT_TRUE(Eventually(
      [&] {
        Json pod = Get(pods_, "again-worker-0");
        return !pod.is_null() && pod["metadata"]["uid"] != uid;
      },
      kWait));
  Json restarting = WaitCondition("again", "Restarting");
  EXPECT_EQ(restarting["reason"], "PyTorchJobRestarting");
  EXPECT_TRUE(TrueCondition("again", "Failed").is_null());
}

TEST_F(PyTorchJobControllerTest, SuspendDeletesChildrenAndResumeRecreatesThem) {
  Create(NewJob("sus"));
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "sus-worker-1"); }, kWait));
  ASSERT_TRUE(Eventually([&] { return Exists(services_, "sus-worker-1"); }, kWait));
  SetPodPhase("sus-master-0", "Running");
  WaitCondition("sus", "Running");

  client::PatchOptions opts;
  auto r = env_.client()->Patch(jobs_, "default", "sus",
                                R"({"spec":{"runPolicy":{"suspend":true}}})", opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json suspended = WaitCondition("sus", "Suspended");
  EXPECT_EQ(suspended["reason"], "PyTorchJobSuspended");
  for (const char* name : {"sus-master-0", "sus-worker-0", "sus-worker-1"}) {
    EXPECT_TRUE(Eventually([&] { return !Exists(pods_, name) && !Exists(services_, name); }, kWait))
        << name;
  }
  ASSERT_TRUE(Eventually([&] { return TrueCondition("sus", "Running").is_null(); }, kWait));

  r = env_.client()->Patch(jobs_, "default", "sus", R"({"spec":{"runPolicy":{"suspend":false}}})",
                           opts);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "sus-master-0"); }, kWait));
  ASSERT_TRUE(Eventually([&] { return TrueCondition("sus", "Suspended").is_null(); }, kWait));
  Json job = Get(jobs_, "sus");
  for (const Json& c : job["status"]["conditions"]) {
    if (c["type"] == "Suspended") EXPECT_EQ(c["reason"], "PyTorchJobResumed");
  }
  EXPECT_TRUE(job["status"].contains("startTime"));
  std::vector<std::string> reasons = EventReasons("sus");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "PyTorchJobSuspended"), reasons.end());
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "SuccessfulDeletePod"), reasons.end());
}

TEST_F(PyTorchJobControllerTest, CleanPodPolicyAllAndTtl) {
  Json job = NewJob("clean");
  job["spec"]["runPolicy"] = {{"cleanPodPolicy", "All"}, {"ttlSecondsAfterFinished", 0}};
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "clean-worker-1"); }, kWait));
  SetPodPhase("clean-worker-0", "Running");
  SetPodPhase("clean-master-0", "Succeeded");
  // Succeeded, then every pod and service deleted, then (TTL 0) the job itself.
  ASSERT_TRUE(Eventually([&] { return !Exists(jobs_, "clean"); }, kWait));
  for (const char* name : {"clean-master-0", "clean-worker-0", "clean-worker-1"}) {
    EXPECT_TRUE(Eventually([&] { return !Exists(pods_, name) && !Exists(services_, name); }, kWait))
        << name;
  }
}

TEST_F(PyTorchJobControllerTest, MissingPytorchContainerFailsValidation) {
  Json job = NewJob("bad");
  job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] =
      "main";
  Create(job);
  Json failed = WaitCondition("bad", "Failed");
  EXPECT_EQ(failed["reason"], "PyTorchJobFailedValidation");
  EXPECT_NE(failed["message"].get<std::string>().find(
                "spec.pytorchReplicaSpecs[Worker].template.spec.containers: Required value: must "
                "have at least one container with name pytorch"),
            std::string::npos)
      << failed.dump();
  EXPECT_FALSE(Exists(pods_, "bad-master-0"));
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<std::string> reasons = EventReasons("bad");
        return std::find(reasons.begin(), reasons.end(), "PyTorchJobFailedValidation") !=
               reasons.end();
      },
      kWait));
}

TEST_F(PyTorchJobControllerTest, LeavesJobsManagedElsewhereAlone) {
  Json job = NewJob("mk");
  job["spec"]["runPolicy"] = {{"managedBy", "kueue.x-k8s.io/multikueue"}};
  Create(job);
  // A job created afterwards is reconciled; by then "mk" was dequeued first (FIFO queue).
  Create(NewJob("after"));
  ASSERT_TRUE(Eventually([&] { return Exists(pods_, "after-master-0"); }, kWait));
  EXPECT_FALSE(Exists(pods_, "mk-master-0"));
  EXPECT_FALSE(Get(jobs_, "mk").contains("status") &&
               Get(jobs_, "mk")["status"].contains("conditions"));
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
