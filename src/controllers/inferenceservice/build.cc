// InferenceService rendering: legacy predictor conversion, upstream's runtime selection order,
// Go-template placeholders, runtime/model container merge (args appended, env/ports/mounts by
// key, resources per quantity), the storage initializer and the PVC mount.
#include "controllers/inferenceservice/build.h"
#include "controllers/inferenceservice/storage_initializer.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::inferenceservice {
namespace {

// Legacy predictor fields and the model format the defaulting webhook gives them.
const std::vector<std::pair<const char*, const char*>>& LegacyFrameworks() {
  static const std::vector<std::pair<const char*, const char*>> kFrameworks = {
      {"sklearn", "sklearn"},         {"xgboost", "xgboost"},
      {"tensorflow", "tensorflow"},   {"pytorch", "pytorch"},
      {"triton", "triton"},           {"onnx", "onnx"},
      {"huggingface", "huggingface"}, {"pmml", "pmml"},
      {"lightgbm", "lightgbm"},       {"paddle", "paddle"}};
  return kFrameworks;
}

// Predictor keys that are not PodSpec fields (ComponentExtensionSpec and the implementations).
const std::set<std::string>& NonPodKeys() {
  static const std::set<std::string> kKeys = {"minReplicas",
                                              "maxReplicas",
                                              "scaleTarget",
                                              "scaleMetric",
                                              "scaleMetricType",
                                              "autoScaling",
                                              "containerConcurrency",
                                              "timeout",
                                              "canaryTrafficPercent",
                                              "batcher",
                                              "logger",
                                              "labels",
                                              "annotations",
                                              "deploymentStrategy",
                                              "storageUris",
                                              "name",
                                              "storageContainerName",
                                              "workerSpec",
                                              "model",
                                              "sklearn",
                                              "xgboost",
                                              "tensorflow",
                                              "pytorch",
                                              "triton",
                                              "onnx",
                                              "huggingface",
                                              "pmml",
                                              "lightgbm",
                                              "paddle"};
  return kKeys;
}

// Model fields that are not container fields.
const std::set<std::string>& ModelOnlyKeys() {
  static const std::set<std::string> kKeys = {"modelFormat", "runtime",         "storageUri",
                                              "storage",     "protocolVersion", "runtimeVersion",
                                              "confidential"};
  return kKeys;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int ProtocolRank(const std::string& p) {
  if (p == "v1") return 0;
  if (p == "v2") return 1;
  if (p == "grpc-v1") return 2;
  if (p == "grpc-v2") return 3;
  return 4;
}

int LowestProtocol(const Json& spec) {
  int best = 5;  // a runtime listing none sorts last
  for (const Json& p : Field(spec, "protocolVersions")) {
    if (p.is_string()) best = std::min(best, ProtocolRank(p.get<std::string>()));
  }
  return best;
}

bool SupportsProtocol(const Json& spec, const std::string& protocol) {
  const Json& list = Field(spec, "protocolVersions");
  if (!list.is_array() || list.empty()) return true;
  for (const Json& p : list) {
    if (p.is_string() && p.get<std::string>() == protocol) return true;
  }
  return false;
}

// The format entry of `spec` offering the model, or nullptr. Only autoSelect entries count
// unless the runtime was named explicitly.
const Json* MatchingFormat(const Json& spec, const ModelRequest& req, bool explicit_name) {
  for (const Json& f : Field(spec, "supportedModelFormats")) {
    if (!explicit_name && Field(f, "autoSelect") != true) continue;
    if (Lower(StringField(f, "name")) != Lower(req.format)) continue;
    if (!req.version.empty() && StringField(f, "version") != req.version) continue;
    return &f;
  }
  return nullptr;
}

int64_t Priority(const Json& spec, const ModelRequest& req) {
  const Json* f = MatchingFormat(spec, req, false);
  if (!f) return 0;
  const Json& p = Field(*f, "priority");
  return p.is_number_integer() ? p.get<int64_t>() : 0;  // unset sorts last
}

std::vector<const Json*> Ordered(const std::vector<Json>& runtimes, const ModelRequest& req) {
  std::vector<const Json*> out;
  for (const Json& r : runtimes) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const Json* a, const Json* b) {
    int pa = LowestProtocol(Field(*a, "spec")), pb = LowestProtocol(Field(*b, "spec"));
    if (pa != pb) return pa < pb;
    std::string ta = MetaString(*a, "creationTimestamp"), tb = MetaString(*b, "creationTimestamp");
    if (ta != tb) return ta > tb;  // newer first
    return MetaString(*a, "name") < MetaString(*b, "name");
  });
  std::stable_sort(out.begin(), out.end(), [&](const Json* a, const Json* b) {
    return Priority(Field(*a, "spec"), req) > Priority(Field(*b, "spec"), req);
  });
  return out;
}

