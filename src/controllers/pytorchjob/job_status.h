// A PyTorchJob's status (kubeflow.org/v1 JobStatus) as a typed value, and training-operator's
// condition rules (pkg/util/status.go): a changed condition moves to the end of the list,
// Running and Restarting replace each other, Succeeded/Failed turn Running False, and nothing
// changes once the job has Failed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace skiff::controllers::pytorchjob {

struct JobCondition {
  std::string type{};    // Created, Running, Restarting, Succeeded, Suspended, Failed
  std::string status{};  // "True", "False"
  std::string reason{};
  std::string message{};
  std::string last_update_time{};
  std::string last_transition_time{};
  bool operator==(const JobCondition&) const = default;
};

struct ReplicaStatus {
  int32_t active = 0;
  int32_t succeeded = 0;
  int32_t failed = 0;
  std::string selector{};                             // "k=v,k=v"
  std::map<std::string, std::string> match_labels{};  // labelSelector.matchLabels (deprecated)
  bool operator==(const ReplicaStatus&) const = default;
};

struct JobStatus {
  std::vector<JobCondition> conditions{};
  std::map<std::string, ReplicaStatus> replica_statuses{};  // "Master", "Worker"
  std::string start_time{};                                 // RFC 3339; "" = unset
  std::string completion_time{};
  bool operator==(const JobStatus&) const = default;

  const JobCondition* Find(std::string_view type) const;
  bool IsTrue(std::string_view type) const;
  bool IsSucceeded() const { return IsTrue("Succeeded"); }
  bool IsFailed() const { return IsTrue("Failed"); }
  bool IsFinished() const { return IsSucceeded() || IsFailed(); }
};

// upstream NewReason: "PyTorchJob" + reason ("PyTorchJobRunning").
std::string Reason(std::string_view reason);

// upstream UpdateJobConditions. `now` is RFC 3339. Returns true when the list changed.
bool UpdateJobConditions(JobStatus* status, std::string_view type, std::string_view cond_status,
                         std::string_view reason, std::string_view message, std::string_view now);

JobStatus ParseJobStatus(const Json& status);
// `base` (the stored status) with this status's fields written over it, so fields Skiff does
// not manage (lastReconcileTime) survive. Zero replica counts are omitted, as upstream's
// omitempty tags do.
Json JobStatusToJson(const JobStatus& status, const Json& base);

}  // namespace skiff::controllers::pytorchjob
