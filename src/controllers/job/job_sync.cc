// PlanSync: kube 1.32 syncJob/manageJob decisions over typed views.
#include "controllers/job/job_sync.h"

#include <algorithm>

#include "controllers/job/pod_failure_policy.h"

namespace skiff::controllers::job {

namespace {

using std::chrono::milliseconds;

void MinRequeue(SyncPlan* plan, milliseconds d) {
  if (d.count() <= 0) return;
  if (plan->requeue_after.count() == 0 || d < plan->requeue_after) plan->requeue_after = d;
}

// Which active pods to delete first, as kube's activePodsForRemoval ranks them:
// not yet running before running, not ready before ready, then the newest.
void SortForRemoval(std::vector<const PodView*>* pods) {
  std::stable_sort(pods->begin(), pods->end(), [](const PodView* a, const PodView* b) {
    bool a_pending = a->phase != "Running";
    bool b_pending = b->phase != "Running";
    if (a_pending != b_pending) return a_pending;
    if (a->ready != b->ready) return !a->ready;
    return a->created > b->created;
  });
}

// restartPolicy OnFailure: container restarts of live pods count against
// backoffLimit (kube's pastBackoffLimitOnFailure).
bool PastBackoffLimitOnFailure(const JobSpecView& spec, const std::vector<const PodView*>& active) {
  if (spec.restart_policy != "OnFailure") return false;
  int64_t restarts = 0;
  for (const PodView* p : active) {
    if (p->phase != "Running" && p->phase != "Pending") continue;
    for (const auto& c : p->init_containers) restarts += c.restart_count;
    for (const auto& c : p->containers) restarts += c.restart_count;
  }
  if (spec.backoff_limit == 0) return restarts > 0;
  return restarts >= spec.backoff_limit;
}

}  // namespace

SyncPlan PlanSync(const SyncInput& in) {
  SyncPlan plan;
  const JobSpecView& spec = in.spec;
  const bool indexed = spec.completion_mode == CompletionMode::kIndexed;
  const int64_t completions = spec.completions.value_or(0);

  std::vector<const PodView*> active;
  std::vector<const PodView*> succeeded_pods;
  std::vector<const PodView*> failed_pods;
  int32_t terminating = 0;
  for (const PodView& p : in.pods) {
    if (p.Succeeded()) {
      succeeded_pods.push_back(&p);
    } else if (p.Failed()) {
      // A pod that failed because it was deleted (suspend, scale down, kubectl
      // delete) is replaced without counting against backoffLimit.
      if (!p.deleting) failed_pods.push_back(&p);
    } else if (p.deleting || in.in_flight.deletes.count(p.name)) {
      ++terminating;
    } else {
      active.push_back(&p);
    }
  }
  std::sort(failed_pods.begin(), failed_pods.end(),
            [](const PodView* a, const PodView* b) { return a->finished < b->finished; });

  // Succeeded: completed indexes accumulate in status, so a deleted pod never
  // un-completes one.
  IndexSet completed;
  if (indexed) {
    completed = ParseIndexes(in.prior.completed_indexes, completions);
    for (const PodView* p : succeeded_pods) {
      if (p->index >= 0 && p->index < completions) completed.insert(p->index);
    }
    plan.succeeded = static_cast<int32_t>(completed.size());
    plan.completed_indexes = FormatIndexes(completed);
  } else {
    plan.succeeded =
        std::max<int32_t>(in.prior.succeeded, static_cast<int32_t>(succeeded_pods.size()));
  }

  // Failed: podFailurePolicy applies to failed pods of restartPolicy Never
  // jobs.
  std::string fail_job_message;
  std::vector<const PodView*> counted_failures;
  for (const PodView* p : failed_pods) {
    if (spec.restart_policy == "Never" && !spec.pod_failure_rules.empty()) {
      FailurePolicyMatch m = MatchPodFailurePolicy(spec.pod_failure_rules, *p, in.ns);
      if (m.action == FailurePolicyAction::kFailJob && fail_job_message.empty()) {
        fail_job_message = m.message;
      }
      if (!m.counts) continue;
    }
    counted_failures.push_back(p);
  }
  plan.failed = std::max<int32_t>(in.prior.failed, static_cast<int32_t>(counted_failures.size()));

  // Failure first, then success (kube's order).
  if (in.prior.failure_target) {
    plan.outcome = Outcome::kFailing;
    plan.reason = in.prior.failure_reason;
    plan.message = in.prior.failure_message;
  } else if (in.prior.success_criteria_met) {
    plan.outcome = Outcome::kSucceeding;
  } else if (!fail_job_message.empty()) {
    plan.outcome = Outcome::kFailing;
    plan.reason = kReasonPodFailurePolicy;
    plan.message = fail_job_message;
  } else if (plan.failed > spec.backoff_limit || PastBackoffLimitOnFailure(spec, active)) {
    plan.outcome = Outcome::kFailing;
    plan.reason = kReasonBackoffLimitExceeded;
    plan.message = kMessageBackoffLimitExceeded;
  } else if (spec.active_deadline_seconds && !spec.suspend && in.prior.start_time) {
    auto deadline = *in.prior.start_time + std::chrono::seconds(*spec.active_deadline_seconds);
    if (in.now >= deadline) {
      plan.outcome = Outcome::kFailing;
      plan.reason = kReasonDeadlineExceeded;
      plan.message = kMessageDeadlineExceeded;
    } else {
      MinRequeue(&plan,
                 std::chrono::duration_cast<milliseconds>(deadline - in.now) + milliseconds(1));
    }
  }
  if (plan.outcome == Outcome::kRunning) {
    bool complete = spec.completions
                        ? plan.succeeded >= completions
                        : plan.succeeded > 0 && active.empty() && in.in_flight.creates == 0;
    if (complete) plan.outcome = Outcome::kSucceeding;
  }
  if (plan.outcome == Outcome::kSucceeding) {
    plan.reason = kReasonCompletionsReached;
    plan.message = kMessageCompletionsReached;
  }

  auto delete_all_active = [&] {
    for (const PodView* p : active) plan.delete_pods.push_back(p->name);
    terminating += static_cast<int32_t>(active.size());
    active.clear();
  };

  if (plan.outcome != Outcome::kRunning) {
    delete_all_active();
    plan.terminating = terminating;
    plan.terminal =
        terminating == 0 && in.in_flight.creates == 0 && in.in_flight.create_indexes.empty();
    return plan;
  }

  if (spec.suspend) {
    delete_all_active();
    plan.suspended = true;
    plan.terminating = terminating;
    return plan;
  }
  if (in.prior.suspended) plan.resumed = true;
  plan.set_start_time = !in.prior.start_time;

  // manageJob: converge the number of active pods.
  int64_t in_flight_creates =
      indexed ? static_cast<int64_t>(in.in_flight.create_indexes.size()) : in.in_flight.creates;
  if (indexed) {
    // Pods with a bad or completed index, and duplicates of an index, go first.
    std::sort(active.begin(), active.end(),
              [](const PodView* a, const PodView* b) { return a->created < b->created; });
    IndexSet active_indexes;
    std::vector<const PodView*> keep;
    for (const PodView* p : active) {
      if (p->index < 0 || p->index >= completions || completed.count(p->index) ||
          active_indexes.count(p->index)) {
        plan.delete_pods.push_back(p->name);
        ++terminating;
      } else {
        active_indexes.insert(p->index);
        keep.push_back(p);
      }
    }
    active = keep;
    int64_t want = std::min<int64_t>(completions - plan.succeeded, spec.parallelism);
    want = std::max<int64_t>(want, 0);
    int64_t have = static_cast<int64_t>(active.size()) + in_flight_creates;
    if (static_cast<int64_t>(active.size()) > want) {
      // Keep the lowest indexes running.
      std::sort(active.begin(), active.end(),
                [](const PodView* a, const PodView* b) { return a->index > b->index; });
      int64_t excess = static_cast<int64_t>(active.size()) - want;
      for (int64_t i = 0; i < excess; ++i) plan.delete_pods.push_back(active[i]->name);
      terminating += static_cast<int32_t>(excess);
      active.erase(active.begin(), active.begin() + excess);
    } else if (have < want) {
      plan.create_indexes = FirstMissingIndexes(
          completions, want - have, {&completed, &active_indexes, &in.in_flight.create_indexes});
    }
  } else {
    int64_t want;
    if (!spec.completions) {
      // Work queue: once one pod succeeded no new pods start; the rest finish
      // on their own.
      want = plan.succeeded > 0 ? static_cast<int64_t>(active.size()) : spec.parallelism;
    } else {
      want = std::min<int64_t>(completions - plan.succeeded, spec.parallelism);
    }
    want = std::max<int64_t>(want, 0);
    int64_t have = static_cast<int64_t>(active.size()) + in_flight_creates;
    if (static_cast<int64_t>(active.size()) > want) {
      std::vector<const PodView*> removable = active;
      SortForRemoval(&removable);
      int64_t excess = static_cast<int64_t>(active.size()) - want;
      for (int64_t i = 0; i < excess; ++i) {
        plan.delete_pods.push_back(removable[i]->name);
        active.erase(std::find(active.begin(), active.end(), removable[i]));
      }
      terminating += static_cast<int32_t>(excess);
    } else if (have < want) {
      plan.create_count = want - have;
    }
  }

  // Pod failures delay the next creations (10 s, 20 s, 40 s, ... up to 10 min).
  if (plan.create_count > 0 || !plan.create_indexes.empty()) {
    milliseconds left = RemainingBackoff(counted_failures, succeeded_pods, in.now);
    if (left.count() > 0) {
      plan.create_count = 0;
      plan.create_indexes.clear();
      MinRequeue(&plan, left);
    }
  }

  plan.active = static_cast<int32_t>(active.size() + in_flight_creates);
  for (const PodView* p : active) {
    if (p->ready) ++plan.ready;
  }
  plan.terminating = terminating;
  return plan;
}

}  // namespace skiff::controllers::job
