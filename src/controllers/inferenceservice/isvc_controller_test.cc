// The InferenceService controller against a real in-process API server: built-in runtimes,
// Deployment + Service rendering, status from the Deployment and pods, runtime errors as
// conditions, update propagation and the admission rules.
#include "controllers/inferenceservice/isvc_controller.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::inferenceservice {
namespace {

using testing::Eventually;
using testing::TestEnv;

class IsvcControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    isvcs_ = env_.Resource("serving.kserve.io/v1beta1", "InferenceService");
    runtimes_ = env_.Resource("serving.kserve.io/v1alpha1", "ServingRuntime");
    cluster_runtimes_ = env_.Resource("serving.kserve.io/v1alpha1", "ClusterServingRuntime");
    deployments_ = env_.Resource("apps/v1", "Deployment");
    services_ = env_.Resource("v1", "Service");
    pods_ = env_.Resource("v1", "Pod");
    mgr_ = std::make_unique<Manager>(env_.client());
    ASSERT_TRUE(Register(mgr_.get()).ok());
    ASSERT_TRUE(mgr_->Start().ok());
    ASSERT_TRUE(
        Eventually([&] { return Get(cluster_runtimes_, "", "kserve-sklearnserver").ok(); }));
  }

  StatusOr<Json> Get(const client::ResourceInfo& r, const std::string& ns,
                     const std::string& name) {
    return env_.client()->Get(r, ns, name);
  }

  StatusOr<Json> CreateIsvc(const std::string& name, const std::string& predictor,
                            const std::string& annotations = "{}") {
    Json isvc = {{"apiVersion", "serving.kserve.io/v1beta1"}, {"kind", "InferenceService"}};
    isvc["metadata"]["name"] = name;
    isvc["metadata"]["annotations"] = Json::parse(annotations);
    isvc["spec"]["predictor"] = Json::parse(predictor);
    return env_.client()->Create(isvcs_, "default", isvc);
  }

  const char* kSklearn = R"({"minReplicas": 1, "maxReplicas": 3, "model": {
      "modelFormat": {"name": "sklearn"}, "storageUri": "file:///srv/models/iris",
      "resources": {"requests": {"cpu": "200m"}}}})";

  Json IsvcStatus(const std::string& name) {
    auto o = Get(isvcs_, "default", name);
    return o.ok() && (*o)["status"].is_object() ? (*o)["status"] : Json::object();
  }

  bool HasCondition(const std::string& name, const std::string& type, const std::string& status,
                    const std::string& reason = "*") {
    Json conds = IsvcStatus(name).value("conditions", Json::array());
    const Json* c = FindCondition(conds, type);
    return c && c->value("status", "") == status &&
           (reason == "*" || c->value("reason", "") == reason);
  }

  // Writes Deployment status as the Deployment controller would once its pods are available.
  void MarkDeploymentAvailable(const std::string& name) {
    ASSERT_TRUE(Eventually([&] {
      auto d = Get(deployments_, "default", name);
      if (!d.ok()) return false;
      (*d)["status"] = {
          {"observedGeneration", (*d)["metadata"]["generation"]},
          {"replicas", 1},
          {"updatedReplicas", 1},
          {"readyReplicas", 1},
          {"availableReplicas", 1},
          {"conditions", Json::array({{{"type", "Available"},
                                       {"status", "True"},
                                       {"reason", "MinimumReplicasAvailable"},
                                       {"message", "Deployment has minimum availability."},
                                       {"lastTransitionTime", NowRfc3339()}}})}};
      client::WriteOptions o;
      o.subresource = "status";
      return env_.client()->Replace(deployments_, "default", name, *d, o).ok();
    }));
  }

  TestEnv env_;
  client::ResourceInfo isvcs_, runtimes_, cluster_runtimes_, deployments_, services_, pods_;
  std::unique_ptr<Manager> mgr_;
};

