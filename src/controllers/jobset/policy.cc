// JobSet run classification, replicatedJobsStatus, success and failure
// policies.
#include "controllers/jobset/policy.h"

#include <algorithm>
#include <regex>

namespace skiff::controllers::jobset {

namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Upstream appends the first failed Job to every failure message.
std::string WithFirstFailedJob(const std::string& msg, const std::string& job) {
  return msg + " (first failed job: " + job + ")";
}

bool MessageMatches(const std::vector<std::string>& patterns, const std::string& message) {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns) {
    try {
      if (std::regex_search(message, std::regex(p))) return true;
    } catch (const std::regex_error&) {
      // An invalid pattern matches nothing (upstream validation would have
      // rejected it).
    }
  }
  return false;
}

bool RuleApplies(const FailurePolicyRule& rule, const ChildJob& job) {
  if (!rule.on_job_failure_reasons.empty() &&
      !Contains(rule.on_job_failure_reasons, job.failure_reason)) {
    return false;
  }
  if (!MessageMatches(rule.on_job_failure_message_patterns, job.failure_message)) return false;
  if (job.replicated_job.empty()) return false;
  return rule.target_replicated_jobs.empty() ||
         Contains(rule.target_replicated_jobs, job.replicated_job);
}

}  // namespace

Children Classify(const std::vector<ChildJob>& jobs, int32_t restarts) {
  Children c;
  for (const ChildJob& j : jobs) {
    if (j.restart_attempt < restarts) {
      c.previous.push_back(&j);
      continue;
    }
    switch (j.state) {
      case ChildState::kActive:
        c.active.push_back(&j);
        break;
      case ChildState::kSucceeded:
        c.succeeded.push_back(&j);
        break;
      case ChildState::kFailed:
        c.failed.push_back(&j);
        break;
    }
  }
  return c;
}

std::vector<ReplicatedJobStatus> ReplicatedJobStatuses(const JobSetSpecView& spec,
                                                       const Children& children) {
  std::vector<ReplicatedJobStatus> out;
  for (const ReplicatedJob& r : spec.replicated_jobs) out.push_back({r.name});
  auto find = [&](const std::string& name) -> ReplicatedJobStatus* {
    for (ReplicatedJobStatus& s : out) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (const ChildJob* j : children.active) {
    ReplicatedJobStatus* s = find(j->replicated_job);
    if (!s) continue;
    int32_t pods = j->parallelism;
    if (j->completions && *j->completions < pods) pods = *j->completions;
    if (j->succeeded + j->ready >= pods) ++s->ready;
    if (j->active > 0) ++s->active;
    if (j->suspended) ++s->suspended;
  }
  for (const ChildJob* j : children.succeeded) {
    if (ReplicatedJobStatus* s = find(j->replicated_job)) ++s->succeeded;
  }
  for (const ChildJob* j : children.failed) {
    if (ReplicatedJobStatus* s = find(j->replicated_job)) ++s->failed;
  }
  return out;
}

bool SuccessPolicyMet(const JobSetSpecView& spec, const Children& children) {
  auto targeted = [&](const std::string& rjob) {
    return spec.success_targets.empty() || Contains(spec.success_targets, rjob);
  };
  int64_t matching = 0;
  for (const ChildJob* j : children.succeeded) {
    if (targeted(j->replicated_job)) ++matching;
  }
  int64_t expected = 0;
  if (spec.success_operator == "Any") {
    expected = 1;
  } else {
    for (const ReplicatedJob& r : spec.replicated_jobs) {
      if (targeted(r.name)) expected += r.replicas;
    }
  }
  return matching > 0 && matching >= expected;
}

FailureDecision DecideFailure(const JobSetSpecView& spec, const JobSetStatusView& status,
                              const Children& children) {
  FailureDecision d;
  std::vector<const ChildJob*> failed = children.failed;
  std::stable_sort(failed.begin(), failed.end(), [](const ChildJob* a, const ChildJob* b) {
    return a->failure_time < b->failure_time;
  });
  if (failed.empty()) return d;
  if (!spec.has_failure_policy) {
    d.fail = true;
    d.reason = "FailedJobs";
    d.message =
        WithFirstFailedJob("jobset failed due to one or more job failures", failed.front()->name);
    return d;
  }
  std::string action = "RestartJobSet";
  const ChildJob* job = failed.front();
  for (const FailurePolicyRule& rule : spec.failure_rules) {
    auto hit = std::find_if(failed.begin(), failed.end(),
                            [&](const ChildJob* j) { return RuleApplies(rule, *j); });
    if (hit != failed.end()) {
      action = rule.action;
      job = *hit;
      break;
    }
  }
  if (action == "FailJobSet") {
    d.fail = true;
    d.reason = "FailJobSetFailurePolicyAction";
    d.message = WithFirstFailedJob("applying FailJobSet failure policy action", job->name);
  } else if (action == "RestartJobSetAndIgnoreMaxRestarts" ||
             action == "RestartJobAndIgnoreMaxRestarts") {
    d.restart = true;
    d.reason = "RestartJobSetAndIgnoreMaxRestartsFailurePolicyAction";
    d.message = WithFirstFailedJob(
        "applying RestartJobSetAndIgnoreMaxRestarts failure policy action", job->name);
  } else if (status.restarts_count_towards_max >= spec.max_restarts) {
    d.fail = true;
    d.reason = "ReachedMaxRestarts";
    d.message =
        WithFirstFailedJob("jobset failed due to reaching max number of restarts", job->name);
  } else {
    d.restart = true;
    d.count_towards_max = true;
    d.reason = "RestartJobSetFailurePolicyAction";
    d.message = WithFirstFailedJob("applying RestartJobSet failure policy action", job->name);
  }
  return d;
}

bool DependenciesReached(const JobSetSpecView& spec, const ReplicatedJob& rjob,
                         const std::vector<ReplicatedJobStatus>& statuses) {
  for (const Dependency& dep : rjob.depends_on) {
    int32_t replicas = -1;
    for (const ReplicatedJob& r : spec.replicated_jobs) {
      if (r.name == dep.name) replicas = r.replicas;
    }
    const ReplicatedJobStatus* s = nullptr;
    for (const ReplicatedJobStatus& x : statuses) {
      if (x.name == dep.name) s = &x;
    }
    if (!s || replicas < 0) return false;
    if (dep.status == "Complete" && s->succeeded == replicas) continue;
    if (dep.status == "Ready" && s->ready + s->failed + s->succeeded == replicas) continue;
    return false;
  }
  return true;
}

}  // namespace skiff::controllers::jobset
