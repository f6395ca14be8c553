// Tests for PlanSync: the PyTorchJob reconcile decisions without a server.
#include "controllers/pytorchjob/sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace skiff::controllers::pytorchjob {
namespace {

using std::chrono::seconds;

const SystemTime kNow = SystemTime(seconds(1700000000));

Json JobJson(const std::string& worker_policy = "OnFailure", int workers = 2) {
  Json job = Json::parse(R"({"metadata": {"name": "pt", "namespace": "ns", "uid": "u"},
    "spec": {"pytorchReplicaSpecs": {
      "Master": {"template": {"spec": {"containers": [{"name": "pytorch", "image": "i"}]}}},
      "Worker": {"template": {"spec": {"containers": [{"name": "pytorch", "image": "i"}]}}}}}})");
  job["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = workers;
  job["spec"]["pytorchReplicaSpecs"]["Worker"]["restartPolicy"] = worker_policy;
  return job;
}

PodView Pod(ReplicaType type, int32_t index, const std::string& phase) {
  PodView p;
  p.name = ReplicaName("pt", type, index);
  p.uid = "uid-" + p.name;
  p.phase = phase;
  p.replica_type = ReplicaTypeLabel(type);
  p.index = index;
  return p;
}

ServiceView Svc(ReplicaType type, int32_t index) {
  return {ReplicaName("pt", type, index), ReplicaTypeLabel(type), index};
}

SyncInput Input(const Json& job) {
  SyncInput in;
  in.job = ParsePyTorchJob(job);
  in.now = kNow;
  return in;
}

// All children exist; the given pods in the given phases.
SyncInput Started(const Json& job, const std::string& master, const std::string& w0,
                  const std::string& w1) {
  SyncInput in = Input(job);
  in.pods = {Pod(ReplicaType::kMaster, 0, master), Pod(ReplicaType::kWorker, 0, w0),
             Pod(ReplicaType::kWorker, 1, w1)};
  in.services = {Svc(ReplicaType::kMaster, 0), Svc(ReplicaType::kWorker, 0),
                 Svc(ReplicaType::kWorker, 1)};
  UpdateJobConditions(&in.prior, "Created", "True", "PyTorchJobCreated", "m", "t0");
  in.prior.start_time = FormatRfc3339(kNow - seconds(10));
  return in;
}

bool HasEvent(const SyncPlan& plan, const std::string& reason, const std::string& message) {
  return std::any_of(plan.events.begin(), plan.events.end(), [&](const PendingEvent& e) {
    return e.reason == reason && e.message == message;
  });
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(PlanSync, NewJobCreatesEveryReplica) {
  SyncPlan plan = PlanSync(Input(JobJson()));
  std::vector<ChildRef> want = {
      {ReplicaType::kMaster, 0}, {ReplicaType::kWorker, 0}, {ReplicaType::kWorker, 1}};
  EXPECT_EQ(plan.create_pods, want);
  EXPECT_EQ(plan.create_services, want);
  const JobCondition* created = plan.status.Find("Created");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->reason, "PyTorchJobCreated");
  EXPECT_EQ(created->message, "PyTorchJob pt is created.");
  EXPECT_EQ(plan.status.start_time, FormatRfc3339(kNow));
  EXPECT_FALSE(plan.status.Find("Running"));
  const ReplicaStatus& w = plan.status.replica_statuses.at("Worker");
  EXPECT_EQ(w.selector,
            "training.kubeflow.org/job-name=pt,training.kubeflow.org/operator-name="
            "pytorchjob-controller,training.kubeflow.org/replica-type=worker");
  EXPECT_EQ(w.match_labels.at("training.kubeflow.org/replica-type"), "worker");
}

TEST(PlanSync, RunningThenMasterSucceeds) {
  SyncPlan plan = PlanSync(Started(JobJson(), "Running", "Running", "Pending"));
  EXPECT_TRUE(plan.create_pods.empty());
  EXPECT_TRUE(plan.create_services.empty());
  const JobCondition* running = plan.status.Find("Running");
  ASSERT_NE(running, nullptr);
  EXPECT_EQ(running->reason, "PyTorchJobRunning");
  EXPECT_EQ(running->message, "PyTorchJob pt is running.");
  EXPECT_EQ(plan.status.replica_statuses.at("Master").active, 1);
  EXPECT_EQ(plan.status.replica_statuses.at("Worker").active, 1);  // Pending is not active

  SyncInput in = Started(JobJson(), "Succeeded", "Running", "Running");
  in.prior = plan.status;
  in.pods[0].exit_code = 0;
  plan = PlanSync(in);
  const JobCondition* ok = plan.status.Find("Succeeded");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->status, "True");
  EXPECT_EQ(ok->reason, "PyTorchJobSucceeded");
  EXPECT_EQ(ok->message, "PyTorchJob pt is successfully completed.");
  EXPECT_EQ(plan.status.Find("Running")->status, "False");
  EXPECT_EQ(plan.status.completion_time, FormatRfc3339(kNow));
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobSucceeded", ok->message));
  ASSERT_EQ(plan.exits.size(), 1u);
  EXPECT_EQ(plan.exits[0].message, "Pod: ns.pt-master-0 exited with code 0");

