// The storage-initializer init container and its node model cache volume, and the Secret-derived
// credentials upstream's CredentialBuilder gives it (pkg/credentials: s3, gcs).
#include "controllers/inferenceservice/storage_initializer.h"

#include <nlohmann/json.hpp>

#include "controllers/inferenceservice/build.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr char kGcsCredentialFile[] = "gcloud-application-credentials.json";
constexpr char kGcsVolume[] = "user-gcp-sa";
constexpr char kGcsMountPath[] = "/var/secrets/";
constexpr char kS3Annotation[] = "serving.kserve.io/s3-";

// A model the initializer downloads (so worth caching), as opposed to a local path.
bool IsRemote(const std::string& uri) {
  for (const char* p : {"http://", "https://", "s3://", "gs://"}) {
    if (uri.rfind(p, 0) == 0) return true;
  }
  return false;
}

const Json* Named(const Json& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const Json& e : list) {
    if (StringField(e, "name") == name) return &e;
  }
  return nullptr;
}

// Appends `item` to the array `*list` unless one of that name is there.
void AddNamed(Json* list, Json item) {
  if (!list->is_array()) *list = Json::array();
  if (Named(*list, StringField(item, "name")) == nullptr) list->push_back(std::move(item));
}

// Replaces the entry of that name, or appends (upstream's utils.MergeEnvs: the later wins).
void MergeEnv(Json* list, Json item) {
  if (!list->is_array()) *list = Json::array();
  for (Json& e : *list) {
    if (StringField(e, "name") == StringField(item, "name")) {
      e = std::move(item);
      return;
    }
  }
  list->push_back(std::move(item));
}

bool HasDataKey(const Json& secret, const char* key) {
  for (const char* field : {"data", "stringData"}) {
    const Json& d = Field(secret, field);
    if (d.is_object() && d.contains(key)) return true;
  }
  return false;
}

Json SecretEnv(const char* name, const std::string& secret, const char* key) {
  return {{"name", name}, {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}}}}}};
}

Json ValueEnv(const char* name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

// s3.BuildSecretEnvs + BuildS3EnvVars (with an empty inferenceservice-config `credentials.s3`).
void AddS3Env(const Json& secret, StorageCredentials* out) {
  std::string name = MetaString(secret, "name");
  // The stock inferenceservice-config names the keys AWS_*; the Go defaults are aws*.
  bool upper = HasDataKey(secret, "AWS_SECRET_ACCESS_KEY");
  MergeEnv(&out->env,
           SecretEnv("AWS_ACCESS_KEY_ID", name, upper ? "AWS_ACCESS_KEY_ID" : "awsAccessKeyID"));
  MergeEnv(&out->env, SecretEnv("AWS_SECRET_ACCESS_KEY", name,
                                upper ? "AWS_SECRET_ACCESS_KEY" : "awsSecretAccessKey"));
  const Json& ann = Field(Field(secret, "metadata"), "annotations");
  auto get = [&](const char* suffix, std::string* value) {
    const Json& v = Field(ann, (std::string(kS3Annotation) + suffix).c_str());
    if (!v.is_string()) return false;
    *value = v.get<std::string>();
    return true;
  };
  std::string endpoint, use_https, v;
  if (get("endpoint", &endpoint)) {
    std::string url = "https://" + endpoint;
    if (get("usehttps", &use_https)) {
      if (use_https == "0") url = "http://" + endpoint;
      MergeEnv(&out->env, ValueEnv("S3_USE_HTTPS", use_https));
    }
    MergeEnv(&out->env, ValueEnv("S3_ENDPOINT", endpoint));
    MergeEnv(&out->env, ValueEnv("AWS_ENDPOINT_URL", url));
  }
  static const std::pair<const char*, const char*> kKnobs[] = {
      {"verifyssl", "S3_VERIFY_SSL"},
      {"useanoncredential", "awsAnonymousCredential"},
      {"region", "AWS_DEFAULT_REGION"},
      {"usevirtualbucket", "S3_USER_VIRTUAL_BUCKET"},
      {"useaccelerate", "S3_USE_ACCELERATE"},
      {"cabundle", "AWS_CA_BUNDLE"},
      {"cabundle-configmap", "AWS_CA_BUNDLE_CONFIGMAP"}};
  for (const auto& [suffix, env_name] : kKnobs) {
    if (get(suffix, &v)) MergeEnv(&out->env, ValueEnv(env_name, v));
  }
}

// gcs.BuildSecretVolume and the GOOGLE_APPLICATION_CREDENTIALS env.
void AddGcsCredentials(const Json& secret, StorageCredentials* out) {
  AddNamed(&out->volumes,
           {{"name", kGcsVolume}, {"secret", {{"secretName", MetaString(secret, "name")}}}});
  AddNamed(&out->volume_mounts,
           {{"name", kGcsVolume}, {"mountPath", kGcsMountPath}, {"readOnly", true}});
  MergeEnv(&out->env, ValueEnv("GOOGLE_APPLICATION_CREDENTIALS",
                               std::string(kGcsMountPath) + kGcsCredentialFile));
}

}  // namespace