TEST_F(IsvcControllerTest, BuiltinRuntimesInstalledAndRecreated) {
  for (const char* n : {"kserve-sklearnserver", "kserve-xgbserver", "kserve-torchserve"}) {
    EXPECT_TRUE(Eventually([&] { return Get(cluster_runtimes_, "", n).ok(); })) << n;
  }
  ASSERT_TRUE(env_.client()->Delete(cluster_runtimes_, "", "kserve-xgbserver").ok());
  EXPECT_TRUE(Eventually([&] {
    auto r = Get(cluster_runtimes_, "", "kserve-xgbserver");
    return r.ok() && !(*r)["metadata"].contains("deletionTimestamp");
  }));
}

TEST_F(IsvcControllerTest, CreatesDeploymentAndServiceThenReady) {
  auto created = CreateIsvc("iris", kSklearn);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::string uid = (*created)["metadata"]["uid"];
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "iris-predictor").ok(); }));
  auto d = Get(deployments_, "default", "iris-predictor");
  EXPECT_EQ((*d)["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ((*d)["metadata"]["ownerReferences"][0]["kind"], "InferenceService");
  EXPECT_EQ((*d)["metadata"]["labels"]["serving.kserve.io/inferenceservice"], "iris");
  EXPECT_EQ((*d)["metadata"]["labels"]["component"], "predictor");
  EXPECT_EQ((*d)["spec"]["replicas"], 1);
  const Json& pod = (*d)["spec"]["template"]["spec"];
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "kserve-container");
  EXPECT_EQ(c["image"], "skiff/serve-sklearn");
  EXPECT_EQ(c["args"][0], "--model_name=iris");
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "200m");
  EXPECT_EQ(pod["initContainers"][0]["name"], "storage-initializer");
  EXPECT_EQ(pod["initContainers"][0]["args"][0], "file:///srv/models/iris");

  ASSERT_TRUE(Eventually([&] { return Get(services_, "default", "iris-predictor").ok(); }));
  auto s = Get(services_, "default", "iris-predictor");
  EXPECT_EQ((*s)["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ((*s)["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ((*s)["spec"]["ports"][0]["targetPort"], 8080);

  // Service created, Deployment not yet available.
  ASSERT_TRUE(Eventually([&] { return HasCondition("iris", "IngressReady", "True"); }));
  EXPECT_FALSE(HasCondition("iris", "Ready", "True"));
  Json st = IsvcStatus("iris");
  EXPECT_EQ(st["clusterServingRuntimeName"], "kserve-sklearnserver");
  EXPECT_EQ(st["deploymentMode"], "Standard");
  EXPECT_EQ(st["url"], "http://iris.default.example.com");
  EXPECT_EQ(st["address"]["url"], "http://iris-predictor.default.svc.cluster.local");
  EXPECT_EQ(st["modelStatus"]["transitionStatus"], "InProgress");

  MarkDeploymentAvailable("iris-predictor");
  ASSERT_TRUE(Eventually([&] { return HasCondition("iris", "Ready", "True"); }));
  EXPECT_TRUE(HasCondition("iris", "PredictorReady", "True"));
  st = IsvcStatus("iris");
  const Json& comp = st["components"]["predictor"];
  EXPECT_EQ(comp["latestCreatedRevision"], "iris-predictor-00001");
  EXPECT_EQ(comp["latestReadyRevision"], "iris-predictor-00001");
  EXPECT_EQ(comp["url"], "http://iris-predictor.default.example.com");
  EXPECT_EQ(comp["traffic"][0]["percent"], 100);
  EXPECT_EQ(st["modelStatus"]["transitionStatus"], "UpToDate");
  EXPECT_EQ(st["modelStatus"]["states"]["activeModelState"], "Loaded");

  // The predictor's HPA, as KServe makes it (autoscalerClass hpa is the default).
  client::ResourceInfo hpas = env_.Resource("autoscaling/v2", "HorizontalPodAutoscaler");
  ASSERT_TRUE(Eventually([&] { return Get(hpas, "default", "iris-predictor").ok(); }));
  Json hpa = *Get(hpas, "default", "iris-predictor");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"], "iris-predictor");
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 3);
  EXPECT_EQ(hpa["metadata"]["ownerReferences"][0]["kind"], "InferenceService");

  // A spec change rewrites the Deployment, but the replica count stays the HPA's; the HPA's
  // bounds follow the spec.
  ASSERT_TRUE(env_.client()
                  ->Patch(isvcs_, "default", "iris",
                          R"({"spec": {"predictor": {"minReplicas": 2, "model": {"args": ["--workers=1"]}}}})",
                          client::PatchOptions{})
                  .ok());
  EXPECT_TRUE(Eventually([&] {
    auto h = Get(hpas, "default", "iris-predictor");
    return h.ok() && (*h)["spec"]["minReplicas"] == 2;
  }));
  EXPECT_TRUE(Eventually([&] {
    auto d2 = Get(deployments_, "default", "iris-predictor");
    return d2.ok() && (*d2)["spec"]["template"]["spec"]["containers"][0]["args"].dump().find(
                          "--workers=1") != std::string::npos;
  }));
  EXPECT_EQ((*Get(deployments_, "default", "iris-predictor"))["spec"]["replicas"], 1);

  // autoscalerClass none: no HPA, replicas = minReplicas.
  ASSERT_TRUE(env_.client()
                  ->Patch(isvcs_, "default", "iris",
                          R"({"metadata": {"annotations": {"serving.kserve.io/autoscalerClass": "none"}},
                              "spec": {"predictor": {"minReplicas": 3}}})",
                          client::PatchOptions{})
                  .ok());
  EXPECT_TRUE(Eventually([&] { return !Get(hpas, "default", "iris-predictor").ok(); }));
  EXPECT_TRUE(Eventually([&] {
    auto d2 = Get(deployments_, "default", "iris-predictor");
    return d2.ok() && (*d2)["spec"]["replicas"] == 3;
  }));
}

