// The Job controller's decision for one sync, as a pure function of the Job,
// its pods and the creates/deletes still in flight: which pods to create or
// delete, the counters for status, and whether the Job is failing, succeeding,
// suspended or resumed (kube 1.32 syncJob and manageJob semantics). The
// reconciler executes the plan; tests drive this directly.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"
#include "controllers/job/indexes.h"
#include "controllers/job/job_view.h"

namespace skiff::controllers::job {

// Creates and deletes the controller made that its pod cache does not reflect
// yet.
struct InFlight {
  int64_t creates = 0;              // NonIndexed pods created, not yet in the cache
  IndexSet create_indexes{};        // Indexed: indexes whose new pod is not yet in the
                                    // cache
  std::set<std::string> deletes{};  // pods deleted that the cache still shows as live
};

// What the Job's current status already records.
struct PriorStatus {
  int32_t succeeded = 0;
  int32_t failed = 0;
  std::string completed_indexes{};
  std::optional<SystemTime> start_time{};
  bool failure_target = false;  // FailureTarget=True (interim failure, pods still stopping)
  std::string failure_reason{};
  std::string failure_message{};
  bool success_criteria_met = false;  // SuccessCriteriaMet=True
  bool suspended = false;             // Suspended=True
};

struct SyncInput {
  std::string ns{};
  std::string name{};
  JobSpecView spec{};
  std::vector<PodView> pods{};  // pods controlled by the Job
  PriorStatus prior{};
  InFlight in_flight{};
  SystemTime now{};
};

enum class Outcome { kRunning, kFailing, kSucceeding };

inline constexpr char kReasonBackoffLimitExceeded[] = "BackoffLimitExceeded";
inline constexpr char kReasonDeadlineExceeded[] = "DeadlineExceeded";
inline constexpr char kReasonPodFailurePolicy[] = "PodFailurePolicy";
inline constexpr char kReasonCompletionsReached[] = "CompletionsReached";
inline constexpr char kMessageBackoffLimitExceeded[] =
    "Job has reached the specified backoff limit";
inline constexpr char kMessageDeadlineExceeded[] = "Job was active longer than specified deadline";
inline constexpr char kMessageCompletionsReached[] = "Reached expected number of succeeded pods";

struct SyncPlan {
  int64_t create_count = 0;               // NonIndexed: pods to create
  std::vector<int64_t> create_indexes{};  // Indexed: indexes to create, lowest first
  std::vector<std::string> delete_pods{};

  // Status counters (before this plan's creates; the reconciler adds the pods
  // it created).
  int32_t active = 0;
  int32_t ready = 0;
  int32_t terminating = 0;
  int32_t succeeded = 0;
  int32_t failed = 0;
  std::string completed_indexes{};  // Indexed only

  Outcome outcome = Outcome::kRunning;
  std::string reason{};  // for kFailing / kSucceeding
  std::string message{};
  // No pod is running or stopping any more: the terminal Failed/Complete
  // condition can be set.
  bool terminal = false;

  bool suspended = false;                      // spec.suspend holds: Suspended=True
  bool resumed = false;                        // Suspended flips to False now: startTime restarts
  bool set_start_time = false;                 // startTime is unset and the Job runs
  std::chrono::milliseconds requeue_after{0};  // deadline or backoff wake-up; 0 = none
};

SyncPlan PlanSync(const SyncInput& in);

}  // namespace skiff::controllers::job
