// Built-in ClusterServingRuntimes. Images are skiff/serve-<format>: the node agent runs them as
// the skiff-serve-<format> executables (src/node/image_map.cc). Args are upstream's Python
// server flags, which Skiff's servers accept. Requests are smaller than upstream's 1 CPU / 2Gi
// (request = limit) so that a laptop-sized node can hold a few replicas; limits match upstream.
// A readiness probe on /v2/health/ready keeps a pod out of the Service (and the isvc not Ready)
// until its model is loaded (Standard mode has no queue-proxy to do that).
#include "controllers/inferenceservice/builtin_runtimes.h"

#include <nlohmann/json.hpp>

#include "api/yaml.h"

namespace skiff::controllers::inferenceservice {
namespace {

constexpr char kRuntimes[] = R"yaml(
- apiVersion: serving.kserve.io/v1alpha1
  kind: ClusterServingRuntime
  metadata:
    name: kserve-sklearnserver
    annotations: {prometheus.kserve.io/port: "8080", prometheus.kserve.io/path: /metrics}
  spec:
    supportedModelFormats:
    - {name: sklearn, version: "1", autoSelect: true, priority: 1}
    protocolVersions: [v1, v2]
    containers:
    - name: kserve-container
      image: skiff/serve-sklearn
      args: ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080",
             "--exit_on_load_failure"]
      ports: [{containerPort: 8080, protocol: TCP}]
      terminationMessagePolicy: FallbackToLogsOnError
      readinessProbe: {httpGet: {path: /v2/health/ready, port: 8080}, periodSeconds: 1}
      resources:
        requests: {cpu: 100m, memory: 256Mi}
        limits: {cpu: "1", memory: 2Gi}
- apiVersion: serving.kserve.io/v1alpha1
  kind: ClusterServingRuntime
  metadata:
    name: kserve-xgbserver
    annotations: {prometheus.kserve.io/port: "8080", prometheus.kserve.io/path: /metrics}
  spec:
    supportedModelFormats:
    - {name: xgboost, version: "2", autoSelect: true, priority: 1}
    protocolVersions: [v1, v2]
    containers:
    - name: kserve-container
      image: skiff/serve-xgboost
      args: ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080",
             "--nthread=1", "--exit_on_load_failure"]
      ports: [{containerPort: 8080, protocol: TCP}]
      terminationMessagePolicy: FallbackToLogsOnError
      readinessProbe: {httpGet: {path: /v2/health/ready, port: 8080}, periodSeconds: 1}
      resources:
        requests: {cpu: 100m, memory: 256Mi}
        limits: {cpu: "1", memory: 2Gi}
- apiVersion: serving.kserve.io/v1alpha1
  kind: ClusterServingRuntime
  metadata:
    name: kserve-torchserve
    annotations: {prometheus.kserve.io/port: "8080", prometheus.kserve.io/path: /metrics}
  spec:
    supportedModelFormats:
    - {name: pytorch, version: "1", autoSelect: true, priority: 2}
    protocolVersions: [v1, v2, grpc-v2]
    containers:
    - name: kserve-container
      image: skiff/serve-torch
      args: ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080",
             "--exit_on_load_failure"]
      ports: [{containerPort: 8080, protocol: TCP}]
      terminationMessagePolicy: FallbackToLogsOnError
      readinessProbe: {httpGet: {path: /v2/health/ready, port: 8080}, periodSeconds: 1}
      resources:
        requests: {cpu: 100m, memory: 512Mi}
        limits: {cpu: "1", memory: 2Gi}
)yaml";

}  // namespace

std::vector<Json> BuiltinRuntimes() {
  auto parsed = api::ParseYamlOrJson(kRuntimes);
  std::vector<Json> out;
  if (!parsed.ok() || !parsed->is_array()) return out;  // a build-time constant; tested
  for (Json& rt : *parsed) {
    rt["metadata"]["labels"][kBuiltinLabel] = "true";
    out.push_back(std::move(rt));
  }
  return out;
}

}  // namespace skiff::controllers::inferenceservice