TEST_F(IsvcControllerTest, LegacyPredictorUsesXgbRuntime) {
  ASSERT_TRUE(CreateIsvc("xgb", R"({"xgboost": {"storageUri": "pvc://models/xgb"}})").ok());
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "xgb-predictor").ok(); }));
  auto d = Get(deployments_, "default", "xgb-predictor");
  const Json& pod = (*d)["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["image"], "skiff/serve-xgboost");
  EXPECT_FALSE(pod.contains("initContainers"));
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "models");
  EXPECT_TRUE(Eventually(
      [&] { return IsvcStatus("xgb")["clusterServingRuntimeName"] == "kserve-xgbserver"; }));
}

TEST_F(IsvcControllerTest, NoRuntimeIsReadyFalseUntilOneAppears) {
  ASSERT_TRUE(CreateIsvc("tf", R"({"model": {"modelFormat": {"name": "tensorflow"},
      "storageUri": "file:///m"}})")
                  .ok());
  ASSERT_TRUE(
      Eventually([&] { return HasCondition("tf", "Ready", "False", "NoSupportingRuntime"); }));
  Json st = IsvcStatus("tf");
  const Json* ready = FindCondition(st["conditions"], "Ready");
  EXPECT_EQ((*ready)["message"],
            "No runtime found to support predictor with model type: {tensorflow} and protocol "
            "version v1");
  EXPECT_EQ(st["modelStatus"]["transitionStatus"], "InvalidSpec");
  EXPECT_EQ(st["modelStatus"]["lastFailureInfo"]["reason"], "NoSupportingRuntime");
  EXPECT_FALSE(Get(deployments_, "default", "tf-predictor").ok());

  // A namespaced ServingRuntime for the format: the isvc is reconciled again and deploys.
  Json rt = Json::parse(R"({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
    "metadata": {"name": "my-tf"}, "spec": {
      "supportedModelFormats": [{"name": "tensorflow", "version": "2", "autoSelect": true}],
      "containers": [{"name": "kserve-container", "image": "tf/serving",
                      "args": ["--model_name={{.Name}}"]}]}})");
  ASSERT_TRUE(env_.client()->Create(runtimes_, "default", rt).ok());
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "tf-predictor").ok(); }));
  auto d = Get(deployments_, "default", "tf-predictor");
  EXPECT_EQ((*d)["spec"]["template"]["spec"]["containers"][0]["args"][0], "--model_name=tf");
  EXPECT_TRUE(Eventually([&] { return IsvcStatus("tf")["servingRuntimeName"] == "my-tf"; }));
}

