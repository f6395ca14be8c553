// Pure rendering: built-in runtimes, legacy predictor conversion, the runtime selection matrix,
// {{.Name}} templating, the Deployment/Service shape and the storage initializer.
#include "controllers/inferenceservice/build.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/inferenceservice/builtin_runtimes.h"

namespace skiff::controllers::inferenceservice {
namespace {

Json Builtin(const std::string& name) {
  for (Json& rt : BuiltinRuntimes()) {
    if (rt["metadata"]["name"] == name) return rt;
  }
  return Json();
}

Json MakeRuntime(const std::string& name, const std::string& formats,
                 const std::string& protocols = R"(["v1", "v2"])",
                 const std::string& created = "2026-01-01T00:00:00Z") {
  Json rt = Json::parse(R"({"metadata": {}, "spec": {"containers": [{"name": "kserve-container",
      "image": "img"}]}})");
  rt["metadata"]["name"] = name;
  rt["metadata"]["creationTimestamp"] = created;
  rt["spec"]["supportedModelFormats"] = Json::parse(formats);
  rt["spec"]["protocolVersions"] = Json::parse(protocols);
  return rt;
}

ModelRequest Req(const std::string& format, const std::string& version = "",
                 const std::string& protocol = "v1", const std::string& runtime = "") {
  return ModelRequest{format, version, protocol, runtime};
}

std::string Chosen(const RuntimeChoice& c) {
  return c.runtime ? (*c.runtime)["metadata"]["name"].get<std::string>() : "<" + c.reason + ">";
}

Json SeedIsvc() {
  return Json::parse(R"({
    "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
    "metadata": {"name": "fraud-detector", "namespace": "ml-prod", "uid": "u1"},
    "spec": {"predictor": {"minReplicas": 2, "maxReplicas": 5,
      "model": {"modelFormat": {"name": "sklearn"},
                "storageUri": "file:///srv/models/fraud",
                "args": ["--workers=2"],
                "env": [{"name": "PREDICT_PROBA", "value": "true"}],
                "resources": {"requests": {"cpu": "100m", "memory": "512Mi"},
                              "limits": {"cpu": "1", "memory": "1Gi"}}}}}})");
}

const Json* Named(const Json& list, const std::string& name) {
  for (const Json& e : list) {
    if (e.value("name", "") == name) return &e;
  }
  return nullptr;
}

TEST(BuiltinRuntimes, UpstreamNamesFormatsAndSkiffImages) {
  Json sk = Builtin("kserve-sklearnserver");
  ASSERT_TRUE(sk.is_object());
  EXPECT_EQ(sk["spec"]["supportedModelFormats"][0]["name"], "sklearn");
  EXPECT_EQ(sk["spec"]["supportedModelFormats"][0]["version"], "1");
  EXPECT_EQ(sk["spec"]["supportedModelFormats"][0]["autoSelect"], true);
  EXPECT_EQ(sk["spec"]["supportedModelFormats"][0]["priority"], 1);
  EXPECT_EQ(sk["spec"]["protocolVersions"], Json::parse(R"(["v1", "v2"])"));
  EXPECT_EQ(sk["spec"]["containers"][0]["name"], "kserve-container");
  EXPECT_EQ(sk["spec"]["containers"][0]["image"], "skiff/serve-sklearn");
  EXPECT_EQ(sk["spec"]["containers"][0]["args"][0], "--model_name={{.Name}}");
  EXPECT_EQ(Builtin("kserve-xgbserver")["spec"]["containers"][0]["image"], "skiff/serve-xgboost");
  EXPECT_EQ(Builtin("kserve-torchserve")["spec"]["supportedModelFormats"][0]["name"], "pytorch");
  EXPECT_EQ(sk["metadata"]["labels"][kBuiltinLabel], "true");
}