  // The next pass: finished; cleanPodPolicy None leaves the workers; active counts as succeeded.
  in.prior = plan.status;
  plan = PlanSync(in);
  EXPECT_TRUE(plan.delete_pods.empty());
  EXPECT_EQ(plan.status.replica_statuses.at("Worker").succeeded, 2);
  EXPECT_EQ(plan.status.replica_statuses.at("Worker").active, 0);
}

TEST(PlanSync, FailedWorkerWithNeverFailsTheJob) {
  SyncPlan plan = PlanSync(Started(JobJson("Never"), "Running", "Running", "Failed"));
  const JobCondition* failed = plan.status.Find("Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->reason, "PyTorchJobFailed");
  EXPECT_EQ(failed->message, "PyTorchJob pt is failed because 1 Worker replica(s) failed.");
  EXPECT_TRUE(plan.delete_pods.empty());  // Never: the failed pod stays for its logs
  EXPECT_EQ(plan.status.completion_time, FormatRfc3339(kNow));
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobFailed", failed->message));
  EXPECT_EQ(plan.status.replica_statuses.at("Worker").failed, 1);
}

TEST(PlanSync, FailedWorkerWithOnFailureRestarts) {
  SyncPlan plan = PlanSync(Started(JobJson("OnFailure"), "Running", "Failed", "Running"));
  EXPECT_EQ(plan.delete_pods, std::vector<std::string>{"pt-worker-0"});
  EXPECT_FALSE(plan.status.IsFinished());
  const JobCondition* restarting = plan.status.Find("Restarting");
  ASSERT_NE(restarting, nullptr);
  EXPECT_EQ(restarting->reason, "PyTorchJobRestarting");
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobRestarting",
                       "job pt is restarting because Worker replica(s) failed."));
  EXPECT_FALSE(plan.status.Find("Running"));  // Restarting replaced it

  // Being deleted: no second restart; once gone the slot is refilled.
  SyncInput in = Started(JobJson("OnFailure"), "Running", "Failed", "Running");
  in.pods[1].deleting = true;
  EXPECT_TRUE(PlanSync(in).delete_pods.empty());
  in.pods.erase(in.pods.begin() + 1);
  plan = PlanSync(in);
  EXPECT_EQ(plan.create_pods, (std::vector<ChildRef>{{ReplicaType::kWorker, 0}}));
}

TEST(PlanSync, ExitCodePolicy) {
  SyncInput in = Started(JobJson("ExitCode"), "Running", "Failed", "Running");
  in.pods[1].exit_code = 137;  // SIGKILL: retryable
  SyncPlan plan = PlanSync(in);
  EXPECT_EQ(plan.delete_pods, std::vector<std::string>{"pt-worker-0"});
  EXPECT_FALSE(plan.status.IsFinished());

  in.pods[1].exit_code = 1;  // permanent
  plan = PlanSync(in);
  EXPECT_TRUE(plan.delete_pods.empty());
  const JobCondition* failed = plan.status.Find("Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->message, "job \"pt\" is failing because \"Worker\" replica(s) failed.");
  EXPECT_EQ(plan.status.completion_time, FormatRfc3339(kNow));
}