TEST_F(IsvcControllerTest, ExplicitRuntimeMissingAndKnativeMode) {
  ASSERT_TRUE(CreateIsvc("named", R"({"model": {"modelFormat": {"name": "sklearn"},
      "runtime": "nope"}})")
                  .ok());
  EXPECT_TRUE(
      Eventually([&] { return HasCondition("named", "Ready", "False", "RuntimeNotRecognized"); }));
  ASSERT_TRUE(
      CreateIsvc("mm", kSklearn, R"({"serving.kserve.io/deploymentMode": "ModelMesh"})").ok());
  EXPECT_TRUE(Eventually(
      [&] { return HasCondition("mm", "Ready", "False", "DeploymentModeNotSupported"); }));
  EXPECT_FALSE(Get(deployments_, "default", "mm-predictor").ok());
}

// Knative mode end to end against the API server: revision 1 takes 100%, a new model with
// canaryTrafficPercent 10 splits 10/90 once ready, removing the field promotes, 0 rolls back,
// and a revision that fails never gets traffic while the isvc reports why.
TEST_F(IsvcControllerTest, KnativeRevisionsCanaryPromoteRollback) {
  ASSERT_TRUE(
      CreateIsvc("kn", kSklearn, R"({"serving.kserve.io/deploymentMode": "Serverless"})").ok());
  auto traffic = [&] { return IsvcStatus("kn")["components"]["predictor"].value("traffic", Json::array()); };
  auto pct = [&](const std::string& rev) {
    int sum = 0;
    for (const Json& t : traffic()) {
      if (t.value("revisionName", "") == rev) sum += t.value("percent", 0);
    }
    return sum;
  };
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "kn-predictor-00001").ok(); }));
  auto d1 = Get(deployments_, "default", "kn-predictor-00001");
  EXPECT_EQ((*d1)["spec"]["selector"]["matchLabels"]["serving.knative.dev/revision"],
            "kn-predictor-00001");
  EXPECT_EQ((*d1)["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"], "1");
  EXPECT_EQ((*d1)["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"], "3");
  EXPECT_TRUE(Get(services_, "default", "kn-predictor-00001").ok());
  EXPECT_TRUE(Eventually([&] { return HasCondition("kn", "Ready", "Unknown"); }));
  EXPECT_TRUE(traffic().empty());
  MarkDeploymentAvailable("kn-predictor-00001");
  ASSERT_TRUE(Eventually([&] { return HasCondition("kn", "Ready", "True"); }));
  EXPECT_EQ(pct("kn-predictor-00001"), 100);
  EXPECT_EQ(IsvcStatus("kn")["url"], "http://kn.default.example.com");
  EXPECT_EQ(IsvcStatus("kn")["components"]["predictor"]["latestRolledoutRevision"],
            "kn-predictor-00001");

  auto update = [&](const std::function<void(Json&)>& edit) {
    ASSERT_TRUE(Eventually([&] {
      auto o = Get(isvcs_, "default", "kn");
      if (!o.ok()) return false;
      edit((*o)["spec"]["predictor"]);
      return env_.client()->Replace(isvcs_, "default", "kn", *o).ok();
    }));
  };
  // Canary: a new model at 10%. Until revision 2 is ready the old one keeps everything.
  update([](Json& p) {
    p["model"]["storageUri"] = "file:///srv/models/lr";
    p["canaryTrafficPercent"] = 10;
  });
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "kn-predictor-00002").ok(); }));
  EXPECT_TRUE(Eventually([&] { return HasCondition("kn", "Ready", "Unknown"); }));
  EXPECT_EQ(pct("kn-predictor-00001"), 100);
  MarkDeploymentAvailable("kn-predictor-00002");
  ASSERT_TRUE(Eventually([&] { return pct("kn-predictor-00002") == 10; }));
  EXPECT_EQ(pct("kn-predictor-00001"), 90);
  for (const Json& t : traffic()) {
    if (t["revisionName"] == "kn-predictor-00001") {
      EXPECT_EQ(t["tag"], "prev");
      EXPECT_EQ(t["url"], "http://prev-kn-predictor.default.example.com");
    }
  }
  // Changing only the percentage makes no revision.
  update([](Json& p) { p["canaryTrafficPercent"] = 30; });
  ASSERT_TRUE(Eventually([&] { return pct("kn-predictor-00002") == 30; }));
  EXPECT_FALSE(Get(deployments_, "default", "kn-predictor-00003").ok());
  // Promote.
  update([](Json& p) { p.erase("canaryTrafficPercent"); });
  ASSERT_TRUE(Eventually([&] { return pct("kn-predictor-00002") == 100; }));
  Json comp = IsvcStatus("kn")["components"]["predictor"];
  EXPECT_EQ(comp["latestRolledoutRevision"], "kn-predictor-00002");
  EXPECT_EQ(comp["previousRolledoutRevision"], "kn-predictor-00001");
  // Roll back: 0% to the latest sends everything to the previous rollout.
  update([](Json& p) { p["canaryTrafficPercent"] = 0; });
  ASSERT_TRUE(Eventually([&] { return pct("kn-predictor-00001") == 100; }));
  EXPECT_EQ(pct("kn-predictor-00002"), 0);
  EXPECT_EQ(IsvcStatus("kn")["components"]["predictor"]["latestRolledoutRevision"],
            "kn-predictor-00001");

  // A broken revision: its storage initializer fails. No traffic moves; Ready=False says why.
  update([](Json& p) {
    p.erase("canaryTrafficPercent");
    p["model"]["storageUri"] = "file:///srv/models/broken";
  });
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "kn-predictor-00003").ok(); }));
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", "kn-predictor-00003-abc"},
                {"labels",
                 {{"serving.kserve.io/inferenceservice", "kn"},
                  {"component", "predictor"},
                  {"serving.knative.dev/revision", "kn-predictor-00003"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "kserve-container"}, {"image", "x"}}})}}}};
  ASSERT_TRUE(env_.client()->Create(pods_, "default", pod).ok());
  ASSERT_TRUE(Eventually([&] {
    auto p = Get(pods_, "default", "kn-predictor-00003-abc");
    if (!p.ok()) return false;
    (*p)["status"] = Json::parse(R"({"phase": "Pending", "initContainerStatuses": [
      {"name": "storage-initializer", "ready": false, "restartCount": 1, "image": "x", "imageID": "",
       "state": {"terminated": {"exitCode": 1, "reason": "Error", "message": "no such model"}}}]})");
    client::WriteOptions o;
    o.subresource = "status";
    return env_.client()->Replace(pods_, "default", "kn-predictor-00003-abc", *p, o).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return HasCondition("kn", "Ready", "False", "RevisionFailed"); }));
  Json st = IsvcStatus("kn");
  EXPECT_EQ(st["modelStatus"]["transitionStatus"], "BlockedByFailedLoad");
  EXPECT_EQ(st["modelStatus"]["lastFailureInfo"]["modelRevisionName"], "kn-predictor-00003");
  EXPECT_EQ(pct("kn-predictor-00003"), 0);
  EXPECT_EQ(pct("kn-predictor-00002"), 100);  // the latest ready revision
}

