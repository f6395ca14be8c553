// TrainJob → JobSet, in upstream's build order: runtime template, runtimePatches, node counts,
// resourcesPerNode, ML-policy env and ports, trainer overrides, initializer env, suspend.
#include "controllers/trainjob/build.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/quantity.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::trainjob {
namespace {

bool AllNamed(const Json& arr) {
  if (!arr.is_array() || arr.empty()) return false;
  for (const Json& e : arr) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return false;
  }
  return true;
}

Json* FindNamed(Json& arr, const std::string& name) {
  if (!arr.is_array()) return nullptr;
  for (Json& e : arr) {
    if (e.is_object() && e.value("name", "") == name) return &e;
  }
  return nullptr;
}

// Sets env var `name` in a container's env list (replacing an existing entry, keeping order).
void UpsertEnv(Json& container, const Json& var) {
  Json& env = container["env"];
  if (!env.is_array()) env = Json::array();
  if (Json* e = FindNamed(env, var.value("name", ""))) {
    *e = var;
  } else {
    env.push_back(var);
  }
}

void UpsertEnv(Json& container, const std::string& name, const std::string& value) {
  UpsertEnv(container, Json{{"name", name}, {"value", value}});
}

void UpsertEnvFieldRef(Json& container, const std::string& name, const std::string& path) {
  UpsertEnv(container,
            Json{{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}});
}

void EnsurePort(Json& container, int port) {
  Json& ports = container["ports"];
  if (!ports.is_array()) ports = Json::array();
  for (const Json& p : ports) {
    if (p.is_object() && p.value("containerPort", 0) == port) return;
  }
  ports.push_back({{"containerPort", port}, {"protocol", "TCP"}});
}

Json& PodSpecOf(Json& rjob) { return rjob["template"]["spec"]["template"]["spec"]; }

Json* ContainerOf(Json& rjob, const std::string& name) {
  Json& spec = PodSpecOf(rjob);
  return FindNamed(spec["containers"], name);
}

std::string AncestorOf(const Json& rjob) {
  const Json& labels = Field(Field(Field(rjob, "template"), "metadata"), "labels");
  return StringField(labels, kAncestorLabel);
}

// Resource quantity as an integer, rounding up as resource.Quantity.Value() does; -1 if absent.
int64_t QuantityCeil(const Json& list, const std::string& key) {
  const Json& v = Field(list, key.c_str());
  std::string text = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
  if (text.empty()) return -1;
  auto q = api::ParseQuantity(text);
  if (!q.ok()) return -1;
  return q->Value();
}

int64_t GpuCount(const Json& resources) {
  for (const char* part : {"requests", "limits"}) {
    const Json& list = Field(resources, part);
    if (!list.is_object()) continue;
    int64_t total = 0;
    bool any = false;
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it.key().find("gpu") == std::string::npos) continue;
      int64_t n = QuantityCeil(list, it.key());
      if (n > 0) total += n, any = true;
    }
    if (any) return total;
  }
  return 0;
}

std::string JobCompletionIndexPath() {
  return "metadata.annotations['batch.kubernetes.io/job-completion-index']";
}

Status CheckPatchTargets(const Json& js_spec, const Json& patch_spec, size_t index,
                         const std::string& manager) {
  const Json& rjobs = Field(patch_spec, "replicatedJobs");
  if (!rjobs.is_array()) return Status::Ok();
  std::string where = "runtimePatches[" + std::to_string(index) + "] (manager " + manager + ")";
  for (const Json& p : rjobs) {
    std::string name = StringField(p, "name");
    const Json* target = nullptr;
    for (const Json& r : Field(js_spec, "replicatedJobs")) {
      if (StringField(r, "name") == name) target = &r;
    }
    if (!target) {
      return InvalidArgument(where + ": replicatedJob \"" + name +
                             "\" does not exist in the training runtime");
    }
    const Json& ppod = Field(Field(Field(Field(p, "template"), "spec"), "template"), "spec");
    const Json& tpod =
        Field(Field(Field(Field(*target, "template"), "spec"), "template"), "spec");
    for (const char* list : {"containers", "initContainers"}) {
      const Json& pcs = Field(ppod, list);
      if (!pcs.is_array()) continue;
      for (const Json& c : pcs) {
        std::string cname = StringField(c, "name");
        bool found = false;
        for (const Json& tc : Field(tpod, list)) found = found || StringField(tc, "name") == cname;
        if (!found) {
          return InvalidArgument(where + ": container \"" + cname + "\" does not exist in " +
                                 list + " of replicatedJob \"" + name + "\"");
        }
      }
    }
  }
  return Status::Ok();
}

