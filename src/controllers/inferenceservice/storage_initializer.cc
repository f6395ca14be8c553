// The storage initializer: the Python program the predictor's `storage-initializer` init
// container runs to put the model at /mnt/models (reference/kserve.md section 9).
#include "controllers/inferenceservice/storage_initializer.h"

#include <nlohmann/json.hpp>

#include "controllers/inferenceservice/build.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr char kStorageScript[] = R"py(
import os, shutil, sys, tarfile, urllib.parse, urllib.request, zipfile
uri, out = sys.argv[1], sys.argv[2]
def fail(msg):
    print(f"storage-initializer: {uri}: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)
os.makedirs(out, exist_ok=True)
def copy(src):
    if os.path.isdir(src):
        shutil.copytree(src, out, dirs_exist_ok=True)
    elif os.path.isfile(src):
        shutil.copy2(src, os.path.join(out, os.path.basename(src)))
    else:
        fail(f"{src} does not exist")
def unpack(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z: z.extractall(out)
    elif path.endswith((".tar", ".tar.gz", ".tgz")):
        with tarfile.open(path) as t: t.extractall(out)
    else:
        return
    os.remove(path)
u = urllib.parse.urlparse(uri)
cloud = {"gs": "Google Cloud Storage", "s3": "Amazon S3", "hdfs": "HDFS", "webhdfs": "WebHDFS",
         "hf": "the Hugging Face Hub", "modelscope": "ModelScope", "oci": "an OCI registry"}
if uri.startswith("/"):
    copy(uri)
elif u.scheme == "file":
    copy(uri[len("file://"):])
elif u.scheme in ("http", "https") and u.netloc.endswith(".blob.core.windows.net"):
    fail("Azure Blob Storage is not implemented by Skiff's storage initializer, and this host "
         "cannot reach it; use file://, an absolute path, pvc://<claim>/<path> or http(s)://")
elif u.scheme in ("http", "https"):
    name = os.path.basename(u.path) or "model"
    dest = os.path.join(out, name)
    try:
        with urllib.request.urlopen(uri, timeout=60) as r, open(dest, "wb") as f:
            shutil.copyfileobj(r, f)
    except Exception as e:
        fail(f"download failed: {e}")
    unpack(dest)
elif u.scheme.split("+")[0] in cloud:
    fail(f"the {u.scheme}:// scheme needs {cloud[u.scheme.split('+')[0]]}, which Skiff's storage "
         "initializer does not implement yet (and this host cannot reach); use file://, an "
         "absolute path, pvc://<claim>/<path> or http(s)://")
else:
    fail("unsupported storageUri scheme")
n = sum(len(files) for _, _, files in os.walk(out))
print(f"storage-initializer: {uri} -> {out} ({n} files)", flush=True)
)py";

}  // namespace

const char* StorageInitializerScript() { return kStorageScript; }

void AddStorageInitializer(const std::string& uri, bool read_only, Json* pod, Json* container) {
  Json& volumes = (*pod)["volumes"];
  if (!volumes.is_array()) volumes = Json::array();
  bool have_volume = false;
  for (const Json& v : volumes) have_volume = have_volume || StringField(v, "name") == kProvisionVolume;
  if (!have_volume) volumes.push_back({{"name", kProvisionVolume}, {"emptyDir", Json::object()}});
  Json init = {
      {"name", kStorageInitializer},
      {"image", "kserve/storage-initializer:latest"},
      {"command", Json::array({"/usr/bin/python3", "-c", kStorageScript})},
      {"args", Json::array({uri, kModelDir})},
      {"resources",
       {{"requests", {{"cpu", "100m"}, {"memory", "100Mi"}}},
        {"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}}},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"volumeMounts", Json::array({{{"name", kProvisionVolume}, {"mountPath", kModelDir}}})}};
  Json& inits = (*pod)["initContainers"];
  if (!inits.is_array()) inits = Json::array();
  bool have_init = false;
  for (const Json& c : inits) have_init = have_init || StringField(c, "name") == kStorageInitializer;
  if (!have_init) inits.push_back(std::move(init));
  Json& mounts = (*container)["volumeMounts"];
  if (!mounts.is_array()) mounts = Json::array();
  for (const Json& m : mounts) {
    if (StringField(m, "mountPath") == kModelDir) return;
  }
  mounts.push_back({{"name", kProvisionVolume}, {"mountPath", kModelDir}, {"readOnly", read_only}});
}

}  // namespace skiff::controllers::inferenceservice
