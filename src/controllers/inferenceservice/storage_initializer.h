// The predictor's `storage-initializer` init container (reference/kserve.md §9): the program it
// runs, the node model cache it shares, and the credentials it gets from Secrets as upstream's
// CredentialBuilder attaches them. Pure functions over JSON; unit-tested beside.
#pragma once

#include <nlohmann/json.hpp>  // StorageCredentials holds Json by value; folder-private header
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers::inferenceservice {

inline constexpr char kModelCacheVolume[] = "kserve-model-cache";
inline constexpr char kModelCacheMount[] = "/mnt/model-cache";
inline constexpr char kDefaultModelCacheDir[] = "/var/lib/skiff/model-cache";
// The isvc annotation naming one Secret to take credentials from instead of the service
// account's (upstream's default credentials.storageSecretNameAnnotation).
inline constexpr char kStorageSecretNameAnnotation[] = "serving.kserve.io/storageSecretName";

struct StorageInitializerOptions {
  // Host directory of the node's model cache (a hostPath volume of the init container only) for
  // http(s)://, s3:// and gs:// models; "" = no cache, every pod downloads.
  std::string cache_host_dir = kDefaultModelCacheDir;
};

// Python source of the storage initializer (argv: storageUri, destination). Its environment:
// S3 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, S3_ENDPOINT,
// S3_USE_HTTPS, S3_VERIFY_SSL, AWS_CA_BUNDLE, AWS_DEFAULT_REGION / AWS_REGION,
// awsAnonymousCredential, S3_USER_VIRTUAL_BUCKET), GCS (GOOGLE_APPLICATION_CREDENTIALS,
// GOOGLE_OAUTH_ACCESS_TOKEN, STORAGE_EMULATOR_HOST), STORAGE_CONFIG, and the cache's
// SKIFF_MODEL_CACHE_DIR / SKIFF_MODEL_CACHE_LINK (docs/inferenceservice.md "Storage").
const char* StorageInitializerScript();

// Adds the `storage-initializer` init container that fetches `uri` into /mnt/models, its
// emptyDir volume, and the model mount of `container` (the kserve-container), read-only unless
// `read_only` is false. For a remote uri (http, https, s3, gs) with a cache dir, also the
// hostPath volume kserve-model-cache mounted in the init container only. Not for pvc://
// (mounted directly). Idempotent.
void AddStorageInitializer(const std::string& uri, bool read_only, Json* pod, Json* container,
                           const StorageInitializerOptions& options = {});

// What the storage-initializer container gets from Secrets.
struct StorageCredentials {
  Json env = Json::array();            // EnvVar objects (value or valueFrom.secretKeyRef)
  Json volumes = Json::array();        // pod volumes (the GCS key's secret volume)
  Json volume_mounts = Json::array();  // the init container's mounts of those volumes
};

// Upstream's rules (CredentialBuilder.CreateSecretVolumeAndEnv): the Secret named by the isvc's
// serving.kserve.io/storageSecretName annotation, else each Secret listed in `service_account`'s
// `secrets` (the predictor's serviceAccountName, "default" when unset; a null Json when that
// account does not exist gives no credentials). A Secret with data key AWS_SECRET_ACCESS_KEY
// (or awsSecretAccessKey) gives S3 env from its keys and serving.kserve.io/s3-* annotations; one
// with gcloud-application-credentials.json gives the user-gcp-sa volume at /var/secrets/ and
// GOOGLE_APPLICATION_CREDENTIALS; others are skipped. `secrets` are the namespace's Secrets
// (those not named are ignored). NotFound when a named Secret is not among them.
StatusOr<StorageCredentials> StorageCredentialsFor(const Json& isvc, const Json& service_account,
                                                   const std::vector<Json>& secrets);

// Merges `creds` into the storage-initializer init container of `pod_spec` (env by name, later
// wins; volumes and mounts by name). No-op when the pod has no storage initializer.
void AddStorageCredentials(const StorageCredentials& creds, Json* pod_spec);

}  // namespace skiff::controllers::inferenceservice
