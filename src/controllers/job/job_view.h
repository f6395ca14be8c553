// Typed views of the parts of a batch/v1 Job and its Pods that the Job
// controller decides on, parsed once from JSON (never throwing) so the decision
// logic works on plain structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"

namespace skiff::controllers::job {

enum class CompletionMode { kNonIndexed, kIndexed };

enum class FailurePolicyAction { kFailJob, kIgnore, kCount, kFailIndex };

// podFailurePolicy.rules[].onExitCodes
struct OnExitCodes {
  std::string container_name{};  // "" = any container
  bool op_in = true;             // operator In (true) or NotIn (false)
  std::vector<int32_t> values{};
};

// podFailurePolicy.rules[].onPodConditions[]
struct OnPodCondition {
  std::string type{};
  std::string status = "True";
};

struct FailurePolicyRule {
  FailurePolicyAction action = FailurePolicyAction::kCount;
  std::optional<OnExitCodes> on_exit_codes{};
  std::vector<OnPodCondition> on_pod_conditions{};
};

struct JobSpecView {
  int32_t parallelism = 1;
  std::optional<int32_t> completions{};  // nullopt: work-queue semantics
  CompletionMode completion_mode = CompletionMode::kNonIndexed;
  int32_t backoff_limit = 6;
  std::optional<int64_t> active_deadline_seconds{};
  std::optional<int64_t> ttl_seconds_after_finished{};
  bool suspend = false;
  std::string restart_policy = "Never";  // of the pod template
  std::vector<FailurePolicyRule> pod_failure_rules{};
};

struct ContainerStateView {
  std::string name{};
  int32_t restart_count = 0;
  bool terminated = false;  // state.terminated present
  int32_t exit_code = 0;    // state.terminated.exitCode
  std::optional<SystemTime> finished_at{};
};

struct PodView {
  std::string name{};
  std::string uid{};
  std::string phase{};    // Pending, Running, Succeeded, Failed, Unknown
  bool deleting = false;  // metadata.deletionTimestamp set
  bool ready = false;     // condition Ready=True
  int64_t index = -1;     // completion index (annotation, else label); -1 when absent or bad
  std::vector<ContainerStateView> containers{};
  std::vector<ContainerStateView> init_containers{};
  std::vector<std::pair<std::string, std::string>> conditions{};  // type, status
  SystemTime created{};
  // When the pod finished: the latest container finishedAt, else the
  // Ready/phase condition time, else creation. Meaningful only for terminal
  // pods.
  SystemTime finished{};

  bool Succeeded() const { return phase == "Succeeded"; }
  bool Failed() const { return phase == "Failed"; }
  bool Terminal() const { return Succeeded() || Failed(); }
};

inline constexpr char kCompletionIndexKey[] = "batch.kubernetes.io/job-completion-index";

JobSpecView ParseJobSpec(const Json& job);
PodView ParsePod(const Json& pod);
// "123" → 123; anything else (sign, spaces, overflow past int32) → -1.
int64_t ParseIndex(const std::string& s);

}  // namespace skiff::controllers::job
