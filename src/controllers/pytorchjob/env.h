// The environment contract training-operator v1.9 (pkg/controller.v1/pytorch/envvar.go,
// master.go, elastic.go) gives every container of a PyTorchJob pod: torchrun / env://
// rendezvous variables derived from the job's shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controllers/pytorchjob/pytorchjob_view.h"

namespace skiff::controllers::pytorchjob {

struct EnvVar {
  std::string name{};
  std::string value{};
  bool operator==(const EnvVar& o) const { return name == o.name && value == o.value; }
};

// spec.nprocPerNode as an integer, 1 when it is "auto", "cpu", "gpu" or anything else
// (upstream getNprocPerNodeInt).
int32_t NprocPerNodeInt(const PyTorchJobView& job);

// The variables appended, in upstream's order, to each container of replica `type` index `index`:
//   PYTHONUNBUFFERED=0;
//   with a Master spec: MASTER_PORT, PET_MASTER_PORT, MASTER_ADDR, PET_MASTER_ADDR
//   (`<job>-master-0`, for every pod), WORLD_SIZE (replicas x nproc), RANK (master 0, worker
//   i+1), PET_NPROC_PER_NODE, PET_NODE_RANK;
//   with an elasticPolicy: PET_RDZV_ENDPOINT, PET_RDZV_BACKEND, PET_NNODES (min:max),
//   PET_MAX_RESTARTS, PET_NPROC_PER_NODE, PET_RDZV_ID, PET_RDZV_CONF, PET_STANDALONE when set;
//   without one: PET_NNODES (total replicas).
std::vector<EnvVar> PodEnv(const PyTorchJobView& job, ReplicaType type, int32_t index);

}  // namespace skiff::controllers::pytorchjob
