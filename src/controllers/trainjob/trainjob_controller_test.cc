// The TrainJob controller against a real in-process API server: built-in runtimes, JobSet
// materialisation, runtime snapshot, status mirroring from the JobSet, suspend/resume,
// activeDeadlineSeconds, admission errors.
#include "controllers/trainjob/trainjob_controller.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::trainjob {
namespace {

using testing::Eventually;
using testing::TestEnv;

class TrainJobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    trainjobs_ = env_.Resource("trainer.kubeflow.org/v1alpha1", "TrainJob");
    runtimes_ = env_.Resource("trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime");
    jobsets_ = env_.Resource("jobset.x-k8s.io/v1alpha2", "JobSet");
    configmaps_ = env_.Resource("v1", "ConfigMap");
    mgr_ = std::make_unique<Manager>(env_.client());
    ASSERT_TRUE(Register(mgr_.get()).ok());
    ASSERT_TRUE(mgr_->Start().ok());
    ASSERT_TRUE(Eventually([&] { return Get(runtimes_, "", "torch-distributed").ok(); }));
  }

  StatusOr<Json> Get(const client::ResourceInfo& r, const std::string& ns,
                     const std::string& name) {
    return env_.client()->Get(r, ns, name);
  }

  StatusOr<Json> CreateTrainJob(const std::string& name, const std::string& extra_spec = "{}") {
    Json tj = Json::parse(R"({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
      "spec": {"runtimeRef": {"name": "torch-distributed"},
               "trainer": {"numNodes": 2, "command": ["torchrun", "train.py"]}}})");
    tj["metadata"]["name"] = name;
    tj["spec"].merge_patch(Json::parse(extra_spec));
    return env_.client()->Create(trainjobs_, "default", tj);
  }

  // Writes JobSet status as the JobSet controller would.
  void SetJobSetCondition(const std::string& name, const std::string& type,
                          const std::string& reason) {
    ASSERT_TRUE(Eventually([&] {
      auto js = Get(jobsets_, "default", name);
      if (!js.ok()) return false;
      (*js)["status"] = {{"conditions", Json::array({{{"type", type},
                                                       {"status", "True"},
                                                       {"reason", reason},
                                                       {"message", "jobset says " + reason},
                                                       {"lastTransitionTime", NowRfc3339()}}})},
                         {"replicatedJobsStatus",
                          Json::array({{{"name", "node"}, {"ready", 0}, {"succeeded", 1},
                                        {"failed", 0}, {"active", 0}, {"suspended", 0}}})}};
      client::WriteOptions o;
      o.subresource = "status";
      return env_.client()->Replace(jobsets_, "default", name, *js, o).ok();
    }));
  }

  bool HasCondition(const std::string& name, const std::string& type, const std::string& status,
                    const std::string& reason) {
    auto tj = Get(trainjobs_, "default", name);
    if (!tj.ok()) return false;
    if (!(*tj)["status"].is_object()) return false;
    Json conds = (*tj)["status"].value("conditions", Json::array());
    const Json* c = FindCondition(conds, type);
    return c && c->value("status", "") == status && c->value("reason", "") == reason;
  }

  TestEnv env_;
  client::ResourceInfo trainjobs_, runtimes_, jobsets_, configmaps_;
  std::unique_ptr<Manager> mgr_;
};

TEST_F(TrainJobControllerTest, BuiltinRuntimesInstalledAndRecreated) {
  for (const char* n : {"torch-distributed", "xgboost-distributed", "jax-distributed",
                        "deepspeed-distributed", "mpi-distributed"}) {
    EXPECT_TRUE(Eventually([&] { return Get(runtimes_, "", n).ok(); })) << n;
  }
  ASSERT_TRUE(env_.client()->Delete(runtimes_, "", "torch-distributed").ok());
  EXPECT_TRUE(Eventually([&] {
    auto r = Get(runtimes_, "", "torch-distributed");
    return r.ok() && !(*r)["metadata"].contains("deletionTimestamp");
  }));
}

TEST_F(TrainJobControllerTest, MaterialisesJobSetAndMirrorsCompletion) {
  ASSERT_TRUE(CreateTrainJob("train-a").ok());
  ASSERT_TRUE(Eventually([&] { return Get(jobsets_, "default", "train-a").ok(); }));
  auto js = Get(jobsets_, "default", "train-a");
  EXPECT_EQ((*js)["metadata"]["ownerReferences"][0]["kind"], "TrainJob");
  const Json& rj = (*js)["spec"]["replicatedJobs"][0];
  EXPECT_EQ(rj["template"]["spec"]["parallelism"], 2);
  EXPECT_EQ(rj["template"]["spec"]["template"]["spec"]["containers"][0]["command"][0], "torchrun");
  // The runtime snapshot and the record.
  EXPECT_TRUE(Get(configmaps_, "default", "train-a-runtime-snapshot").ok());
  ASSERT_TRUE(Eventually([&] {
    auto tj = Get(trainjobs_, "default", "train-a");
    return tj.ok() && (*tj)["metadata"].value("annotations", Json::object()).contains(kRecordAnnotation);
  }));
  auto tj = Get(trainjobs_, "default", "train-a");
  Json record = Json::parse((*tj)["metadata"]["annotations"][kRecordAnnotation].get<std::string>());
  EXPECT_EQ(record["runtime"]["name"], "torch-distributed");
  EXPECT_EQ(record["command"][0], "torchrun");
  EXPECT_EQ(record["codeDigest"].get<std::string>().rfind("sha256:", 0), 0u);

  SetJobSetCondition("train-a", "Completed", "AllJobsCompleted");
  EXPECT_TRUE(Eventually([&] { return HasCondition("train-a", "Complete", "True", "AllJobsCompleted"); }));
  tj = Get(trainjobs_, "default", "train-a");
  EXPECT_EQ((*tj)["status"]["jobsStatus"][0]["succeeded"], 1);
}