TEST_F(IsvcControllerTest, FailedStorageInitializerBlocksModel) {
  ASSERT_TRUE(CreateIsvc("gcs", R"({"model": {"modelFormat": {"name": "sklearn"},
      "storageUri": "gs://bucket/model"}})")
                  .ok());
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "gcs-predictor").ok(); }));
  Json pod = Json::parse(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "gcs-predictor-abc",
                 "labels": {"serving.kserve.io/inferenceservice": "gcs", "component": "predictor"}},
    "spec": {"containers": [{"name": "kserve-container", "image": "skiff/serve-sklearn"}]}})");
  ASSERT_TRUE(env_.client()->Create(pods_, "default", pod).ok());
  ASSERT_TRUE(Eventually([&] {
    auto p = Get(pods_, "default", "gcs-predictor-abc");
    if (!p.ok()) return false;
    (*p)["status"] = Json::parse(R"({"phase": "Pending", "initContainerStatuses": [
      {"name": "storage-initializer", "ready": false, "restartCount": 1, "image": "x", "imageID": "",
       "state": {"terminated": {"exitCode": 1, "reason": "Error",
         "message": "storage-initializer: gs://bucket/model: the gs:// scheme needs Google Cloud Storage\n"}}}]})");
    client::WriteOptions o;
    o.subresource = "status";
    return env_.client()->Replace(pods_, "default", "gcs-predictor-abc", *p, o).ok();
  }));
  ASSERT_TRUE(Eventually([&] {
    return IsvcStatus("gcs").value("modelStatus", Json::object()).value("transitionStatus", "") ==
           "BlockedByFailedLoad";
  }));
  EXPECT_TRUE(Eventually([&] { return HasCondition("gcs", "Ready", "False", "ModelLoadFailed"); }));
  Json ms = IsvcStatus("gcs")["modelStatus"];
  EXPECT_EQ(ms["states"]["targetModelState"], "FailedToLoad");
  EXPECT_EQ(ms["lastFailureInfo"]["reason"], "ModelLoadFailed");
  EXPECT_EQ(ms["lastFailureInfo"]["exitCode"], 1);
  EXPECT_EQ(ms["lastFailureInfo"]["location"], "gcs-predictor-abc");
  EXPECT_NE(ms["lastFailureInfo"]["message"].get<std::string>().find("Google Cloud Storage"),
            std::string::npos);
}