std::string DescribeModel(const ModelRequest& req) {
  std::string s = "{" + req.format;
  if (!req.version.empty()) s += " " + req.version;
  return s + "} and protocol version " + req.protocol;
}

Json* FindNamed(Json& list, const std::string& key, const std::string& value) {
  if (!list.is_array()) return nullptr;
  for (Json& e : list) {
    if (e.is_object() && e.contains(key) && e[key] == value) return &e;
  }
  return nullptr;
}

// Merges list `over` into `base` by the string/number field `key` (later entries replace).
void MergeListBy(Json& base, const Json& over, const char* key) {
  if (!base.is_array()) base = Json::array();
  for (const Json& e : over) {
    bool replaced = false;
    if (e.is_object() && e.contains(key)) {
      for (Json& b : base) {
        if (b.is_object() && b.contains(key) && b[key] == e[key]) {
          b = e;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) base.push_back(e);
  }
}

// Upstream merges the predictor's container onto the runtime's with a strategic merge patch and
// then appends the predictor's args to the runtime's.
void MergeContainer(Json& base, const Json& over) {
  if (!over.is_object()) return;
  for (auto it = over.begin(); it != over.end(); ++it) {
    const std::string& k = it.key();
    if (ModelOnlyKeys().count(k) || k == "name" || it->is_null()) continue;
    if (k == "args" && it->is_array()) {
      Json& args = base["args"];
      if (!args.is_array()) args = Json::array();
      for (const Json& a : *it) args.push_back(a);
    } else if ((k == "env" || k == "envFrom") && it->is_array()) {
      MergeListBy(base[k], *it, "name");
    } else if (k == "volumeMounts" && it->is_array()) {
      MergeListBy(base[k], *it, "mountPath");
    } else if (k == "ports" && it->is_array()) {
      MergeListBy(base[k], *it, "containerPort");
    } else if (k == "resources" && it->is_object()) {
      Json& res = base["resources"];
      if (!res.is_object()) res = Json::object();
      for (auto r = it->begin(); r != it->end(); ++r) {
        if (r->is_object() && res[r.key()].is_object()) {
          for (auto q = r->begin(); q != r->end(); ++q) res[r.key()][q.key()] = *q;
        } else {
          res[r.key()] = *r;
        }
      }
    } else {
      base[k] = *it;
    }
  }
}

void AddMount(Json& container, Json mount) {
  Json& mounts = container["volumeMounts"];
  if (!mounts.is_array()) mounts = Json::array();
  if (FindNamed(mounts, "mountPath", mount["mountPath"].get<std::string>())) return;
  mounts.push_back(std::move(mount));
}

std::string TemplateValue(const std::string& expr, const Json& meta, bool* ok) {
  *ok = true;
  if (expr == "Name") return StringField(meta, "name");
  if (expr == "Namespace") return StringField(meta, "namespace");
  for (const char* m : {"Annotations", "Labels"}) {
    std::string prefix = std::string(m) + ".";
    if (expr.rfind(prefix, 0) == 0) {
      std::string key = Lower(m);
      return StringField(Field(meta, key.c_str()), expr.substr(prefix.size()).c_str());
    }
  }
  *ok = false;
  return "";
}



// KServe's agent sidecar (batcher, payload logger) is built into Skiff's model server: the
// predictor's `batcher` and `logger` become its flags, with the agent's defaults (maxBatchSize
// 32, maxLatency 5000 ms; logger url http://default-broker, mode all). Any other server would
// need the agent, which Skiff does not run: refused rather than silently ignored.
Status AddBatcherAndLogger(const Json& pred, Json* kc) {
  const Json& batcher = Field(pred, "batcher");
  const Json& logger = Field(pred, "logger");
  if (!batcher.is_object() && !logger.is_object()) return Status::Ok();
  if (StringField(*kc, "image").rfind("skiff/serve-", 0) != 0) {
    return InvalidArgument(
        "spec.predictor.batcher and spec.predictor.logger need Skiff's model server (a "
        "skiff/serve-* runtime): Skiff does not run KServe's agent sidecar beside other servers");
  }
  Json& args = (*kc)["args"];
  if (!args.is_array()) args = Json::array();
  auto add = [&args](const std::string& flag, const std::string& value) {
    for (const Json& a : args) {
      if (a.is_string() && a.get<std::string>().rfind("--" + flag + "=", 0) == 0) return;
    }
    args.push_back("--" + flag + "=" + value);
  };
  auto number = [](const Json& obj, const char* key, int64_t def) {
    const Json& v = Field(obj, key);
    return v.is_number_integer() ? v.get<int64_t>() : def;
  };
  if (batcher.is_object()) {
    add("max_batch_size", std::to_string(number(batcher, "maxBatchSize", 32)));
    add("max_latency_ms", std::to_string(number(batcher, "maxLatency", 5000)));
  }
  if (logger.is_object()) {
    std::string url = StringField(logger, "url", "http://default-broker");
    std::string mode = StringField(logger, "mode", "all");
    add("logger_url", url);
    add("logger_mode", mode);
  }
  return Status::Ok();
}


// The first containerPort of `container`, 8080 when it declares none.
int ContainerPortOf(const Json& container) {
  const Json& ports = Field(container, "ports");
  if (ports.is_array() && !ports.empty() && Field(ports[0], "containerPort").is_number_integer()) {
    return ports[0]["containerPort"].get<int>();
  }
  return kContainerPort;
}

// A component's Deployment and Service `{name}-{component}` as KServe's raw-mode reconciler
// makes them: selector `app: isvc.{name}-{component}`, the component's labels and annotations,
// replicas max(1, minReplicas), port 80 to `port`, owned by the isvc.
Rendered ComponentObjects(const Json& isvc, const std::string& component_type, const Json& spec,
                          Json pod, int port) {
  const Json& meta = Field(isvc, "metadata");
  std::string name = StringField(meta, "name");
  std::string ns = StringField(meta, "namespace");
  std::string component = name + "-" + component_type;
  const Json& min = Field(spec, "minReplicas");
  int64_t replicas = min.is_number_integer() ? std::max<int64_t>(1, min.get<int64_t>()) : 1;
  std::string app = "isvc." + component;
  Json labels = Field(spec, "labels").is_object() ? spec["labels"] : Json::object();
  labels[kIsvcLabel] = name;
  labels[kComponentLabel] = component_type;
  labels["app"] = app;
  Json pod_meta = {{"labels", labels}};
  if (Field(spec, "annotations").is_object()) pod_meta["annotations"] = spec["annotations"];
  Json owner = Json::array({ControllerRef(isvc)});
  Rendered out;
  out.deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata",
       {{"name", component}, {"namespace", ns}, {"labels", labels}, {"ownerReferences", owner}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"matchLabels", {{"app", app}}}}},
        {"template", {{"metadata", pod_meta}, {"spec", std::move(pod)}}}}}};
  out.service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", component}, {"namespace", ns}, {"labels", labels}, {"ownerReferences", owner}}},
      {"spec",
       {{"selector", {{"app", app}}},
        {"ports",
         Json::array(
             {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}, {"targetPort", port}}})}}}};
  return out;
}

}  // namespace