TEST_F(TrainJobControllerTest, FailedJobSetFailsTrainJob) {
  ASSERT_TRUE(CreateTrainJob("train-f").ok());
  SetJobSetCondition("train-f", "Failed", "FailedJobs");
  EXPECT_TRUE(Eventually([&] { return HasCondition("train-f", "Failed", "True", "FailedJobs"); }));
}

TEST_F(TrainJobControllerTest, SuspendAndResumePropagate) {
  ASSERT_TRUE(CreateTrainJob("train-s", R"({"suspend": true})").ok());
  ASSERT_TRUE(Eventually([&] {
    auto js = Get(jobsets_, "default", "train-s");
    return js.ok() && (*js)["spec"]["suspend"] == true;
  }));
  EXPECT_TRUE(Eventually([&] { return HasCondition("train-s", "Suspended", "True", "Suspended"); }));
  // Kueue-style: add a nodeSelector through runtimePatches while suspended, then resume.
  std::string patch = R"({"spec": {"suspend": false, "runtimePatches": [{"manager": "kueue.x-k8s.io/manager",
    "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [{"name": "node",
      "template": {"spec": {"template": {"spec": {"nodeSelector": {"pool": "a"}}}}}}]}}}}]}})";
  ASSERT_TRUE(env_.client()->Patch(trainjobs_, "default", "train-s", patch, client::PatchOptions{}).ok());
  EXPECT_TRUE(Eventually([&] {
    auto js = Get(jobsets_, "default", "train-s");
    return js.ok() && (*js)["spec"]["suspend"] == false &&
           (*js)["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
                   ["nodeSelector"]["pool"] == "a";
  }));
  EXPECT_TRUE(Eventually([&] { return HasCondition("train-s", "Suspended", "False", "Resumed"); }));
}

TEST_F(TrainJobControllerTest, ActiveDeadlineFailsAndDeletesJobSet) {
  ASSERT_TRUE(CreateTrainJob("train-d", R"({"activeDeadlineSeconds": 1})").ok());
  EXPECT_TRUE(Eventually([&] { return HasCondition("train-d", "Failed", "True", "DeadlineExceeded"); },
                         std::chrono::seconds(10)));
  EXPECT_TRUE(Eventually([&] {
    auto js = Get(jobsets_, "default", "train-d");
    return !js.ok() || (*js)["metadata"].contains("deletionTimestamp");
  }));
}

TEST_F(TrainJobControllerTest, AdmissionRejectsBadTrainJobs) {
  auto missing = env_.client()->Create(
      trainjobs_, "default",
      Json::parse(R"({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
        "metadata": {"name": "bad-ref"}, "spec": {"runtimeRef": {"name": "nope"}}})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("spec.runtimeRef"), std::string::npos);
  EXPECT_NE(missing.status().message().find("\"nope\" not found"), std::string::npos);

  auto zero = CreateTrainJob("bad-nodes", R"({"trainer": {"numNodes": 0}})");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("spec.trainer.numNodes"), std::string::npos);

  auto pet = CreateTrainJob("bad-env",
                            R"({"trainer": {"env": [{"name": "PET_NNODES", "value": "9"}]}})");
  ASSERT_FALSE(pet.ok());
  EXPECT_NE(pet.status().message().find("PET_NNODES"), std::string::npos);

  ASSERT_TRUE(CreateTrainJob("immutable").ok());
  auto changed = env_.client()->Patch(trainjobs_, "default", "immutable",
                                      R"({"spec": {"trainer": {"numNodes": 5}}})", client::PatchOptions{});
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.status().message().find("spec.trainer: Invalid value"), std::string::npos);
  EXPECT_NE(changed.status().message().find("field is immutable"), std::string::npos);
}

TEST_F(TrainJobControllerTest, LegacyPodTemplateOverridesBecomeRuntimePatches) {
  std::string spec = R"({"trainer": {"numNodes": 1, "numProcPerNode": "2"},
    "labels": {"team": "x"},
    "podTemplateOverrides": [{"targetJobs": [{"name": "node"}],
      "spec": {"nodeSelector": {"zone": "z1"}}}]})";
  auto created = CreateTrainJob("legacy", spec);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto tj = Get(trainjobs_, "default", "legacy");
  EXPECT_EQ((*tj)["spec"]["trainer"]["numProcPerNode"], 2);
  EXPECT_EQ((*tj)["spec"]["runtimePatches"][0]["manager"], "trainer.kubeflow.org/legacy-overrides");
  ASSERT_TRUE(Eventually([&] { return Get(jobsets_, "default", "legacy").ok(); }));
  auto js = Get(jobsets_, "default", "legacy");
  EXPECT_EQ((*js)["metadata"]["labels"]["team"], "x");
  EXPECT_EQ((*js)["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
                ["nodeSelector"]["zone"],
            "z1");
}

}  // namespace
}  // namespace skiff::controllers::trainjob