TEST_F(IsvcControllerTest, AdmissionRejectsInvalidSpecs) {
  auto minmax = CreateIsvc("mm", R"({"minReplicas": 4, "maxReplicas": 2,
      "model": {"modelFormat": {"name": "sklearn"}}})");
  ASSERT_FALSE(minmax.ok());
  EXPECT_NE(minmax.status().message().find("spec.predictor.minReplicas"), std::string::npos);
  EXPECT_NE(minmax.status().message().find("'MinReplicas' cannot be greater than MaxReplicas"),
            std::string::npos);
  // maxReplicas 0 means unbounded.
  EXPECT_TRUE(CreateIsvc("mm0", R"({"minReplicas": 4, "maxReplicas": 0,
      "model": {"modelFormat": {"name": "sklearn"}}})")
                  .ok());

  auto two = CreateIsvc("two", R"({"sklearn": {}, "model": {"modelFormat": {"name": "sklearn"}}})");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("exactly one of ["), std::string::npos);
  auto none = CreateIsvc("none", R"({"minReplicas": 1})");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("exactly one of ["), std::string::npos);

  auto canary = CreateIsvc("canary", R"({"canaryTrafficPercent": 150,
      "model": {"modelFormat": {"name": "sklearn"}}})");
  ASSERT_FALSE(canary.ok());
  EXPECT_NE(canary.status().message().find("spec.predictor.canaryTrafficPercent"),
            std::string::npos);

  auto name = CreateIsvc("9lives", kSklearn);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().message().find("must start with alphabetical character"),
            std::string::npos);

  auto scheme = CreateIsvc("scheme", R"({"model": {"modelFormat": {"name": "sklearn"},
      "storageUri": "ftp://host/m"}})");
  ASSERT_FALSE(scheme.ok());
  EXPECT_NE(scheme.status().message().find("StorageUri [ftp://host/m] is not supported"),
            std::string::npos);
  // The seeds' predictors are admitted; the LLM one has no huggingface runtime here.
  EXPECT_TRUE(CreateIsvc("fraud-detector", R"({"minReplicas": 1, "maxReplicas": 5, "model": {
      "modelFormat": {"name": "sklearn"},
      "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
      "resources": {"requests": {"cpu": "100m", "memory": "512Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"}}}})")
                  .ok());
  EXPECT_TRUE(CreateIsvc("qwen-llm", R"({"model": {"modelFormat": {"name": "huggingface"},
      "args": ["--model_id", "Qwen/Qwen2.5-0.5B-Instruct"]}})")
                  .ok());
  EXPECT_TRUE(Eventually(
      [&] { return HasCondition("qwen-llm", "Ready", "False", "NoSupportingRuntime"); }));
  EXPECT_TRUE(
      Eventually([&] { return Get(deployments_, "default", "fraud-detector-predictor").ok(); }));
  // An unknown format is not an admission error (Ready=False instead).
  EXPECT_TRUE(CreateIsvc("unknown-format", R"({"model": {"modelFormat": {"name": "nope"}}})").ok());
}