std::string Digest(const std::string& text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string DeploymentMode(const Json& isvc) {
  std::string v =
      StringField(Field(Field(isvc, "metadata"), "annotations"), kDeploymentModeAnnotation);
  if (v.empty() || v == "Standard" || v == "RawDeployment") return "Standard";
  if (v == "Knative" || v == "Serverless") return "Knative";
  return v;
}

Json NormalizePredictor(const Json& predictor) {
  if (!predictor.is_object()) return Json::object();
  Json out = predictor;
  for (const auto& [field, format] : LegacyFrameworks()) {
    if (!Field(out, field).is_object() || Field(out, "model").is_object()) continue;
    Json model = out[field];
    model["modelFormat"] = {{"name", format}};
    out.erase(field);
    out["model"] = std::move(model);
    break;
  }
  return out;
}

ModelRequest ModelRequestOf(const Json& predictor) {
  const Json& model = Field(predictor, "model");
  ModelRequest r;
  r.format = StringField(Field(model, "modelFormat"), "name");
  r.version = StringField(Field(model, "modelFormat"), "version");
  r.protocol = StringField(model, "protocolVersion", "v1");
  r.runtime = StringField(model, "runtime");
  std::string f = Lower(r.format);
  if (f == "triton" || f == "vllm") r.protocol = "v2";  // upstream forces v2 for these
  return r;
}

RuntimeChoice SelectRuntime(const ModelRequest& req, const std::vector<Json>& namespaced,
                            const std::vector<Json>& cluster) {
  RuntimeChoice out;
  if (!req.runtime.empty()) {
    for (const Json& r : namespaced) {
      if (MetaString(r, "name") == req.runtime) out.runtime = &r;
    }
    if (!out.runtime) {
      for (const Json& r : cluster) {
        if (MetaString(r, "name") == req.runtime) {
          out.runtime = &r;
          out.cluster = true;
        }
      }
    }
    if (!out.runtime) {
      out.reason = "RuntimeNotRecognized";
      out.message = "Waiting for runtime to become available";
      out.condition_message =
          "No ServingRuntimes or ClusterServingRuntimes with the name: " + req.runtime;
      return out;
    }
    const Json& spec = Field(*out.runtime, "spec");
    if (Field(spec, "disabled") == true) {
      out.reason = "RuntimeDisabled";
      out.message = "Specified runtime is disabled";
    } else if (!MatchingFormat(spec, req, true)) {
      out.reason = "InvalidPredictorSpec";
      out.message = "Specified runtime does not support specified framework/version";
    } else if (!SupportsProtocol(spec, req.protocol)) {
      out.reason = "InvalidPredictorSpec";
      out.message = "Specified runtime does not support specified protocol version";
    }
    if (!out.reason.empty()) {
      out.condition_message = out.message + ": " + req.runtime;
      out.runtime = nullptr;
    }
    return out;
  }
  for (bool is_cluster : {false, true}) {
    for (const Json* r : Ordered(is_cluster ? cluster : namespaced, req)) {
      const Json& spec = Field(*r, "spec");
      if (Field(spec, "disabled") == true || Field(spec, "multiModel") == true) continue;
      if (Field(spec, "workerSpec").is_object()) continue;  // multi-node runtimes need workerSpec
      if (!SupportsProtocol(spec, req.protocol) || !MatchingFormat(spec, req, false)) continue;
      out.runtime = r;
      out.cluster = is_cluster;
      return out;
    }
  }
  out.reason = "NoSupportingRuntime";
  out.message = "No runtime found to support specified framework/version";
  out.condition_message =
      "No runtime found to support predictor with model type: " + DescribeModel(req);
  return out;
}

void ApplyTemplate(Json& doc, const Json& meta) {
  if (doc.is_object() || doc.is_array()) {
    for (Json& v : doc) ApplyTemplate(v, meta);
    return;
  }
  if (!doc.is_string()) return;
  const std::string& s = doc.get_ref<const std::string&>();
  if (s.find("{{") == std::string::npos) return;
  static const std::regex kPlaceholder(R"(\{\{\s*\.([A-Za-z][A-Za-z0-9_./-]*)\s*\}\})");
  std::string out;
  auto begin = std::sregex_iterator(s.begin(), s.end(), kPlaceholder);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out += s.substr(last, it->position() - last);
    bool ok = false;
    std::string v = TemplateValue((*it)[1].str(), meta, &ok);
    out += ok ? v : it->str();
    last = it->position() + it->length();
  }
  out += s.substr(last);
  doc = out;
}

