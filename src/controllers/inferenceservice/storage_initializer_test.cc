// The storage-initializer container's shape (cache volume, mounts) and the Secret-derived
// credentials (upstream's S3 and GCS builders). The script itself is exercised by
// tests/python/test_storage_initializer.py.
#include "controllers/inferenceservice/storage_initializer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "controllers/inferenceservice/build.h"

namespace skiff::controllers::inferenceservice {
namespace {

const Json* Named(const Json& list, const std::string& name) {
  for (const Json& e : list) {
    if (e.value("name", "") == name) return &e;
  }
  return nullptr;
}

Json PodWithServer() {
  return Json::parse(R"({"containers": [{"name": "kserve-container", "image": "x"}]})");
}

TEST(AddStorageInitializer, RemoteModelGetsTheNodeCacheInTheInitContainerOnly) {
  Json pod = PodWithServer();
  Json* server = &pod["containers"][0];
  AddStorageInitializer("gs://kfserving-examples/models/sklearn/1.0/model", true, &pod, server);
  // A second call (another reconcile) adds nothing.
  AddStorageInitializer("gs://kfserving-examples/models/sklearn/1.0/model", true, &pod, server);

  ASSERT_EQ(pod["initContainers"].size(), 1u);
  const Json& init = pod["initContainers"][0];
  EXPECT_EQ(init["name"], "storage-initializer");
  EXPECT_FALSE(init.contains("command"));  // the image's own entrypoint, as upstream
  EXPECT_EQ(init["image"], "kserve/storage-initializer:latest");
  EXPECT_EQ(init["args"],
            Json::array({"gs://kfserving-examples/models/sklearn/1.0/model", "/mnt/models"}));
  EXPECT_EQ(init["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(init["resources"]["limits"]["memory"], "1Gi");
  ASSERT_EQ(init["volumeMounts"].size(), 2u);
  EXPECT_EQ(init["volumeMounts"][0],
            Json::parse(R"({"name": "kserve-provision-location", "mountPath": "/mnt/models"})"));
  EXPECT_EQ(init["volumeMounts"][1],
            Json::parse(R"({"name": "kserve-model-cache", "mountPath": "/mnt/model-cache"})"));
  EXPECT_EQ(init["env"], Json::parse(R"([{"name": "SKIFF_MODEL_CACHE_DIR",
      "value": "/mnt/model-cache"}, {"name": "SKIFF_MODEL_CACHE_LINK", "value": "1"}])"));

  ASSERT_EQ(pod["volumes"].size(), 2u);
  EXPECT_EQ(*Named(pod["volumes"], "kserve-provision-location"),
            Json::parse(R"({"name": "kserve-provision-location", "emptyDir": {}})"));
  EXPECT_EQ(*Named(pod["volumes"], "kserve-model-cache"),
            Json::parse(R"({"name": "kserve-model-cache", "hostPath":
                {"path": "/var/lib/skiff/model-cache", "type": "DirectoryOrCreate"}})"));
  // The server reads /mnt/models only.
  EXPECT_EQ(pod["containers"][0]["volumeMounts"],
            Json::parse(R"([{"name": "kserve-provision-location", "mountPath": "/mnt/models",
                "readOnly": true}])"));
}

TEST(AddStorageInitializer, WritableModelDirCopiesInsteadOfLinking) {
  Json pod = PodWithServer();
  AddStorageInitializer("s3://bucket/m", false, &pod, &pod["containers"][0],
                        {.cache_host_dir = "/srv/cache"});
  const Json& init = pod["initContainers"][0];
  EXPECT_EQ(*Named(init["env"], "SKIFF_MODEL_CACHE_LINK"),
            Json::parse(R"({"name": "SKIFF_MODEL_CACHE_LINK", "value": "0"})"));
  EXPECT_EQ((*Named(pod["volumes"], "kserve-model-cache"))["hostPath"]["path"], "/srv/cache");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["readOnly"], false);
}

TEST(AddStorageInitializer, LocalModelsAndADisabledCacheHaveNoCacheVolume) {
  for (const auto& [uri, dir] :
       {std::pair<std::string, std::string>{"file:///srv/m", kDefaultModelCacheDir},
        {"/srv/m", kDefaultModelCacheDir},
        {"https://host/m.tgz", ""}}) {
    Json pod = PodWithServer();
    AddStorageInitializer(uri, true, &pod, &pod["containers"][0], {.cache_host_dir = dir});
    EXPECT_EQ(pod["volumes"].size(), 1u) << uri;
    EXPECT_EQ(Named(pod["volumes"], "kserve-model-cache"), nullptr) << uri;
    EXPECT_EQ(pod["initContainers"][0]["volumeMounts"].size(), 1u) << uri;
    EXPECT_FALSE(pod["initContainers"][0].contains("env")) << uri;
  }
  // http(s) models are cached too.
  Json pod = PodWithServer();
  AddStorageInitializer("https://host/m.tgz", true, &pod, &pod["containers"][0]);
  EXPECT_NE(Named(pod["volumes"], "kserve-model-cache"), nullptr);
}

Json S3Secret() {
  return Json::parse(R"({"apiVersion": "v1", "kind": "Secret",
      "metadata": {"name": "s3creds", "annotations": {
        "serving.kserve.io/s3-endpoint": "minio.kubeflow:9000",
        "serving.kserve.io/s3-usehttps": "0",
        "serving.kserve.io/s3-region": "eu-west-1",
        "serving.kserve.io/s3-verifyssl": "0",
        "serving.kserve.io/s3-useanoncredential": "false",
        "unrelated": "x"}},
      "type": "Opaque",
      "data": {"AWS_ACCESS_KEY_ID": "bWluaW8=", "AWS_SECRET_ACCESS_KEY": "bWluaW8xMjM="}})");
}

