// Built-in ClusterTrainingRuntimes. Images keep upstream's names: the node agent maps Python and
// PyTorch images to /usr/bin/python3, and `torchrun` inside pods is Skiff's launcher.
// torch-distributed carries a default command (used only when a TrainJob sets none), in the
// spirit of upstream v2.0's demo command: it prints the PET_* contract and runs a real gloo
// rendezvous + all_reduce over every rank, so the seed TrainJob proves the wiring end to end.
#include "controllers/trainjob/builtin_runtimes.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/yaml.h"

namespace skiff::controllers::trainjob {
namespace {

constexpr char kRuntimes[] = R"yaml(
- apiVersion: trainer.kubeflow.org/v1alpha1
  kind: ClusterTrainingRuntime
  metadata:
    name: torch-distributed
    labels: {trainer.kubeflow.org/framework: torch}
  spec:
    mlPolicy: {numNodes: 1, torch: {}}
    template:
      spec:
        replicatedJobs:
        - name: node
          template:
            metadata:
              labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime
                    command:
                    - bash
                    - -c
                    - |
                      echo "Torch Distributed Runtime (Skiff)"
                      echo "node ${PET_NODE_RANK} of ${PET_NNODES}, ${PET_NPROC_PER_NODE} process(es) per node, master ${PET_MASTER_ADDR}:${PET_MASTER_PORT}"
                      env | grep '^PET_' | sort
                      dir=$(mktemp -d)
                      cat > "$dir/rendezvous.py" <<'PY'
                      import torch
                      import torch.distributed as dist
                      dist.init_process_group("gloo")
                      t = torch.ones(1)
                      dist.all_reduce(t)
                      if dist.get_rank() == 0:
                          print(f"rendezvous ok: world_size={dist.get_world_size()} all_reduce={int(t.item())}", flush=True)
                      dist.destroy_process_group()
                      PY
                      torchrun "$dir/rendezvous.py"
                      rc=$?
                      rm -rf "$dir"
                      exit $rc
- apiVersion: trainer.kubeflow.org/v1alpha1
  kind: ClusterTrainingRuntime
  metadata:
    name: xgboost-distributed
    labels: {trainer.kubeflow.org/framework: xgboost}
  spec:
    mlPolicy: {numNodes: 1, xgboost: {}}
    template:
      spec:
        replicatedJobs:
        - name: node
          template:
            metadata:
              labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: ghcr.io/kubeflow/trainer/xgboost-runtime
- apiVersion: trainer.kubeflow.org/v1alpha1
  kind: ClusterTrainingRuntime
  metadata:
    name: jax-distributed
    labels: {trainer.kubeflow.org/framework: jax}
  spec:
    mlPolicy: {numNodes: 1, jax: {}}
    template:
      spec:
        replicatedJobs:
        - name: node
          template:
            metadata:
              labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: nvcr.io/nvidia/jax:25.10-py3
- apiVersion: trainer.kubeflow.org/v1alpha1
  kind: ClusterTrainingRuntime
  metadata:
    name: deepspeed-distributed
    labels: {trainer.kubeflow.org/framework: deepspeed}
  spec:
    mlPolicy:
      numNodes: 1
      mpi: {numProcPerNode: 1, mpiImplementation: OpenMPI, sshAuthMountPath: /home/mpiuser/.ssh,
            runLauncherAsNode: true}
    template:
      spec:
        network: {publishNotReadyAddresses: true}
        successPolicy: {operator: All, targetReplicatedJobs: [launcher]}
        replicatedJobs:
        - name: node
          template:
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: ghcr.io/kubeflow/trainer/deepspeed-runtime
                    command: [/usr/sbin/sshd]
                    args: [-De, -f, /home/mpiuser/.sshd_config]
                    readinessProbe: {tcpSocket: {port: 2222}, initialDelaySeconds: 5}
        - name: launcher
          dependsOn: [{name: node, status: Ready}]
          template:
            metadata:
              labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: ghcr.io/kubeflow/trainer/deepspeed-runtime
- apiVersion: trainer.kubeflow.org/v1alpha1
  kind: ClusterTrainingRuntime
  metadata:
    name: mpi-distributed
    labels: {trainer.kubeflow.org/framework: mpi}
  spec:
    mlPolicy:
      numNodes: 1
      mpi: {numProcPerNode: 1, mpiImplementation: OpenMPI, sshAuthMountPath: /root/.ssh,
            runLauncherAsNode: false}
    template:
      spec:
        network: {publishNotReadyAddresses: true}
        successPolicy: {operator: All, targetReplicatedJobs: [launcher]}
        replicatedJobs:
        - name: launcher
          template:
            metadata:
              labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: mpioperator/mpi-pi:openmpi
        - name: node
          template:
            spec:
              template:
                spec:
                  containers:
                  - name: node
                    image: mpioperator/mpi-pi:openmpi
                    command: [/usr/sbin/sshd]
                    args: [-De]
)yaml";

bool Exists(const char* path) { return ::access(path, X_OK) == 0; }

bool PythonHasModule(const std::string& module) {
  for (const char* dir : {"/usr/lib/python3/dist-packages/", "/usr/local/lib/python3.11/dist-packages/"}) {
    std::string base = dir + module;
    if (::access(base.c_str(), F_OK) == 0 || ::access((base + ".py").c_str(), F_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string MissingForRuntime(const std::string& policy, const std::string& framework) {
  if (policy == "mpi") {
    std::string missing;
    if (!Exists("/usr/bin/mpirun")) missing += "mpirun (apt install openmpi-bin)";
    if (!Exists("/usr/sbin/sshd")) missing += std::string(missing.empty() ? "" : ", ") + "sshd";
    if (framework == "deepspeed" && !PythonHasModule("deepspeed")) {
      missing += std::string(missing.empty() ? "" : ", ") + "the deepspeed Python package";
    }
    std::string msg = "Skiff's local node cannot run MPI runtimes yet";
    if (!missing.empty()) msg += "; this host also lacks " + missing;
    return msg;
  }
  if (framework == "jax" && !PythonHasModule("jax")) {
    return "/usr/bin/python3 cannot import jax on this host";
  }
  if (framework == "xgboost" && !PythonHasModule("xgboost")) {
    return "/usr/bin/python3 cannot import xgboost on this host (apt install python3-xgboost)";
  }
  if (framework == "torch" && !PythonHasModule("torch")) {
    return "/usr/bin/python3 cannot import torch on this host (apt install python3-torch)";
  }
  return "";
}

std::vector<Json> BuiltinRuntimes() {
  auto parsed = api::ParseYamlOrJson(kRuntimes);
  std::vector<Json> out;
  if (!parsed.ok() || !parsed->is_array()) return out;  // a build-time constant; tested
  for (Json& rt : *parsed) {
    Json& labels = rt["metadata"]["labels"];
    labels[kBuiltinLabel] = "true";
    std::string policy;
    for (const char* k : {"torch", "mpi", "jax", "xgboost"}) {
      if (rt["spec"]["mlPolicy"].contains(k)) policy = k;
    }
    std::string missing =
        MissingForRuntime(policy, labels.value("trainer.kubeflow.org/framework", ""));
    if (!missing.empty()) rt["metadata"]["annotations"][kUnavailableAnnotation] = missing;
    out.push_back(std::move(rt));
  }
  return out;
}

}  // namespace skiff::controllers::trainjob