// S3 credentials reach the storage initializer from the service account's Secret, as upstream's
// credential builder puts them there; the server container gets none.
TEST_F(IsvcControllerTest, StorageCredentialsFromServiceAccountSecret) {
  client::ResourceInfo sas = env_.Resource("v1", "ServiceAccount");
  client::ResourceInfo secrets = env_.Resource("v1", "Secret");
  Json secret = Json::parse(R"({"apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "s3creds", "annotations": {"serving.kserve.io/s3-endpoint": "minio.local:9000",
                                                     "serving.kserve.io/s3-usehttps": "0"}},
    "stringData": {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}})");
  ASSERT_TRUE(env_.client()->Create(secrets, "default", secret).ok());
  Json sa = Json::parse(R"({"apiVersion": "v1", "kind": "ServiceAccount",
    "metadata": {"name": "models"}, "secrets": [{"name": "s3creds"}]})");
  ASSERT_TRUE(env_.client()->Create(sas, "default", sa).ok());
  ASSERT_TRUE(CreateIsvc("s3", R"({"serviceAccountName": "models", "model": {
      "modelFormat": {"name": "sklearn"}, "storageUri": "s3://bucket/iris"}})")
                  .ok());
  // The informers may see the isvc before the account or Secret: the credentials arrive by
  // the re-render their events trigger, if not at once.
  Json pod;
  std::map<std::string, Json> env;
  ASSERT_TRUE(Eventually([&] {
    auto d = Get(deployments_, "default", "s3-predictor");
    if (!d.ok()) return false;
    pod = (*d)["spec"]["template"]["spec"];
    env.clear();
    for (const Json& e : pod["initContainers"][0].value("env", Json::array())) {
      env[e["name"].get<std::string>()] = e;
    }
    return env.count("AWS_ACCESS_KEY_ID") > 0;
  }));
  EXPECT_EQ(env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]["name"], "s3creds");
  EXPECT_EQ(env["S3_ENDPOINT"]["value"], "minio.local:9000");
  EXPECT_EQ(env["S3_USE_HTTPS"]["value"], "0");
  EXPECT_FALSE(pod["containers"][0].contains("env") &&
               pod["containers"][0]["env"].dump().find("AWS_") != std::string::npos);
}

// A transformer: its own Deployment and Service with KServe's injected arguments, part of Ready,
// the entry point of status.address; removing it from the spec removes its objects.
TEST_F(IsvcControllerTest, TransformerStandardMode) {
  ASSERT_TRUE(CreateIsvc("tx", kSklearn).ok());
  ASSERT_TRUE(Eventually([&] {
    auto o = Get(isvcs_, "default", "tx");
    if (!o.ok()) return false;
    (*o)["spec"]["transformer"] = Json::parse(R"({"containers": [{"name": "kserve-container",
        "image": "me/transformer:1", "args": ["--http_port", "8080"]}]})");
    return env_.client()->Replace(isvcs_, "default", "tx", *o).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "tx-transformer").ok(); }));
  Json d = *Get(deployments_, "default", "tx-transformer");
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["component"], "transformer");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["args"],
            Json::parse(R"(["--http_port", "8080", "--model_name", "tx",
                            "--predictor_host", "tx-predictor.default"])"));
  EXPECT_TRUE(Get(services_, "default", "tx-transformer").ok());
  MarkDeploymentAvailable("tx-predictor");
  ASSERT_TRUE(Eventually([&] { return HasCondition("tx", "PredictorReady", "True"); }));
  EXPECT_TRUE(HasCondition("tx", "TransformerReady", "Unknown"));
  EXPECT_TRUE(HasCondition("tx", "Ready", "Unknown"));
  MarkDeploymentAvailable("tx-transformer");
  ASSERT_TRUE(Eventually([&] { return HasCondition("tx", "Ready", "True"); }));
  EXPECT_EQ(IsvcStatus("tx")["address"]["url"], "http://tx-transformer.default.svc.cluster.local");
  ASSERT_TRUE(Eventually([&] {
    auto o = Get(isvcs_, "default", "tx");
    if (!o.ok()) return false;
    (*o)["spec"].erase("transformer");
    return env_.client()->Replace(isvcs_, "default", "tx", *o).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return !Get(deployments_, "default", "tx-transformer").ok(); }));
  EXPECT_TRUE(Eventually([&] { return !Get(services_, "default", "tx-transformer").ok(); }));
  EXPECT_TRUE(Eventually([&] {
    return IsvcStatus("tx")["address"]["url"] == "http://tx-predictor.default.svc.cluster.local";
  }));
}

