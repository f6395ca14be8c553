// Typed views of a JobSet (with the upstream webhook's defaults applied, since
// Skiff runs no JobSet webhook) and of its child Jobs, parsed once from JSON
// without throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"

namespace skiff::controllers::jobset {

inline constexpr char kJobSetNameKey[] = "jobset.sigs.k8s.io/jobset-name";
inline constexpr char kReplicatedJobNameKey[] = "jobset.sigs.k8s.io/replicatedjob-name";
inline constexpr char kReplicatedJobReplicasKey[] = "jobset.sigs.k8s.io/replicatedjob-replicas";
inline constexpr char kGlobalReplicasKey[] = "jobset.sigs.k8s.io/global-replicas";
inline constexpr char kJobIndexKey[] = "jobset.sigs.k8s.io/job-index";
inline constexpr char kJobGlobalIndexKey[] = "jobset.sigs.k8s.io/job-global-index";
inline constexpr char kJobKey[] = "jobset.sigs.k8s.io/job-key";
inline constexpr char kRestartsKey[] = "jobset.sigs.k8s.io/restart-attempt";
inline constexpr char kCoordinatorKey[] = "jobset.sigs.k8s.io/coordinator";
inline constexpr char kJobSetControllerName[] = "jobset.sigs.k8s.io/jobset-controller";

struct Dependency {
  std::string name{};
  std::string status{};  // "Ready" or "Complete"
};

struct ReplicatedJob {
  std::string name{};
  int32_t replicas = 1;
  std::vector<Dependency> depends_on{};
};

struct FailurePolicyRule {
  std::string name{};
  std::string action{};  // FailJobSet, RestartJobSet,
                         // RestartJobSetAndIgnoreMaxRestarts, ...
  std::vector<std::string> on_job_failure_reasons{};
  std::vector<std::string> on_job_failure_message_patterns{};
  std::vector<std::string> target_replicated_jobs{};
};

struct Coordinator {
  std::string replicated_job{};
  int32_t job_index = 0;
  int32_t pod_index = 0;
};

struct JobSetSpecView {
  std::string name{};
  std::string ns{};
  std::vector<ReplicatedJob> replicated_jobs{};
  bool dns_hostnames = true;  // network.enableDNSHostnames (webhook default true)
  std::string subdomain{};    // network.subdomain, else the JobSet name
  bool publish_not_ready = true;
  std::string success_operator = "All";
  std::vector<std::string> success_targets{};
  bool has_failure_policy = false;
  int32_t max_restarts = 0;
  std::vector<FailurePolicyRule> failure_rules{};
  bool in_order = false;  // startupPolicy.startupPolicyOrder == InOrder
  bool suspend = false;
  std::optional<int64_t> ttl_seconds_after_finished{};
  std::string managed_by{};
  std::optional<Coordinator> coordinator{};
};

struct JobSetStatusView {
  int32_t restarts = 0;
  int32_t restarts_count_towards_max = 0;
};

enum class ChildState { kActive, kSucceeded, kFailed };

struct ChildJob {
  std::string name{};
  std::string replicated_job{};  // label jobset.sigs.k8s.io/replicatedjob-name
  int64_t restart_attempt = -1;  // label jobset.sigs.k8s.io/restart-attempt; -1 if bad
  bool deleting = false;
  ChildState state = ChildState::kActive;
  std::string failure_reason{};  // of the Failed condition
  std::string failure_message{};
  SystemTime failure_time{};
  int32_t parallelism = 1;
  std::optional<int32_t> completions{};
  int32_t ready = 0;  // status.ready
  int32_t succeeded = 0;
  int32_t active = 0;
  bool suspended = false;  // spec.suspend
};

JobSetSpecView ParseJobSet(const Json& jobset);
JobSetStatusView ParseJobSetStatus(const Json& jobset);
ChildJob ParseChildJob(const Json& job);

}  // namespace skiff::controllers::jobset
