// Typed views of a kubeflow.org/v1 PyTorchJob (with training-operator v1.9's defaulting and
// validating webhooks applied in memory, since Skiff runs neither webhook) and of the Pods and
// Services it owns, parsed once from JSON without throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"

namespace skiff::controllers::pytorchjob {

inline constexpr char kGroupVersion[] = "kubeflow.org/v1";
inline constexpr char kKind[] = "PyTorchJob";
inline constexpr char kControllerName[] = "pytorchjob-controller";
inline constexpr char kJobNameLabel[] = "training.kubeflow.org/job-name";
inline constexpr char kOperatorNameLabel[] = "training.kubeflow.org/operator-name";
inline constexpr char kReplicaTypeLabel[] = "training.kubeflow.org/replica-type";
inline constexpr char kReplicaIndexLabel[] = "training.kubeflow.org/replica-index";
inline constexpr char kJobRoleLabel[] = "training.kubeflow.org/job-role";
inline constexpr char kDefaultContainerName[] = "pytorch";
inline constexpr char kDefaultPortName[] = "pytorchjob-port";
inline constexpr int32_t kDefaultPort = 23456;
// runPolicy.managedBy values this controller acts on ("" means the same).
inline constexpr char kManagedByTrainingOperator[] = "kubeflow.org/training-operator";

enum class ReplicaType { kMaster, kWorker };
enum class RestartPolicy { kAlways, kOnFailure, kNever, kExitCode };
enum class CleanPodPolicy { kNone, kRunning, kAll };

// "Master" / "Worker": the canonical spelling (map key in status.replicaStatuses).
const char* ReplicaTypeName(ReplicaType type);
// "master" / "worker": the label value and pod-name component.
const char* ReplicaTypeLabel(ReplicaType type);

struct ReplicaSpec {
  ReplicaType type = ReplicaType::kWorker;
  std::string key{};  // the key as written under pytorchReplicaSpecs ("Master", "master", ...)
  int32_t replicas = 1;
  RestartPolicy restart_policy = RestartPolicy::kOnFailure;
  bool template_sets_restart_policy = false;  // template.spec.restartPolicy is set (overridden)
  int32_t port = kDefaultPort;  // pytorchjob-port of the pytorch container (after defaulting)
};

struct RdzvConf {
  std::string key{};
  std::string value{};
};

struct ElasticPolicy {
  std::optional<int32_t> min_replicas{};
  std::optional<int32_t> max_replicas{};
  std::optional<int32_t> max_restarts{};
  std::optional<int32_t> nproc_per_node{};  // deprecated elasticPolicy.nProcPerNode
  std::optional<int32_t> rdzv_port{};
  std::optional<std::string> rdzv_host{};
  std::optional<std::string> rdzv_id{};
  std::optional<std::string> rdzv_backend{};
  std::optional<std::vector<RdzvConf>> rdzv_conf{};
  bool standalone = false;
};

struct PyTorchJobView {
  std::string name{};
  std::string ns{};
  std::string uid{};
  // Master first, then Worker; only the types the spec has.
  std::vector<ReplicaSpec> replicas{};
  std::string nproc_per_node = "auto";  // spec.nprocPerNode (webhook default "auto")
  bool nproc_per_node_set = false;      // the user wrote spec.nprocPerNode
  std::optional<ElasticPolicy> elastic{};
  // runPolicy
  CleanPodPolicy clean_pod_policy = CleanPodPolicy::kNone;
  std::optional<int64_t> ttl_seconds_after_finished{};
  std::optional<int64_t> active_deadline_seconds{};
  std::optional<int32_t> backoff_limit{};
  bool suspend = false;
  std::string managed_by{};
  // What upstream's validating webhook would reject ("<field path>: <problem>"). A job with
  // errors is failed with reason PyTorchJobFailedValidation instead of being run.
  std::vector<std::string> validation_errors{};

  const ReplicaSpec* Find(ReplicaType type) const;
  int32_t TotalReplicas() const;
};

// Parses the job, applying upstream's defaults (replicas 1, restartPolicy OnFailure,
// cleanPodPolicy None, nprocPerNode "auto", elastic min/max) and collecting validation errors.
PyTorchJobView ParsePyTorchJob(const Json& job);

// The pod template of `spec` with the port default applied: a `pytorchjob-port` 23456 port is
// added to the `pytorch` container when it has none of that name. Returns an empty object when
// the job has no such replica spec.
Json DefaultedTemplate(const Json& job, const ReplicaSpec& spec);

// `<job>-<master|worker>-<index>`: the name of a replica's Pod and of its headless Service.
std::string ReplicaName(std::string_view job, ReplicaType type, int32_t index);

// upstream train_util.IsRetryableExitCode: signals that usually mean a transient kill (130, 137,
// 143) and the user-defined retry code 138 are retryable; everything else is permanent.
bool IsRetryableExitCode(int32_t exit_code);

inline constexpr int32_t kNoExitCode = 0xbeef;  // upstream's "no terminated pytorch container"

struct PodView {
  std::string name{};
  std::string uid{};
  std::string phase{};  // Pending, Running, Succeeded, Failed, Unknown
  bool deleting = false;
  std::string replica_type{};       // label value ("master", "worker")
  int32_t index = -1;               // replica-index label; -1 when absent or bad
  int32_t exit_code = kNoExitCode;  // of the terminated `pytorch` container
  int32_t restart_count = 0;        // sum over init and app containers

  bool Active() const { return phase != "Succeeded" && phase != "Failed" && !deleting; }
};

struct ServiceView {
  std::string name{};
  std::string replica_type{};
  int32_t index = -1;
};

PodView ParsePod(const Json& pod);
ServiceView ParseService(const Json& service);

}  // namespace skiff::controllers::pytorchjob