TEST(NormalizePredictor, LegacyFrameworkBecomesModel) {
  Json p = NormalizePredictor(Json::parse(
      R"({"minReplicas": 1, "xgboost": {"storageUri": "file:///m", "protocolVersion": "v2"}})"));
  EXPECT_FALSE(p.contains("xgboost"));
  EXPECT_EQ(p["model"]["modelFormat"]["name"], "xgboost");
  EXPECT_EQ(p["model"]["storageUri"], "file:///m");
  EXPECT_EQ(p["minReplicas"], 1);
  ModelRequest r = ModelRequestOf(p);
  EXPECT_EQ(r.format, "xgboost");
  EXPECT_EQ(r.protocol, "v2");
  EXPECT_EQ(NormalizePredictor(Json::parse(R"({"pytorch": {}})"))["model"]["modelFormat"]["name"],
            "pytorch");
  // A model predictor and a custom one are unchanged; protocol defaults to v1.
  Json m = Json::parse(R"({"model": {"modelFormat": {"name": "sklearn", "version": "1"}}})");
  EXPECT_EQ(NormalizePredictor(m), m);
  EXPECT_EQ(ModelRequestOf(m).protocol, "v1");
  EXPECT_EQ(ModelRequestOf(m).version, "1");
  Json triton = Json::parse(R"({"model": {"modelFormat": {"name": "triton"}}})");
  EXPECT_EQ(ModelRequestOf(triton).protocol, "v2");
}

TEST(SelectRuntime, BuiltinsByFormat) {
  std::vector<Json> cluster = BuiltinRuntimes();
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn"), {}, cluster)), "kserve-sklearnserver");
  EXPECT_EQ(Chosen(SelectRuntime(Req("SKLearn"), {}, cluster)), "kserve-sklearnserver");
  EXPECT_EQ(Chosen(SelectRuntime(Req("xgboost", "2"), {}, cluster)), "kserve-xgbserver");
  EXPECT_EQ(Chosen(SelectRuntime(Req("pytorch"), {}, cluster)), "kserve-torchserve");
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "v2"), {}, cluster)), "kserve-sklearnserver");
  // Version is an exact string match: "1.2" is not "1".
  RuntimeChoice none = SelectRuntime(Req("sklearn", "1.2"), {}, cluster);
  EXPECT_EQ(Chosen(none), "<NoSupportingRuntime>");
  EXPECT_EQ(none.message, "No runtime found to support specified framework/version");
  EXPECT_EQ(none.condition_message,
            "No runtime found to support predictor with model type: {sklearn 1.2} and protocol "
            "version v1");
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "grpc-v1"), {}, cluster)),
            "<NoSupportingRuntime>");
  EXPECT_EQ(Chosen(SelectRuntime(Req("tensorflow"), {}, cluster)), "<NoSupportingRuntime>");
}

TEST(SelectRuntime, PriorityNamespacedFirstDisabledAndAutoSelect) {
  // upstream: sklearn v2 prefers MLServer (priority 2) over the sklearn server (1); with v1
  // MLServer (v2 only) is excluded.
  std::vector<Json> cluster = BuiltinRuntimes();
  cluster.push_back(MakeRuntime(
      "kserve-mlserver",
      R"([{"name": "sklearn", "version": "1", "autoSelect": true, "priority": 2}])", R"(["v2"])"));
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "v2"), {}, cluster)), "kserve-mlserver");
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn"), {}, cluster)), "kserve-sklearnserver");

  // A namespaced runtime wins over any cluster runtime, whatever its priority.
  std::vector<Json> ns = {
      MakeRuntime("my-sklearn", R"([{"name": "sklearn", "autoSelect": true, "priority": 1}])")};
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "v2"), ns, cluster)), "my-sklearn");
  // Disabled ones are skipped; autoSelect false is not auto-selected but may be named.
  ns[0]["spec"]["disabled"] = true;
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn"), ns, cluster)), "kserve-sklearnserver");
  ns[0]["spec"]["disabled"] = false;
  ns[0]["spec"]["supportedModelFormats"][0]["autoSelect"] = false;
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn"), ns, cluster)), "kserve-sklearnserver");
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "v1", "my-sklearn"), ns, cluster)),
            "my-sklearn");

  // Same priority: lowest protocol offered first, then newest, then name.
  std::vector<Json> tie = {MakeRuntime("b", R"([{"name": "m", "autoSelect": true}])", R"(["v1"])",
                                       "2026-01-01T00:00:00Z"),
                           MakeRuntime("a", R"([{"name": "m", "autoSelect": true}])", R"(["v1"])",
                                       "2026-01-01T00:00:00Z")};
  EXPECT_EQ(Chosen(SelectRuntime(Req("m"), tie, {})), "a");
  tie[0]["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z";
  EXPECT_EQ(Chosen(SelectRuntime(Req("m"), tie, {})), "b");
  std::vector<Json> proto = {MakeRuntime("v1v2-old", R"([{"name": "m", "autoSelect": true}])",
                                         R"(["v2", "v1"])", "2026-01-01T00:00:00Z"),
                             MakeRuntime("v2-new", R"([{"name": "m", "autoSelect": true}])",
                                         R"(["v2"])", "2026-03-01T00:00:00Z")};
  EXPECT_EQ(Chosen(SelectRuntime(Req("m", "", "v2"), proto, {})), "v1v2-old");
  proto[1]["spec"]["supportedModelFormats"][0]["priority"] = 5;
  EXPECT_EQ(Chosen(SelectRuntime(Req("m", "", "v2"), proto, {})), "v2-new");
}

