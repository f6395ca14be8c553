// Pure TrainJob → JobSet materialisation (upstream Trainer v2 build order, reference/trainer.md
// §3-§4): runtime template, runtimePatches, node counts, resourcesPerNode, ML-policy env, trainer
// image/command/args/env, initializer env, suspend. No I/O; unit-tested in build_test.cc.
#pragma once

#include <nlohmann/json.hpp>  // BuildResult holds a Json by value; folder-private header
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::controllers::trainjob {

inline constexpr char kTrainerGroup[] = "trainer.kubeflow.org";
inline constexpr char kControllerName[] = "trainer.kubeflow.org/trainjob-controller";
inline constexpr char kAncestorLabel[] = "trainer.kubeflow.org/trainjob-ancestor-step";
inline constexpr char kFrameworkLabel[] = "trainer.kubeflow.org/framework";
inline constexpr char kNodeContainer[] = "node";
inline constexpr int kTorchMasterPort = 29500;

// The variables the torch plugin owns; users may not set them in trainer.env.
const std::vector<std::string>& TorchReservedEnv();

// Which ML policy the runtime names ("torch", "mpi", "jax", "xgboost", "flux", "" = PlainML).
std::string MlPolicyKind(const Json& runtime_spec);

// PET_NPROC_PER_NODE as upstream computes it: trainer.numProcPerNode, else "auto" when the
// resources ask for a GPU, else the CPU count of resourcesPerNode (requests, then limits), min 1.
std::string TorchNprocPerNode(const Json& trainjob_spec, const Json& node_container_resources);

// Merges `patch` into `doc` the way the runtime patches do: objects merge by key, arrays of
// objects that all carry a string "name" merge element-wise by name (new names appended), other
// arrays and scalars are replaced, null deletes.
void MergeByName(Json& doc, const Json& patch);

struct BuildResult {
  Json jobset;             // the full JobSet object to create
  std::string trainer_job; // name of the replicatedJob that receives spec.trainer
  int64_t num_nodes = 1;
};

// Builds the JobSet for `trainjob` from `runtime` (a TrainingRuntime or ClusterTrainingRuntime
// object). Errors (InvalidArgument, message fit for a condition): a patch naming a replicatedJob
// or container the runtime lacks, a runtime without a trainer job, an unsupported policy.
StatusOr<BuildResult> BuildJobSet(const Json& trainjob, const Json& runtime);

// sha256:<hex> of the given bytes.
std::string ContentDigest(const std::string& bytes);

}  // namespace skiff::controllers::trainjob