void AddStorageInitializer(const std::string& uri, bool read_only, Json* pod, Json* container,
                           const StorageInitializerOptions& options) {
  AddNamed(&(*pod)["volumes"], {{"name", kProvisionVolume}, {"emptyDir", Json::object()}});
  Json init = {
      {"name", kStorageInitializer},
      // Upstream's image and arguments: a cluster runs KServe's own; Skiff's node agent runs
      // skiff-storage-initializer for it (src/runtimes/storage), which copies local paths
      // natively and hands other schemes to StorageInitializerScript().
      {"image", "kserve/storage-initializer:latest"},
      {"args", Json::array({uri, kModelDir})},
      {"resources",
       {{"requests", {{"cpu", "100m"}, {"memory", "100Mi"}}},
        {"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}}},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"volumeMounts", Json::array({{{"name", kProvisionVolume}, {"mountPath", kModelDir}}})}};
  if (IsRemote(uri) && !options.cache_host_dir.empty()) {
    // Only the init container sees the cache; the server reads its own copy in /mnt/models
    // (hard links when that is read-only and the kernel allows them, else copies).
    AddNamed(&(*pod)["volumes"],
             {{"name", kModelCacheVolume},
              {"hostPath", {{"path", options.cache_host_dir}, {"type", "DirectoryOrCreate"}}}});
    init["volumeMounts"].push_back({{"name", kModelCacheVolume}, {"mountPath", kModelCacheMount}});
    init["env"] = Json::array({ValueEnv("SKIFF_MODEL_CACHE_DIR", kModelCacheMount),
                               ValueEnv("SKIFF_MODEL_CACHE_LINK", read_only ? "1" : "0")});
  }
  AddNamed(&(*pod)["initContainers"], std::move(init));
  Json& mounts = (*container)["volumeMounts"];
  if (!mounts.is_array()) mounts = Json::array();
  for (const Json& m : mounts) {
    if (StringField(m, "mountPath") == kModelDir) return;
  }
  mounts.push_back({{"name", kProvisionVolume}, {"mountPath", kModelDir}, {"readOnly", read_only}});
}

StatusOr<StorageCredentials> StorageCredentialsFor(const Json& isvc, const Json& service_account,
                                                   const std::vector<Json>& secrets) {
  std::vector<std::string> names;
  std::string from;
  std::string annotated =
      StringField(Field(Field(isvc, "metadata"), "annotations"), kStorageSecretNameAnnotation);
  if (!annotated.empty()) {
    names.push_back(annotated);
    from = std::string("annotation ") + kStorageSecretNameAnnotation;
  } else {
    for (const Json& ref : Field(service_account, "secrets")) {
      std::string n = StringField(ref, "name");
      if (!n.empty()) names.push_back(n);
    }
    from = "serviceAccount \"" + MetaString(service_account, "name") + "\"";
  }
  StorageCredentials out;
  for (const std::string& name : names) {
    const Json* secret = nullptr;
    for (const Json& s : secrets) {
      if (MetaString(s, "name") == name) secret = &s;
    }
    if (secret == nullptr) {
      return NotFound("secret \"" + name + "\" (named by " + from + ") not found");
    }
    // Upstream's order: the first kind a Secret's keys match decides.
    if (HasDataKey(*secret, "AWS_SECRET_ACCESS_KEY") || HasDataKey(*secret, "awsSecretAccessKey")) {
      AddS3Env(*secret, &out);
    } else if (HasDataKey(*secret, kGcsCredentialFile)) {
      AddGcsCredentials(*secret, &out);
    }
  }
  return out;
}

void AddStorageCredentials(const StorageCredentials& creds, Json* pod_spec) {
  if (!Field(*pod_spec, "initContainers").is_array()) return;
  for (Json& c : (*pod_spec)["initContainers"]) {
    if (StringField(c, "name") != kStorageInitializer) continue;
    for (const Json& e : creds.env) MergeEnv(&c["env"], e);
    for (const Json& m : creds.volume_mounts) AddNamed(&c["volumeMounts"], m);
    for (const Json& v : creds.volumes) AddNamed(&(*pod_spec)["volumes"], v);
    return;
  }
}

}  // namespace skiff::controllers::inferenceservice
