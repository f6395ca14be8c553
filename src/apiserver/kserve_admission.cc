// InferenceService admission, with the messages of KServe's v1beta1 validating webhook
// (inference_service_validation.go, component.go, predictor.go).
#include "apiserver/kserve_admission.h"

#include <nlohmann/json.hpp>
#include <regex>

namespace skiff::apiserver {
namespace {

constexpr char kLegacy[][12] = {"sklearn", "xgboost",     "tensorflow", "pytorch",  "triton",
                                "onnx",    "huggingface", "pmml",       "lightgbm", "paddle"};

const Json& At(const Json& obj, const char* key) {
  static const Json kNull;
  return obj.is_object() && obj.contains(key) ? obj[key] : kNull;
}

void ValidateComponent(const Json& comp, const std::string& path,
                       std::vector<StatusCause>& causes) {
  if (!comp.is_object()) return;
  const Json& min = At(comp, "minReplicas");
  const Json& max = At(comp, "maxReplicas");
  int64_t min_v = min.is_number_integer() ? min.get<int64_t>() : 1;  // upstream default
  int64_t max_v = max.is_number_integer() ? max.get<int64_t>() : 0;
  if (min_v < 0) {
    causes.push_back(
        {"FieldValueInvalid",
         "Invalid value: " + std::to_string(min_v) + ": 'MinReplicas' cannot be less than 0.",
         path + ".minReplicas"});
  }
  if (max_v < 0) {
    causes.push_back(
        {"FieldValueInvalid",
         "Invalid value: " + std::to_string(max_v) + ": 'MaxReplicas' cannot be less than 0.",
         path + ".maxReplicas"});
  }
  if (max_v != 0 && min_v > max_v) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: " + std::to_string(min_v) +
                          ": 'MinReplicas' cannot be greater than MaxReplicas.",
                      path + ".minReplicas"});
  }
  const Json& canary = At(comp, "canaryTrafficPercent");
  if (canary.is_number_integer() && (canary.get<int64_t>() < 0 || canary.get<int64_t>() > 100)) {
    causes.push_back(
        {"FieldValueInvalid",
         "Invalid value: " + canary.dump() + ": TrafficPercent must be between [0, 100].",
         path + ".canaryTrafficPercent"});
  }
}

// Upstream: a local path (no "scheme://") or one of the supported prefixes or an Azure blob URL.
void ValidateStorageUri(const Json& uri, const std::string& field,
                        std::vector<StatusCause>& causes) {
  if (!uri.is_string()) return;
  const std::string& s = uri.get_ref<const std::string&>();
  static const std::regex kHasScheme(R"(\w+?://)");
  if (!std::regex_search(s, kHasScheme)) return;
  static const char* kPrefixes[] = {"gs://",   "s3://",   "pvc://",     "file://", "https://",
                                    "http://", "hdfs://", "webhdfs://", "oci://",  "hf://"};
  std::string list;
  for (const char* p : kPrefixes) {
    if (s.rfind(p, 0) == 0) return;
    list += std::string(list.empty() ? "" : ", ") + p;
  }
  causes.push_back({"FieldValueInvalid",
                    "storageUri, must be one of: [" + list +
                        "] or match https://{}.blob.core.windows.net/{}/{} or be an absolute or "
                        "relative local path. StorageUri [" +
                        s + "] is not supported.",
                    field});
}

}  // namespace

bool IsInferenceService(const api::KindInfo& kind) {
  return kind.group == "serving.kserve.io" && kind.kind == "InferenceService";
}

std::vector<StatusCause> ValidateInferenceService(const Json& obj, const Json* old) {
  std::vector<StatusCause> causes;
  const Json& meta = At(obj, "metadata");
  static const std::regex kName("^[a-z]([-a-z0-9]*[a-z0-9])?$");
  if (!old && At(meta, "name").is_string() &&
      !std::regex_match(meta["name"].get<std::string>(), kName)) {
    causes.push_back(
        {"FieldValueInvalid",
         "Invalid value: \"" + meta["name"].get<std::string>() +
             "\": a InferenceService name must consist of lower case alphanumeric characters or "
             "'-', and must start with alphabetical character. (e.g. \"my-name\" or \"abc-123\", "
             "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
         "metadata.name"});
  }
  const Json& spec = At(obj, "spec");
  const Json& pred = At(spec, "predictor");
  if (pred.is_object()) {
    int impls = At(pred, "model").is_object() ? 1 : 0;
    for (const char* f : kLegacy) {
      if (At(pred, f).is_object()) {
        ++impls;
        ValidateStorageUri(At(pred[f], "storageUri"),
                           std::string("spec.predictor.") + f + ".storageUri", causes);
      }
    }
    if (impls == 0 && At(pred, "containers").is_array() && !pred["containers"].empty()) impls = 1;
    if (impls != 1) {
      causes.push_back({"FieldValueInvalid",
                        "exactly one of [SKLearn, XGBoost, Tensorflow, PyTorch, Triton, ONNX, "
                        "HuggingFace, PMML, LightGBM, Paddle, Model] must be specified in "
                        "PredictorSpec",
                        "spec.predictor"});
    }
    ValidateStorageUri(At(At(pred, "model"), "storageUri"), "spec.predictor.model.storageUri",
                       causes);
  }
  ValidateComponent(pred, "spec.predictor", causes);
  ValidateComponent(At(spec, "transformer"), "spec.transformer", causes);
  ValidateComponent(At(spec, "explainer"), "spec.explainer", causes);
  return causes;
}

}  // namespace skiff::apiserver