// The ingress domain comes from KServe's inferenceservice-config (and, in Knative mode, from
// Knative's config-domain); changing it re-writes the URLs.
TEST_F(IsvcControllerTest, IngressDomainFromConfigMaps) {
  client::ResourceInfo cms = env_.Resource("v1", "ConfigMap");
  client::ResourceInfo nss = env_.Resource("v1", "Namespace");
  for (const char* ns : {"kserve", "knative-serving"}) {
    Json n = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    ASSERT_TRUE(env_.client()->Create(nss, "", n).ok());
  }
  ASSERT_TRUE(CreateIsvc("dom", kSklearn).ok());
  ASSERT_TRUE(Eventually([&] { return IsvcStatus("dom")["url"] == "http://dom.default.example.com"; }));
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "inferenceservice-config"}, {"namespace", "kserve"}}},
             {"data", {{"ingress", R"({"ingressDomain": "models.corp"})"}}}};
  ASSERT_TRUE(env_.client()->Create(cms, "kserve", cm).ok());
  EXPECT_TRUE(Eventually([&] { return IsvcStatus("dom")["url"] == "http://dom.default.models.corp"; }));
  Json kn = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "config-domain"}, {"namespace", "knative-serving"}}},
             {"data", {{"_example", "docs"}, {"kn.corp", ""}}}};
  ASSERT_TRUE(env_.client()->Create(cms, "knative-serving", kn).ok());
  ASSERT_TRUE(
      CreateIsvc("kdom", kSklearn, R"({"serving.kserve.io/deploymentMode": "Knative"})").ok());
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "kdom-predictor-00001").ok(); }));
  MarkDeploymentAvailable("kdom-predictor-00001");
  EXPECT_TRUE(Eventually([&] { return IsvcStatus("kdom")["url"] == "http://kdom.default.kn.corp"; }));
}

// Switching the deployment mode removes the other mode's objects.
TEST_F(IsvcControllerTest, ModeSwitchRemovesTheOtherModesObjects) {
  ASSERT_TRUE(CreateIsvc("sw", kSklearn).ok());
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "sw-predictor").ok(); }));
  auto set_mode = [&](const std::string& mode) {
    ASSERT_TRUE(env_.client()
                    ->Patch(isvcs_, "default", "sw",
                            R"({"metadata": {"annotations": {"serving.kserve.io/deploymentMode": ")" +
                                mode + R"("}}})",
                            client::PatchOptions{})
                    .ok());
  };
  set_mode("Knative");
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "sw-predictor-00001").ok(); }))
      << IsvcStatus("sw").dump();
  EXPECT_TRUE(Eventually([&] { return !Get(deployments_, "default", "sw-predictor").ok(); }));
  EXPECT_TRUE(Eventually([&] { return !Get(services_, "default", "sw-predictor").ok(); }));
  set_mode("Standard");
  ASSERT_TRUE(Eventually([&] { return Get(deployments_, "default", "sw-predictor").ok(); }));
  EXPECT_TRUE(Eventually([&] { return !Get(deployments_, "default", "sw-predictor-00001").ok(); }));
  EXPECT_TRUE(Eventually([&] { return !Get(services_, "default", "sw-predictor-00001").ok(); }));
}

}  // namespace
}  // namespace skiff::controllers::inferenceservice