TEST(SelectRuntime, ExplicitNameRules) {
  std::vector<Json> cluster = BuiltinRuntimes();
  std::vector<Json> ns = {
      MakeRuntime("kserve-sklearnserver", R"([{"name": "sklearn", "autoSelect": false}])")};
  RuntimeChoice c = SelectRuntime(Req("sklearn", "", "v1", "kserve-sklearnserver"), ns, cluster);
  EXPECT_EQ(Chosen(c), "kserve-sklearnserver");
  EXPECT_FALSE(c.cluster);  // the namespaced one of the same name wins
  c = SelectRuntime(Req("sklearn", "", "v1", "kserve-sklearnserver"), {}, cluster);
  EXPECT_TRUE(c.cluster);

  c = SelectRuntime(Req("sklearn", "", "v1", "nope"), ns, cluster);
  EXPECT_EQ(Chosen(c), "<RuntimeNotRecognized>");
  EXPECT_EQ(c.condition_message,
            "No ServingRuntimes or ClusterServingRuntimes with the name: nope");
  EXPECT_EQ(Chosen(SelectRuntime(Req("xgboost", "", "v1", "kserve-sklearnserver"), {}, cluster)),
            "<InvalidPredictorSpec>");
  EXPECT_EQ(
      SelectRuntime(Req("sklearn", "", "grpc-v2", "kserve-sklearnserver"), {}, cluster).message,
      "Specified runtime does not support specified protocol version");
  ASSERT_EQ(cluster[0]["metadata"]["name"], "kserve-sklearnserver");
  cluster[0]["spec"]["disabled"] = true;
  EXPECT_EQ(Chosen(SelectRuntime(Req("sklearn", "", "v1", "kserve-sklearnserver"), {}, cluster)),
            "<RuntimeDisabled>");
}

TEST(ApplyTemplate, NameNamespaceAnnotationsLabels) {
  Json meta = Json::parse(R"({"name": "iris", "namespace": "ml",
      "annotations": {"modelFormat": "sklearn"}, "labels": {"team": "a"}})");
  Json doc = Json::parse(R"({"args": ["--model_name={{.Name}}", "--ns={{ .Namespace }}",
      "--f={{.Annotations.modelFormat}}", "{{.Labels.team}}-{{.Name}}", "{{.Unknown}}", "plain"],
      "n": 3})");
  ApplyTemplate(doc, meta);
  EXPECT_EQ(doc["args"], Json::parse(R"(["--model_name=iris", "--ns=ml", "--f=sklearn", "a-iris",
      "{{.Unknown}}", "plain"])"));
  EXPECT_EQ(doc["n"], 3);
}