StatusOr<Rendered> RenderPredictor(const Json& isvc, const Json& runtime) {
  const Json& meta = Field(isvc, "metadata");
  std::string name = StringField(meta, "name");
  std::string ns = StringField(meta, "namespace");
  std::string component = name + "-predictor";
  Json pred = NormalizePredictor(Field(Field(isvc, "spec"), "predictor"));
  const Json& model = Field(pred, "model");

  Json pod = Json::object();
  for (auto it = pred.begin(); it != pred.end(); ++it) {
    if (!NonPodKeys().count(it.key())) pod[it.key()] = *it;
  }
  Json user_containers = Field(pod, "containers").is_array() ? pod["containers"] : Json::array();
  Json containers = Json::array();
  std::string uri;
  if (runtime.is_object()) {
    const Json& rspec = Field(runtime, "spec");
    containers = Field(rspec, "containers").is_array() ? rspec["containers"] : Json::array();
    Json* kc = FindNamed(containers, "name", kKserveContainer);
    if (!kc) {
      return InvalidArgument("runtime " + MetaString(runtime, "name") + " has no container named " +
                             kKserveContainer);
    }
    MergeContainer(*kc, model);
    std::string rv = StringField(model, "runtimeVersion");
    if (!rv.empty() && Field(model, "image").is_null()) {
      std::string image = StringField(*kc, "image");
      size_t slash = image.rfind('/'), colon = image.rfind(':');
      if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        image.resize(colon);
      }
      (*kc)["image"] = image + ":" + rv;
    }
    for (const Json& c : user_containers) {
      if (StringField(c, "name") == kKserveContainer) {
        MergeContainer(*kc, c);
      } else {
        containers.push_back(c);
      }
    }
    for (const char* k : {"nodeSelector", "affinity", "tolerations", "imagePullSecrets", "hostIPC",
                          "schedulerName"}) {
      if (!Field(rspec, k).is_null() && Field(pod, k).is_null()) pod[k] = rspec[k];
    }
    if (Field(rspec, "volumes").is_array()) MergeListBy(pod["volumes"], rspec["volumes"], "name");
    uri = StringField(model, "storageUri");
  } else {
    if (user_containers.empty()) {
      return InvalidArgument("predictor has neither a model nor containers");
    }
    containers = user_containers;
    Json* kc = FindNamed(containers, "name", kKserveContainer);
    if (!kc) kc = &containers[0];
    for (const Json& e : Field(*kc, "env")) {
      if (StringField(e, "name") == "STORAGE_URI") uri = StringField(e, "value");
    }
  }
  ApplyTemplate(containers, meta);
  Json* kc = FindNamed(containers, "name", kKserveContainer);
  if (!kc) kc = &containers[0];
  SKIFF_RETURN_IF_ERROR(AddBatcherAndLogger(pred, kc));

  bool read_only = StringField(Field(meta, "annotations"), "storage.kserve.io/readonly") != "false";
  if (uri.rfind("pvc://", 0) == 0) {
    // No copy: the claim is mounted where the server reads its model.
    std::string rest = uri.substr(6);
    size_t slash = rest.find('/');
    std::string claim = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    MergeListBy(
        pod["volumes"],
        Json::array({{{"name", kPvcVolume},
                      {"persistentVolumeClaim", {{"claimName", claim}, {"readOnly", read_only}}}}}),
        "name");
    Json mount = {{"name", kPvcVolume}, {"mountPath", kModelDir}, {"readOnly", read_only}};
    if (!path.empty()) mount["subPath"] = path;
    AddMount(*kc, std::move(mount));
  } else if (!uri.empty()) {
    AddStorageInitializer(uri, read_only, &pod, kc);
  }
  int port = ContainerPortOf(*kc);
  pod["containers"] = std::move(containers);
  Rendered out = ComponentObjects(isvc, "predictor", pred, std::move(pod), port);
  if (Field(pred, "deploymentStrategy").is_object()) {
    out.deployment["spec"]["strategy"] = pred["deploymentStrategy"];
  }
  return out;
}

