// Pure InferenceService → Deployment + Service rendering for Standard (RawDeployment) mode, as
// KServe's predictor reconciler does it (reference/kserve.md §2, §8, §9): legacy per-framework
// predictors, runtime selection, {{.Name}} templating, container merge, storage initializer.
// No I/O; unit-tested in build_test.cc.
#pragma once

#include <nlohmann/json.hpp>  // Rendered holds Json by value; folder-private header
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers::inferenceservice {

inline constexpr char kIsvcApiVersion[] = "serving.kserve.io/v1beta1";
inline constexpr char kRuntimeApiVersion[] = "serving.kserve.io/v1alpha1";
inline constexpr char kIsvcLabel[] = "serving.kserve.io/inferenceservice";
inline constexpr char kComponentLabel[] = "component";
inline constexpr char kDeploymentModeAnnotation[] = "serving.kserve.io/deploymentMode";
inline constexpr char kKserveContainer[] = "kserve-container";
inline constexpr char kStorageInitializer[] = "storage-initializer";
inline constexpr char kProvisionVolume[] = "kserve-provision-location";
inline constexpr char kPvcVolume[] = "kserve-pvc-source";
inline constexpr char kModelDir[] = "/mnt/models";
inline constexpr int kContainerPort = 8080;

// A short stable digest of `text` (16 hex digits): what a rendering is compared by.
std::string Digest(const std::string& text);

// "Standard" (default, also for "RawDeployment" and an absent annotation), "Knative" (also
// "Serverless"), or the annotation's value as written for anything else (e.g. "ModelMesh").
std::string DeploymentMode(const Json& isvc);

// The predictor with a legacy framework field (sklearn, xgboost, pytorch, ...) rewritten as
// `model` with modelFormat.name, as upstream's defaulting webhook does. Other predictors are
// returned unchanged.
Json NormalizePredictor(const Json& predictor);

// Which model a predictor asks a runtime for. protocol is "v1" when unset.
struct ModelRequest {
  std::string format;
  std::string version;  // "" = any
  std::string protocol;
  std::string runtime;  // explicit model.runtime, "" = auto-select
};
ModelRequest ModelRequestOf(const Json& normalized_predictor);

// The chosen runtime, or why none: `reason` is one of upstream's FailureInfo reasons
// (NoSupportingRuntime, RuntimeNotRecognized, RuntimeDisabled, InvalidPredictorSpec).
struct RuntimeChoice {
  const Json* runtime = nullptr;  // points into the candidate lists
  bool cluster = false;           // a ClusterServingRuntime
  std::string reason;
  std::string message;
  std::string condition_message;  // for the Ready/PredictorReady conditions
};

// Upstream's rules: an explicit name looks in `namespaced` first, then `cluster`; otherwise
// auto-select among enabled runtimes whose autoSelect formats offer the model (name, or
// name:version exactly) and protocol, namespaced before cluster, each list ordered by lowest
// protocol offered, newest, name, then (stable) by the matching format's priority, highest first.
RuntimeChoice SelectRuntime(const ModelRequest& req, const std::vector<Json>& namespaced,
                            const std::vector<Json>& cluster);

// Replaces Go-template placeholders over the isvc's ObjectMeta in every string of `doc`:
// {{.Name}}, {{.Namespace}}, {{.Annotations.k}}, {{.Labels.k}} (spaces inside the braces
// allowed). Unknown placeholders are left as written.
void ApplyTemplate(Json& doc, const Json& isvc_metadata);

// The Deployment and Service of the predictor. `runtime` is the selected runtime object or null
// for a custom-container predictor.
struct Rendered {
  Json deployment;
  Json service;
};
StatusOr<Rendered> RenderPredictor(const Json& isvc, const Json& runtime);

// The transformer's Deployment and Service `{name}-transformer` (Standard mode): its custom
// containers with KServe's injected arguments (--model_name {name}, --predictor_host
// {name}-predictor.{ns}, --http_port 8080, each unless already given) on the kserve-container
// (or the first container). InvalidArgument when it has no containers.
StatusOr<Rendered> RenderTransformer(const Json& isvc);

}  // namespace skiff::controllers::inferenceservice