TEST(RenderPredictor, SeedShapeOnSklearnRuntime) {
  auto r = RenderPredictor(SeedIsvc(), Builtin("kserve-sklearnserver"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& d = r->deployment;
  EXPECT_EQ(d["metadata"]["name"], "fraud-detector-predictor");
  EXPECT_EQ(d["metadata"]["namespace"], "ml-prod");
  EXPECT_EQ(d["metadata"]["labels"]["serving.kserve.io/inferenceservice"], "fraud-detector");
  EXPECT_EQ(d["metadata"]["labels"]["component"], "predictor");
  EXPECT_EQ(d["metadata"]["ownerReferences"][0]["kind"], "InferenceService");
  EXPECT_EQ(d["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"]["app"], "isvc.fraud-detector-predictor");
  const Json& tmpl = d["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["labels"]["app"], "isvc.fraud-detector-predictor");
  const Json& pod = tmpl["spec"];
  EXPECT_FALSE(pod.contains("minReplicas"));
  EXPECT_FALSE(pod.contains("model"));
  ASSERT_EQ(pod["containers"].size(), 1u);
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "kserve-container");
  EXPECT_EQ(c["image"], "skiff/serve-sklearn");
  EXPECT_EQ(c["args"], Json::parse(R"(["--model_name=fraud-detector", "--model_dir=/mnt/models",
      "--http_port=8080", "--exit_on_load_failure", "--workers=2"])"));
  EXPECT_EQ(c["env"][0]["name"], "PREDICT_PROBA");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "512Mi");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "1Gi");
  EXPECT_FALSE(c.contains("modelFormat"));
  EXPECT_FALSE(c.contains("storageUri"));
  const Json* mount = Named(c["volumeMounts"], "kserve-provision-location");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ((*mount)["mountPath"], "/mnt/models");
  EXPECT_EQ((*mount)["readOnly"], true);
  // Storage initializer.
  ASSERT_EQ(pod["initContainers"].size(), 1u);
  const Json& init = pod["initContainers"][0];
  EXPECT_EQ(init["name"], "storage-initializer");
  EXPECT_EQ(init["image"], "kserve/storage-initializer:latest");
  EXPECT_EQ(init["args"], Json::parse(R"(["file:///srv/models/fraud", "/mnt/models"])"));
  EXPECT_EQ(init["volumeMounts"][0]["mountPath"], "/mnt/models");
  EXPECT_FALSE(init["volumeMounts"][0].contains("readOnly"));
  const Json* vol = Named(pod["volumes"], "kserve-provision-location");
  ASSERT_NE(vol, nullptr);
  EXPECT_TRUE((*vol)["emptyDir"].is_object());
  // Service.
  const Json& s = r->service;
  EXPECT_EQ(s["metadata"]["name"], "fraud-detector-predictor");
  EXPECT_EQ(s["spec"]["selector"]["app"], "isvc.fraud-detector-predictor");
  EXPECT_EQ(s["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 8080);
}

TEST(RenderPredictor, PvcMountImageOverrideAndReadWrite) {
  Json isvc = SeedIsvc();
  Json& model = isvc["spec"]["predictor"]["model"];
  model["storageUri"] = "pvc://models/iris/v1/";
  model["runtimeVersion"] = "2.0";
  isvc["metadata"]["annotations"]["storage.kserve.io/readonly"] = "false";
  isvc["spec"]["predictor"].erase("minReplicas");
  auto r = RenderPredictor(isvc, Builtin("kserve-sklearnserver"));
  ASSERT_TRUE(r.ok());
  const Json& pod = r->deployment["spec"]["template"]["spec"];
  EXPECT_EQ(r->deployment["spec"]["replicas"], 1);
  EXPECT_FALSE(pod.contains("initContainers"));
  const Json* vol = Named(pod["volumes"], "kserve-pvc-source");
  ASSERT_NE(vol, nullptr);
  EXPECT_EQ((*vol)["persistentVolumeClaim"]["claimName"], "models");
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "skiff/serve-sklearn:2.0");
  const Json* mount = Named(c["volumeMounts"], "kserve-pvc-source");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ((*mount)["subPath"], "iris/v1");
  EXPECT_EQ((*mount)["readOnly"], false);
  // An explicit image beats runtimeVersion.
  model["image"] = "my/server:7";
  r = RenderPredictor(isvc, Builtin("kserve-sklearnserver"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deployment["spec"]["template"]["spec"]["containers"][0]["image"], "my/server:7");
}

TEST(RenderPredictor, CustomContainersAndStorageUriEnv) {
  Json isvc = Json::parse(R"({"apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService", "metadata": {"name": "custom", "namespace": "d", "uid": "u"},
    "spec": {"predictor": {"labels": {"team": "x"}, "containers": [
      {"name": "sidecar", "image": "busybox"},
      {"name": "kserve-container", "image": "my/img", "args": ["--name={{.Name}}"],
       "ports": [{"containerPort": 9000}],
       "env": [{"name": "STORAGE_URI", "value": "https://example.org/m.tgz"}]}]}}})");
  auto r = RenderPredictor(isvc, Json());
  ASSERT_TRUE(r.ok());
  const Json& pod = r->deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"].size(), 2u);
  EXPECT_EQ(pod["containers"][1]["args"][0], "--name=custom");
  EXPECT_EQ(pod["initContainers"][0]["args"][0], "https://example.org/m.tgz");
  EXPECT_NE(Named(pod["containers"][1]["volumeMounts"], "kserve-provision-location"), nullptr);
  EXPECT_EQ(pod["containers"][0].value("volumeMounts", Json()).is_null(), true);
  EXPECT_EQ(r->service["spec"]["ports"][0]["targetPort"], 9000);
  EXPECT_EQ(r->deployment["spec"]["template"]["metadata"]["labels"]["team"], "x");
  // Neither model nor containers.
  isvc["spec"]["predictor"].erase("containers");
  EXPECT_FALSE(RenderPredictor(isvc, Json()).ok());
}

TEST(RenderPredictor, RuntimeWithoutKserveContainerIsAnError) {
  Json rt = Builtin("kserve-sklearnserver");
  rt["spec"]["containers"][0]["name"] = "other";
  auto r = RenderPredictor(SeedIsvc(), rt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("kserve-container"), std::string::npos);
}

// batcher and logger become the Skiff model server's flags (KServe's agent is built in);
// with a server that is not Skiff's they are refused.
TEST(RenderPredictor, BatcherAndLoggerBecomeServerFlags) {
  Json isvc = SeedIsvc();
  isvc["spec"]["predictor"]["batcher"] = {{"maxBatchSize", 16}};
  isvc["spec"]["predictor"]["logger"] = {{"url", "http://sink.ml:8000/"}, {"mode", "request"}};
  auto r = RenderPredictor(isvc, Builtin("kserve-sklearnserver"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& args = r->deployment["spec"]["template"]["spec"]["containers"][0]["args"];
  auto has = [&](const std::string& a) {
    for (const Json& x : args) {
      if (x == a) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("--max_batch_size=16"));
  EXPECT_TRUE(has("--max_latency_ms=5000"));  // the agent's default
  EXPECT_TRUE(has("--logger_url=http://sink.ml:8000/"));
  EXPECT_TRUE(has("--logger_mode=request"));

  Json custom = SeedIsvc();
  custom["spec"]["predictor"] = {
      {"containers", Json::array({{{"name", "kserve-container"}, {"image", "me/server:1"}}})},
      {"logger", {{"mode", "all"}}}};
  auto bad = RenderPredictor(custom, Json());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("agent"), std::string::npos);
}

TEST(DeploymentMode, AnnotationSpellings) {
  Json isvc = Json::parse(R"({"metadata": {"annotations": {}}})");
  EXPECT_EQ(DeploymentMode(isvc), "Standard");
  for (const char* v : {"Standard", "RawDeployment"}) {
    isvc["metadata"]["annotations"][kDeploymentModeAnnotation] = v;
    EXPECT_EQ(DeploymentMode(isvc), "Standard");
  }
  for (const char* v : {"Knative", "Serverless"}) {
    isvc["metadata"]["annotations"][kDeploymentModeAnnotation] = v;
    EXPECT_EQ(DeploymentMode(isvc), "Knative");
  }
}

}  // namespace
}  // namespace skiff::controllers::inferenceservice
