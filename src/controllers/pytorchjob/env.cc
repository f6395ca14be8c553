// PyTorchJob pod environment, as upstream's setPodEnv and its Master and Elastic generators.
#include "controllers/pytorchjob/env.h"

#include <charconv>

namespace skiff::controllers::pytorchjob {

namespace {

void ElasticEnv(const PyTorchJobView& job, std::vector<EnvVar>* env) {
  const ElasticPolicy& e = *job.elastic;
  std::string host = e.rdzv_host.value_or(job.name + "-worker-0");
  int32_t port = kDefaultPort;
  if (e.rdzv_port) {
    port = *e.rdzv_port;
  } else if (const ReplicaSpec* w = job.Find(ReplicaType::kWorker)) {
    port = w->port;
  }
  env->push_back({"PET_RDZV_ENDPOINT", host + ":" + std::to_string(port)});
  env->push_back({"PET_RDZV_BACKEND", e.rdzv_backend.value_or("c10d")});
  if (e.min_replicas && e.max_replicas) {
    env->push_back(
        {"PET_NNODES", std::to_string(*e.min_replicas) + ":" + std::to_string(*e.max_replicas)});
  } else if (const ReplicaSpec* w = job.Find(ReplicaType::kWorker)) {
    env->push_back({"PET_NNODES", std::to_string(w->replicas)});
  }
  if (e.max_restarts) env->push_back({"PET_MAX_RESTARTS", std::to_string(*e.max_restarts)});
  if (e.nproc_per_node) env->push_back({"PET_NPROC_PER_NODE", std::to_string(*e.nproc_per_node)});
  if (e.rdzv_id) env->push_back({"PET_RDZV_ID", *e.rdzv_id});
  if (e.rdzv_conf && !e.rdzv_conf->empty()) {
    std::string val;
    for (const RdzvConf& c : *e.rdzv_conf) {
      if (!val.empty()) val += ",";
      val += c.key + "=" + c.value;
    }
    env->push_back({"PET_RDZV_CONF", val});
  }
  if (e.standalone) env->push_back({"PET_STANDALONE", ""});
}

}  // namespace

int32_t NprocPerNodeInt(const PyTorchJobView& job) {
  const std::string& s = job.nproc_per_node;
  const char* begin = s.data();
  if (!s.empty() && s[0] == '+') ++begin;  // Go's strconv.Atoi accepts a sign
  int32_t n = 0;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return 1;
  return n;
}

std::vector<EnvVar> PodEnv(const PyTorchJobView& job, ReplicaType type, int32_t index) {
  // Upstream sets "0": any non-empty value turns Python's buffering off.
  std::vector<EnvVar> env = {{"PYTHONUNBUFFERED", "0"}};
  int32_t total = job.TotalReplicas();
  if (const ReplicaSpec* master = job.Find(ReplicaType::kMaster)) {
    std::string port = std::to_string(master->port);
    std::string addr = ReplicaName(job.name, ReplicaType::kMaster, 0);
    int32_t rank = type == ReplicaType::kWorker ? index + 1 : index;
    env.push_back({"MASTER_PORT", port});
    env.push_back({"PET_MASTER_PORT", port});
    env.push_back({"MASTER_ADDR", addr});
    env.push_back({"PET_MASTER_ADDR", addr});
    env.push_back(
        {"WORLD_SIZE", std::to_string(static_cast<int64_t>(total) * NprocPerNodeInt(job))});
    env.push_back({"RANK", std::to_string(rank)});
    env.push_back({"PET_NPROC_PER_NODE", job.nproc_per_node});
    env.push_back({"PET_NODE_RANK", std::to_string(rank)});
  }
  if (job.elastic) {
    ElasticEnv(job, &env);
  } else {
    env.push_back({"PET_NNODES", std::to_string(total)});
  }
  return env;
}

}  // namespace skiff::controllers::pytorchjob