constexpr char kInitializerScript[] = R"py(
import os, shutil, sys, urllib.parse, urllib.request
uri = os.environ.get("STORAGE_URI", "")
out = os.environ.get("OUTPUT_PATH", "/workspace")
os.makedirs(out, exist_ok=True)
u = urllib.parse.urlparse(uri)
def copy(src):
    if os.path.isdir(src):
        shutil.copytree(src, out, dirs_exist_ok=True)
    elif os.path.isfile(src):
        shutil.copy2(src, os.path.join(out, os.path.basename(src)))
    else:
        sys.exit(f"skiff initializer: {uri}: {src} does not exist")
if uri.startswith("/"):
    copy(uri)
elif u.scheme == "file":
    copy(u.path)
elif u.scheme == "pvc":
    copy(os.path.join("/mnt/pvc", u.netloc, u.path.lstrip("/")))
elif u.scheme in ("http", "https"):
    name = os.path.basename(u.path) or "index"
    try:
        with urllib.request.urlopen(uri, timeout=30) as r, open(os.path.join(out, name), "wb") as f:
            shutil.copyfileobj(r, f)
    except Exception as e:
        sys.exit(f"skiff initializer: download {uri} failed: {e}")
else:
    sys.exit(f"skiff initializer: unsupported storageUri {uri}")
n = sum(len(files) for _, _, files in os.walk(out))
print(f"skiff initializer: {uri} -> {out} ({n} files)", flush=True)
)py";

// The schemes Skiff's initializer serves without internet access.
Status CheckStorageUri(const std::string& key, const std::string& uri) {
  if (uri.empty() || uri[0] == '/') return Status::Ok();
  std::string scheme = uri.substr(0, uri.find("://"));
  if (scheme == "file" || scheme == "pvc" || scheme == "http" || scheme == "https") {
    return Status::Ok();
  }
  return InvalidArgument("initializer." + key + ".storageUri " + uri + ": the " + scheme +
                         ":// scheme needs a model hub or object store this node cannot reach; "
                         "use file://, pvc://<claim>/<path>, an absolute path or http(s)://");
}

void AddVolume(Json& pod_spec, const Json& volume) {
  Json& vols = pod_spec["volumes"];
  if (!vols.is_array()) vols = Json::array();
  if (!FindNamed(vols, volume["name"].get<std::string>())) vols.push_back(volume);
}

void AddMount(Json& container, const std::string& name, const std::string& path, bool ro = false) {
  Json& mounts = container["volumeMounts"];
  if (!mounts.is_array()) mounts = Json::array();
  if (FindNamed(mounts, name)) return;
  Json m = {{"name", name}, {"mountPath", path}};
  if (ro) m["readOnly"] = true;
  mounts.push_back(std::move(m));
}