Json GcsSecret() {
  return Json::parse(R"({"metadata": {"name": "gcscreds"},
      "data": {"gcloud-application-credentials.json": "e30="}})");
}

Json Sa(const std::vector<std::string>& secrets) {
  Json sa = Json::parse(R"({"apiVersion": "v1", "kind": "ServiceAccount",
      "metadata": {"name": "sa", "namespace": "default"}, "secrets": []})");
  for (const auto& s : secrets) sa["secrets"].push_back({{"name", s}});
  return sa;
}

const Json kIsvc = Json::parse(R"({"metadata": {"name": "m", "namespace": "default"}})");

TEST(StorageCredentialsFor, S3SecretGivesKeyRefsAndAnnotationKnobsAsUpstream) {
  Json token = Json::parse(R"({"metadata": {"name": "sa-token"}, "data": {"token": "eA=="}})");
  auto creds =
      StorageCredentialsFor(kIsvc, Sa({"sa-token", "s3creds"}), {token, S3Secret(), GcsSecret()});
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->env, Json::parse(R"([
      {"name": "AWS_ACCESS_KEY_ID",
       "valueFrom": {"secretKeyRef": {"name": "s3creds", "key": "AWS_ACCESS_KEY_ID"}}},
      {"name": "AWS_SECRET_ACCESS_KEY",
       "valueFrom": {"secretKeyRef": {"name": "s3creds", "key": "AWS_SECRET_ACCESS_KEY"}}},
      {"name": "S3_USE_HTTPS", "value": "0"},
      {"name": "S3_ENDPOINT", "value": "minio.kubeflow:9000"},
      {"name": "AWS_ENDPOINT_URL", "value": "http://minio.kubeflow:9000"},
      {"name": "S3_VERIFY_SSL", "value": "0"},
      {"name": "awsAnonymousCredential", "value": "false"},
      {"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"}])"));
  EXPECT_TRUE(creds->volumes.empty());
  EXPECT_TRUE(creds->volume_mounts.empty());
}