TEST(PlanSync, CleanPodPolicyOnceFinished) {
  for (const char* policy : {"None", "Running", "All"}) {
    Json job = JobJson();
    job["spec"]["runPolicy"]["cleanPodPolicy"] = policy;
    SyncInput in = Started(job, "Succeeded", "Running", "Pending");
    UpdateJobConditions(&in.prior, "Succeeded", "True", "PyTorchJobSucceeded", "m", "t1");
    in.prior.completion_time = FormatRfc3339(kNow);
    SyncPlan plan = PlanSync(in);
    std::vector<std::string> want;
    if (std::string(policy) == "Running") want = {"pt-worker-0", "pt-worker-1"};
    if (std::string(policy) == "All") want = {"pt-master-0", "pt-worker-0", "pt-worker-1"};
    EXPECT_EQ(Sorted(plan.delete_pods), want) << policy;
    EXPECT_EQ(Sorted(plan.delete_services), want) << policy;
    EXPECT_TRUE(plan.create_pods.empty());
  }
}

TEST(PlanSync, SuspendAndResume) {
  Json job = JobJson();
  job["spec"]["runPolicy"]["suspend"] = true;
  SyncInput in = Started(job, "Running", "Running", "Running");
  UpdateJobConditions(&in.prior, "Running", "True", "PyTorchJobRunning", "r", "t1");
  in.prior.replica_statuses["Worker"].active = 2;
  std::string started = in.prior.start_time;
  SyncPlan plan = PlanSync(in);
  EXPECT_EQ(Sorted(plan.delete_pods),
            (std::vector<std::string>{"pt-master-0", "pt-worker-0", "pt-worker-1"}));
  EXPECT_EQ(plan.delete_services.size(), 3u);
  EXPECT_EQ(plan.status.replica_statuses.at("Worker").active, 0);
  EXPECT_EQ(plan.status.Find("Running")->status, "False");
  EXPECT_EQ(plan.status.Find("Running")->reason, "PyTorchJobSuspended");
  const JobCondition* suspended = plan.status.Find("Suspended");
  ASSERT_NE(suspended, nullptr);
  EXPECT_EQ(suspended->status, "True");
  EXPECT_EQ(suspended->message, "PyTorchJob pt is suspended.");
  EXPECT_EQ(plan.status.start_time, started);
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobSuspended", "PyTorchJob pt is suspended."));

  // Resumed: Suspended False, the clock restarts, pods come back.
  SyncInput resumed = Input(JobJson());
  resumed.prior = plan.status;
  resumed.now = kNow + seconds(30);
  plan = PlanSync(resumed);
  EXPECT_EQ(plan.status.Find("Suspended")->status, "False");
  EXPECT_EQ(plan.status.Find("Suspended")->reason, "PyTorchJobResumed");
  EXPECT_EQ(plan.status.start_time, FormatRfc3339(kNow + seconds(30)));
  EXPECT_EQ(plan.create_pods.size(), 3u);
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobResumed", "PyTorchJob pt is resumed."));
}

TEST(PlanSync, BackoffLimitCountsContainerRestarts) {
  Json job = JobJson();
  job["spec"]["runPolicy"]["backoffLimit"] = 3;
  SyncInput in = Started(job, "Running", "Running", "Running");
  in.pods[1].restart_count = 2;
  EXPECT_FALSE(PlanSync(in).status.IsFinished());
  in.pods[2].restart_count = 1;
  SyncPlan plan = PlanSync(in);
  const JobCondition* failed = plan.status.Find("Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->message,
            "Job pt has failed because it has reached the specified backoff limit");
  EXPECT_EQ(Sorted(plan.delete_pods),
            (std::vector<std::string>{"pt-master-0", "pt-worker-0", "pt-worker-1"}));
  EXPECT_EQ(plan.delete_services.size(), 3u);

  // backoffLimit 0: the first new pod failure ends the job.
  job["spec"]["runPolicy"]["backoffLimit"] = 0;
  in = Started(job, "Running", "Running", "Failed");
  EXPECT_TRUE(PlanSync(in).status.IsFailed());
}