// Upstream only fills initializer jobs a runtime declares. When the TrainJob asks for a dataset
// or model and the runtime has no such job, Skiff adds one (ahead of the trainer, which then
// dependsOn it): a Python copier/downloader writing into the claim `<job>-initializer` mounted
// at /workspace in the initializer and in the node pods (dataset → /workspace/dataset, model →
// /workspace/model, as upstream's initializers).
Status AddInitializerJobs(const std::string& job, const Json& init, const std::string& trainer_job,
                          Json& js_spec) {
  Json& rjobs = js_spec["replicatedJobs"];
  Json depends = Json::array();
  bool added = false;
  for (const char* key : {"model", "dataset"}) {
    if (!Field(init, key).is_object()) continue;
    std::string uri = StringField(init[key], "storageUri");
    SKIFF_RETURN_IF_ERROR(CheckStorageUri(key, uri));
    std::string step = std::string(key) + "-initializer";
    bool present = false;
    for (const Json& r : rjobs) present = present || AncestorOf(r) == step;
    if (present) continue;
    Json container = {{"name", step},
                      {"image", "ghcr.io/kubeflow/trainer/" + step},
                      {"command", Json::array({"python3", "-c", kInitializerScript})},
                      {"env", Json::array({{{"name", "OUTPUT_PATH"},
                                            {"value", std::string("/workspace/") + key}}})}};
    Json pod = {{"restartPolicy", "Never"}, {"containers", Json::array({container})}};
    AddVolume(pod, {{"name", "initializer"},
                    {"persistentVolumeClaim", {{"claimName", job + "-initializer"}}}});
    AddMount(pod["containers"][0], "initializer", "/workspace");
    if (uri.rfind("pvc://", 0) == 0) {
      std::string claim = uri.substr(6, uri.find('/', 6) - 6);
      AddVolume(pod, {{"name", "source"}, {"persistentVolumeClaim", {{"claimName", claim}}}});
      AddMount(pod["containers"][0], "source", "/mnt/pvc/" + claim, true);
    }
    Json rjob = {{"name", step}, {"replicas", 1}};
    rjob["template"]["metadata"]["labels"][kAncestorLabel] = step;
    rjob["template"]["spec"]["backoffLimit"] = 0;
    rjob["template"]["spec"]["template"]["spec"] = std::move(pod);
    rjobs.insert(rjobs.begin(), std::move(rjob));
    depends.push_back({{"name", step}, {"status", "Complete"}});
    added = true;
  }
  if (!added) return Status::Ok();
  Json* trainer = FindNamed(rjobs, trainer_job);
  Json& dep = (*trainer)["dependsOn"];
  if (!dep.is_array()) dep = Json::array();
  for (const Json& d : depends) dep.push_back(d);
  Json& pod = PodSpecOf(*trainer);
  AddVolume(pod, {{"name", "initializer"},
                  {"persistentVolumeClaim", {{"claimName", job + "-initializer"}}}});
  if (Json* node = FindNamed(pod["containers"], kNodeContainer)) {
    AddMount(*node, "initializer", "/workspace");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& TorchReservedEnv() {
  static const std::vector<std::string> kNames = {"PET_NNODES", "PET_NPROC_PER_NODE",
                                                  "PET_NODE_RANK", "PET_MASTER_ADDR",
                                                  "PET_MASTER_PORT"};
  return kNames;
}

std::string MlPolicyKind(const Json& runtime_spec) {
  const Json& ml = Field(runtime_spec, "mlPolicy");
  for (const char* k : {"torch", "mpi", "jax", "xgboost", "flux"}) {
    if (Field(ml, k).is_object()) return k;
  }
  return "";
}

std::string TorchNprocPerNode(const Json& trainjob_spec, const Json& resources) {
  const Json& n = Field(Field(trainjob_spec, "trainer"), "numProcPerNode");
  if (n.is_number_integer()) return std::to_string(n.get<int64_t>());
  if (GpuCount(resources) > 0) return "auto";
  int64_t cpu = QuantityCeil(Field(resources, "requests"), "cpu");
  if (cpu < 0) cpu = QuantityCeil(Field(resources, "limits"), "cpu");
  return std::to_string(std::max<int64_t>(cpu, 1));
}

void MergeByName(Json& doc, const Json& patch) {
  if (!patch.is_object() || !doc.is_object()) {
    doc = patch;
    return;
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const Json& pv = it.value();
    if (pv.is_null()) {
      doc.erase(it.key());
      continue;
    }
    Json& dv = doc[it.key()];
    if (pv.is_object() && dv.is_object()) {
      MergeByName(dv, pv);
    } else if (AllNamed(pv) && AllNamed(dv)) {
      for (const Json& pe : pv) {
        if (Json* de = FindNamed(dv, pe["name"].get<std::string>())) {
          MergeByName(*de, pe);
        } else {
          dv.push_back(pe);
        }
      }
    } else {
      dv = pv;
    }
  }
}

StatusOr<BuildResult> BuildJobSet(const Json& trainjob, const Json& runtime) {
  const Json& tj_spec = Field(trainjob, "spec");
  const Json& rt_spec = Field(runtime, "spec");
  const Json& tmpl = Field(rt_spec, "template");
  Json js_spec = Field(tmpl, "spec").is_object() ? Field(tmpl, "spec") : Json::object();
  Json js_meta = Json::object();
  for (const char* k : {"labels", "annotations"}) {
    const Json& v = Field(Field(tmpl, "metadata"), k);
    if (v.is_object()) js_meta[k] = v;
  }
  if (!Field(js_spec, "replicatedJobs").is_array() || js_spec["replicatedJobs"].empty()) {
    return InvalidArgument("training runtime has no replicatedJobs in spec.template.spec");
  }

  // 1. Runtime patches, in list order.
  const Json& patches = Field(tj_spec, "runtimePatches");
  if (patches.is_array()) {
    for (size_t i = 0; i < patches.size(); ++i) {
      const Json& ptmpl = Field(Field(patches[i], "trainingRuntimeSpec"), "template");
      const Json& pmeta = Field(ptmpl, "metadata");
      for (const char* k : {"labels", "annotations"}) {
        if (Field(pmeta, k).is_object()) MergeByName(js_meta[k], pmeta[k]);
      }
      const Json& pspec = Field(ptmpl, "spec");
      if (!pspec.is_object()) continue;
      SKIFF_RETURN_IF_ERROR(
          CheckPatchTargets(js_spec, pspec, i, StringField(patches[i], "manager")));
      MergeByName(js_spec, pspec);
    }
  }

  // 2. Which replicatedJob is the trainer.
  Json& rjobs = js_spec["replicatedJobs"];
  std::string trainer_job;
  for (const Json& r : rjobs) {
    if (AncestorOf(r) == "trainer") trainer_job = StringField(r, "name");
  }
  if (trainer_job.empty() && FindNamed(rjobs, kNodeContainer)) trainer_job = kNodeContainer;
  if (trainer_job.empty()) {
    return InvalidArgument(
        "training runtime has no trainer job (label trainer.kubeflow.org/trainjob-ancestor-step: "
        "trainer, or a replicatedJob named \"node\")");
  }

  // 3. Node counts.
  std::string policy = MlPolicyKind(rt_spec);
  const Json& ml = Field(rt_spec, "mlPolicy");
  int64_t num_nodes = 1;
  if (Field(ml, "numNodes").is_number_integer()) num_nodes = ml["numNodes"].get<int64_t>();
  const Json& tr = Field(tj_spec, "trainer");
  if (Field(tr, "numNodes").is_number_integer()) num_nodes = tr["numNodes"].get<int64_t>();
  num_nodes = std::max<int64_t>(num_nodes, 1);
  bool launcher_as_node = policy == "mpi" && Field(Field(ml, "mpi"), "runLauncherAsNode") == true;
  for (Json& r : rjobs) {
    std::string name = StringField(r, "name");
    Json& jspec = r["template"]["spec"];
    int64_t count = -1;
    if (name == trainer_job) {
      count = launcher_as_node ? 1 : num_nodes;
    } else if (launcher_as_node && name == kNodeContainer) {
      count = std::max<int64_t>(num_nodes - 1, 1);
    } else if (!AncestorOf(r).empty()) {
      count = Field(jspec, "parallelism").is_number_integer() ? jspec["parallelism"].get<int64_t>()
                                                              : 1;
    }
    if (!AncestorOf(r).empty() || name == trainer_job) r["replicas"] = 1;
    if (count > 0) {
      jspec["parallelism"] = count;
      jspec["completions"] = count;
    }
  }

  // 4. resourcesPerNode onto the trainer's node container.
  Json* trainer_rjob = FindNamed(rjobs, trainer_job);
  Json* node = ContainerOf(*trainer_rjob, kNodeContainer);
  if (!node) {
    return InvalidArgument("replicatedJob \"" + trainer_job +
                           "\" of the training runtime has no container named \"node\"");
  }
  const Json& rpn = Field(tr, "resourcesPerNode");
  std::vector<Json*> resource_targets = {node};
  if (launcher_as_node) {
    if (Json* nj = FindNamed(rjobs, kNodeContainer)) {
      if (Json* c = ContainerOf(*nj, kNodeContainer)) resource_targets.push_back(c);
    }
  }
  if (rpn.is_object()) {
    for (Json* c : resource_targets) {
      for (const char* part : {"requests", "limits", "claims"}) {
        if (!Field(rpn, part).is_null()) MergeByName((*c)["resources"][part], rpn[part]);
      }
    }
  }
  Json resources = Field(*node, "resources");

  // 5. ML policy.
  std::string job = MetaString(trainjob, "name");
  std::string master = job + "-" + trainer_job + "-0-0." + job;
  std::string port = std::to_string(kTorchMasterPort);
  if (policy == "torch") {
    UpsertEnv(*node, "PET_NNODES", std::to_string(num_nodes));
    UpsertEnv(*node, "PET_NPROC_PER_NODE", TorchNprocPerNode(tj_spec, resources));
    UpsertEnvFieldRef(*node, "PET_NODE_RANK", JobCompletionIndexPath());
    UpsertEnv(*node, "PET_MASTER_ADDR", master);
    UpsertEnv(*node, "PET_MASTER_PORT", port);
    EnsurePort(*node, kTorchMasterPort);
  } else if (policy == "jax") {
    UpsertEnv(*node, "JAX_NUM_PROCESSES", std::to_string(num_nodes));
    UpsertEnvFieldRef(*node, "JAX_PROCESS_ID", JobCompletionIndexPath());
    UpsertEnv(*node, "JAX_COORDINATOR_ADDRESS", master + ":" + port);
    EnsurePort(*node, kTorchMasterPort);
  } else if (policy == "xgboost") {
    int64_t gpus = GpuCount(resources);
    UpsertEnv(*node, "DMLC_TRACKER_URI", master);
    UpsertEnv(*node, "DMLC_TRACKER_PORT", port);
    UpsertEnvFieldRef(*node, "DMLC_TASK_ID", JobCompletionIndexPath());
    UpsertEnv(*node, "DMLC_NUM_WORKER", std::to_string(num_nodes * std::max<int64_t>(gpus, 1)));
    EnsurePort(*node, kTorchMasterPort);
  } else if (policy == "mpi" || policy == "flux") {
    return InvalidArgument("the " + policy +
                           " ML policy is not supported by Skiff's local node yet (needs "
                           "mpirun/sshd in every node pod); use a torch runtime");
  }
  if (policy == "torch") {
    // Skiff addition: a plain `python train.py` entrypoint (no torchrun) sees the contract
    // torchrun would give a single process per node. torchrun overwrites these for its ranks.
    UpsertEnv(*node, "MASTER_ADDR", master);
    UpsertEnv(*node, "MASTER_PORT", port);
    UpsertEnv(*node, "WORLD_SIZE", std::to_string(num_nodes));
    UpsertEnv(*node, "RANK", "$(PET_NODE_RANK)");
    UpsertEnv(*node, "GROUP_RANK", "$(PET_NODE_RANK)");
    UpsertEnv(*node, "LOCAL_RANK", "0");
    UpsertEnv(*node, "LOCAL_WORLD_SIZE", "1");
  }

  // 6. Trainer overrides (replace image/command/args, upsert env).
  if (Field(tr, "image").is_string()) (*node)["image"] = tr["image"];
  if (Field(tr, "command").is_array()) (*node)["command"] = tr["command"];
  if (Field(tr, "args").is_array()) (*node)["args"] = tr["args"];
  if (Field(tr, "env").is_array()) {
    for (const Json& e : tr["env"]) UpsertEnv(*node, e);
  }

  // 7. Initializers. A runtime without initializer jobs gets Skiff's (see AddInitializerJobs).
  const Json& init = Field(tj_spec, "initializer");
  SKIFF_RETURN_IF_ERROR(AddInitializerJobs(job, init, trainer_job, js_spec));  // moves `node`
  for (Json& r : rjobs) {
    std::string step = AncestorOf(r);
    const char* key = step == "dataset-initializer" ? "dataset"
                      : step == "model-initializer" ? "model"
                                                    : nullptr;
    if (!key || !Field(init, key).is_object()) continue;
    const Json& src = init[key];
    Json* c = ContainerOf(r, step);
    if (!c) continue;
    if (Field(src, "storageUri").is_string()) UpsertEnv(*c, "STORAGE_URI", src["storageUri"]);
    if (Field(src, "env").is_array()) {
      for (const Json& e : src["env"]) UpsertEnv(*c, e);
    }
    if (Field(src, "secretRef").is_object()) {
      Json& ef = (*c)["envFrom"];
      if (!ef.is_array()) ef = Json::array();
      ef.push_back({{"secretRef", {{"name", StringField(src["secretRef"], "name")}}}});
    }
  }

  // 8. The JobSet.
  js_spec["suspend"] = Field(tj_spec, "suspend") == true;
  Json meta = {{"name", job}, {"namespace", MetaString(trainjob, "namespace")}};
  for (const char* k : {"labels", "annotations"}) {
    if (js_meta.contains(k) && js_meta[k].is_object() && !js_meta[k].empty()) meta[k] = js_meta[k];
  }
  meta["ownerReferences"] = Json::array({ControllerRef(trainjob)});
  BuildResult out;
  out.jobset = {{"apiVersion", "jobset.x-k8s.io/v1alpha2"},
                {"kind", "JobSet"},
                {"metadata", std::move(meta)},
                {"spec", std::move(js_spec)}};
  out.trainer_job = trainer_job;
  out.num_nodes = num_nodes;
  return out;
}

std::string ContentDigest(const std::string& bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace skiff::controllers::trainjob