TEST(StorageCredentialsFor, GoDefaultKeyNamesAndHttpsEndpoint) {
  Json s = Json::parse(R"({"metadata": {"name": "s", "annotations": {
      "serving.kserve.io/s3-endpoint": "s3.amazonaws.com"}},
      "stringData": {"awsAccessKeyID": "a", "awsSecretAccessKey": "b"}})");
  auto creds = StorageCredentialsFor(kIsvc, Sa({"s"}), {s});
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->env, Json::parse(R"([
      {"name": "AWS_ACCESS_KEY_ID",
       "valueFrom": {"secretKeyRef": {"name": "s", "key": "awsAccessKeyID"}}},
      {"name": "AWS_SECRET_ACCESS_KEY",
       "valueFrom": {"secretKeyRef": {"name": "s", "key": "awsSecretAccessKey"}}},
      {"name": "S3_ENDPOINT", "value": "s3.amazonaws.com"},
      {"name": "AWS_ENDPOINT_URL", "value": "https://s3.amazonaws.com"}])"));
}

TEST(StorageCredentialsFor, GcsKeyIsMountedAtVarSecrets) {
  auto creds = StorageCredentialsFor(kIsvc, Sa({"gcscreds"}), {GcsSecret()});
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->env, Json::parse(R"([{"name": "GOOGLE_APPLICATION_CREDENTIALS",
      "value": "/var/secrets/gcloud-application-credentials.json"}])"));
  EXPECT_EQ(creds->volumes, Json::parse(R"([{"name": "user-gcp-sa",
      "secret": {"secretName": "gcscreds"}}])"));
  EXPECT_EQ(creds->volume_mounts, Json::parse(R"([{"name": "user-gcp-sa",
      "mountPath": "/var/secrets/", "readOnly": true}])"));
}

TEST(StorageCredentialsFor, AnnotatedSecretWinsOverTheServiceAccount) {
  Json isvc = kIsvc;
  isvc["metadata"]["annotations"]["serving.kserve.io/storageSecretName"] = "gcscreds";
  auto creds = StorageCredentialsFor(isvc, Sa({"s3creds"}), {S3Secret(), GcsSecret()});
  ASSERT_TRUE(creds.ok());
  ASSERT_EQ(creds->env.size(), 1u);
  EXPECT_EQ(creds->env[0]["name"], "GOOGLE_APPLICATION_CREDENTIALS");
}

TEST(StorageCredentialsFor, MissingAccountGivesNothingAndMissingSecretIsNotFound) {
  auto none = StorageCredentialsFor(kIsvc, Json(), {S3Secret()});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->env.empty());
  EXPECT_TRUE(none->volumes.empty());

  auto missing = StorageCredentialsFor(kIsvc, Sa({"gone"}), {S3Secret()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("secret \"gone\" (named by serviceAccount \"sa\")"),
            std::string::npos)
      << missing.status().message();
}

TEST(AddStorageCredentials, MergesIntoTheInitializerOnly) {
  Json pod = PodWithServer();
  AddStorageInitializer("s3://bucket/m", true, &pod, &pod["containers"][0]);
  auto s3 = StorageCredentialsFor(kIsvc, Sa({"s3creds", "gcscreds"}), {S3Secret(), GcsSecret()});
  ASSERT_TRUE(s3.ok());
  AddStorageCredentials(*s3, &pod);
  AddStorageCredentials(*s3, &pod);  // idempotent

  const Json& init = pod["initContainers"][0];
  // The cache env stays; S3 (8) and GCS (1) env follow, each once.
  EXPECT_EQ(init["env"].size(), 2u + 8u + 1u);
  EXPECT_EQ(init["env"][0]["name"], "SKIFF_MODEL_CACHE_DIR");
  EXPECT_EQ((*Named(init["env"], "AWS_ENDPOINT_URL"))["value"], "http://minio.kubeflow:9000");
  EXPECT_NE(Named(init["volumeMounts"], "user-gcp-sa"), nullptr);
  EXPECT_EQ(init["volumeMounts"].size(), 3u);
  EXPECT_EQ(pod["volumes"].size(), 3u);
  EXPECT_NE(Named(pod["volumes"], "user-gcp-sa"), nullptr);
  EXPECT_FALSE(pod["containers"][0].contains("env"));
  EXPECT_EQ(pod["containers"][0]["volumeMounts"].size(), 1u);

  Json bare = PodWithServer();
  AddStorageCredentials(*s3, &bare);
  EXPECT_EQ(bare, PodWithServer());
}

}  // namespace
}  // namespace skiff::controllers::inferenceservice