TEST(PlanSync, ActiveDeadline) {
  Json job = JobJson();
  job["spec"]["runPolicy"]["activeDeadlineSeconds"] = 60;
  SyncInput in = Started(job, "Running", "Running", "Running");
  SyncPlan plan = PlanSync(in);  // started 10 s ago
  EXPECT_FALSE(plan.status.IsFinished());
  EXPECT_EQ(plan.requeue_after, std::chrono::milliseconds(50001));
  in.now = kNow + seconds(50);
  plan = PlanSync(in);
  ASSERT_TRUE(plan.status.IsFailed());
  EXPECT_EQ(plan.status.Find("Failed")->message,
            "Job pt has failed because it was active longer than specified deadline");
  EXPECT_EQ(plan.delete_pods.size(), 3u);
}

TEST(PlanSync, TtlAfterFinished) {
  Json job = JobJson();
  job["spec"]["runPolicy"]["ttlSecondsAfterFinished"] = 20;
  SyncInput in = Started(job, "Succeeded", "Succeeded", "Succeeded");
  UpdateJobConditions(&in.prior, "Succeeded", "True", "PyTorchJobSucceeded", "m", "t1");
  in.prior.completion_time = FormatRfc3339(kNow - seconds(5));
  SyncPlan plan = PlanSync(in);
  EXPECT_FALSE(plan.delete_job);
  EXPECT_EQ(plan.requeue_after, std::chrono::milliseconds(15001));
  in.now = kNow + seconds(15);
  EXPECT_TRUE(PlanSync(in).delete_job);
}

TEST(PlanSync, InvalidJobFailsWithoutChildren) {
  Json job = JobJson();
  job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] = "x";
  SyncPlan plan = PlanSync(Input(job));
  EXPECT_TRUE(plan.create_pods.empty());
  EXPECT_TRUE(plan.create_services.empty());
  const JobCondition* failed = plan.status.Find("Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->reason, "PyTorchJobFailedValidation");
  EXPECT_NE(failed->message.find("must have at least one container with name pytorch"),
            std::string::npos);
  EXPECT_EQ(plan.status.Find("Created")->status, "True");
  EXPECT_FALSE(plan.status.completion_time.empty());
  EXPECT_TRUE(HasEvent(plan, "PyTorchJobFailedValidation", failed->message));
}

TEST(PlanSync, ScaleDownRemovesExtraReplicas) {
  SyncInput in = Started(JobJson("OnFailure", 1), "Running", "Running", "Running");
  SyncPlan plan = PlanSync(in);
  EXPECT_EQ(plan.delete_pods, std::vector<std::string>{"pt-worker-1"});
  EXPECT_EQ(plan.delete_services, std::vector<std::string>{"pt-worker-1"});
}

TEST(PlanSync, ElasticWorkersOnly) {
  Json job = JobJson();
  job["spec"]["pytorchReplicaSpecs"].erase("Master");
  job["spec"]["elasticPolicy"] = {{"minReplicas", 1}, {"maxReplicas", 2}};
  SyncInput in = Input(job);
  in.pods = {Pod(ReplicaType::kWorker, 0, "Running"), Pod(ReplicaType::kWorker, 1, "Running")};
  SyncPlan plan = PlanSync(in);
  EXPECT_EQ(plan.status.Find("Running")->message, "PyTorchJob ns/pt is running.");
  in.pods[0].phase = "Succeeded";
  in.prior = plan.status;
  plan = PlanSync(in);
  ASSERT_TRUE(plan.status.IsSucceeded());  // elastic: any worker's success ends the job
  EXPECT_EQ(plan.status.Find("Succeeded")->message, "PyTorchJob ns/pt successfully completed.");
}

}  // namespace
}  // namespace skiff::controllers::pytorchjob
