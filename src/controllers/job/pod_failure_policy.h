// podFailurePolicy matching (kube pkg/controller/job/pod_failure_policy.go) and
// the pod re-creation backoff after failures.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "controllers/job/job_view.h"

namespace skiff::controllers::job {

struct FailurePolicyMatch {
  // The action of the first matching rule; nullopt when no rule matches (the
  // failure counts).
  std::optional<FailurePolicyAction> action{};
  // For FailJob: kube's message, e.g. "Container main for pod ns/p failed with
  // exit code 42 matching FailJob rule at index 0".
  std::string message{};
  // False only for Ignore: the failure does not count towards backoffLimit.
  bool counts = true;
};

// Evaluates `rules` in order against a failed pod. Exit-code rules look at
// terminated containers with a non-zero exit code (app containers first, then
// init containers).
FailurePolicyMatch MatchPodFailurePolicy(const std::vector<FailurePolicyRule>& rules,
                                         const PodView& pod, const std::string& ns);

inline constexpr std::chrono::seconds kPodFailureBackoff{10};
inline constexpr std::chrono::seconds kMaxPodFailureBackoff{600};

// Delay before the next pod may be created after `failures_since_success`
// consecutive pod failures: 10 s × 2^(n-1), capped at 10 min (kube's
// DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff); zero for n == 0.
std::chrono::milliseconds PodFailureBackoff(int64_t failures_since_success);

// Time left before pods may be created again, given the terminal pods of a Job:
// failures that finished after the last success count; the wait runs from the
// latest failure.
std::chrono::milliseconds RemainingBackoff(const std::vector<const PodView*>& failed,
                                           const std::vector<const PodView*>& succeeded,
                                           SystemTime now);

}  // namespace skiff::controllers::job