StatusOr<Rendered> RenderTransformer(const Json& isvc) {
  const Json& meta = Field(isvc, "metadata");
  std::string name = StringField(meta, "name");
  std::string ns = StringField(meta, "namespace");
  std::string component = name + "-transformer";
  const Json& spec = Field(Field(isvc, "spec"), "transformer");
  Json pod = Json::object();
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (!NonPodKeys().count(it.key())) pod[it.key()] = *it;
  }
  Json containers = Field(pod, "containers");
  if (!containers.is_array() || containers.empty()) {
    return InvalidArgument("spec.transformer has no containers");
  }
  ApplyTemplate(containers, meta);
  Json* kc = FindNamed(containers, "name", kKserveContainer);
  if (!kc) kc = &containers[0];
  Json& args = (*kc)["args"];
  if (!args.is_array()) args = Json::array();
  auto has = [&args](const std::string& flag) {
    for (const Json& a : args) {
      if (!a.is_string()) continue;
      const std::string& v = a.get_ref<const std::string&>();
      if (v == flag || v.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  int port = ContainerPortOf(*kc);
  for (const auto& [flag, value] :
       {std::pair<std::string, std::string>{"--model_name", name},
        {"--predictor_host", name + "-predictor." + ns},
        {"--http_port", std::to_string(port)}}) {
    if (!has(flag)) {
      args.push_back(flag);
      args.push_back(value);
    }
  }
  pod["containers"] = std::move(containers);
  return ComponentObjects(isvc, "transformer", spec, std::move(pod), port);
}

}  // namespace skiff::controllers::inferenceservice
