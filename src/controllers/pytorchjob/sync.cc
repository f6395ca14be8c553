// PyTorchJob reconcile planning (training-operator v1.9 semantics, see sync.h). Messages and
// reasons are upstream's, so tooling that matches on them keeps working.
#include "controllers/pytorchjob/sync.h"

#include <algorithm>

#include "controllers/pytorchjob/children.h"

namespace skiff::controllers::pytorchjob {

namespace {

using std::chrono::milliseconds;

class Planner {
 public:
  explicit Planner(const SyncInput& in) : in_(in), job_(in.job), now_(FormatRfc3339(in.now)) {
    plan_.status = in.prior;
  }

  SyncPlan Run() {
    JobStatus& st = plan_.status;
    if (!st.Find("Created")) {
      Update("Created", "True", "Created", "PyTorchJob " + job_.name + " is created.");
    }
    if (!job_.validation_errors.empty() && !st.IsFinished()) {
      std::string msg = "PyTorchJob " + job_.name + " is invalid: ";
      for (size_t i = 0; i < job_.validation_errors.size(); ++i) {
        msg += (i ? "; " : "") + job_.validation_errors[i];
      }
      if (Update("Failed", "True", "FailedValidation", msg)) {
        Event("Warning", Reason("FailedValidation"), msg);
      }
    }
    if (st.IsFinished()) {
      FinishedJob();
    } else if (job_.suspend) {
      SuspendedJob();
    } else {
      RunningJob();
    }
    if (st.IsFinished() && st.completion_time.empty()) st.completion_time = now_;
    return std::move(plan_);
  }

 private:
  bool Update(const std::string& type, const char* status, const char* reason,
              const std::string& message) {
    return UpdateJobConditions(&plan_.status, type, status, Reason(reason), message, now_);
  }
  void Event(const char* type, std::string reason, std::string message) {
    plan_.events.push_back({type, std::move(reason), std::move(message)});
  }
  void Requeue(SystemTime at) {
    if (at <= in_.now) at = in_.now;
    milliseconds d = std::chrono::duration_cast<milliseconds>(at - in_.now) + milliseconds(1);
    if (plan_.requeue_after.count() == 0 || d < plan_.requeue_after) plan_.requeue_after = d;
  }
  bool HasService(const std::string& name) const {
    for (const ServiceView& s : in_.services) {
      if (s.name == name) return true;
    }
    return false;
  }
  void DeletePod(const PodView& p) {
    if (!p.deleting) plan_.delete_pods.push_back(p.name);
  }
  void DeleteAll() {
    for (const PodView& p : in_.pods) DeletePod(p);
    for (const ServiceView& s : in_.services) plan_.delete_services.push_back(s.name);
  }

  // upstream CleanupJob: delete the job ttlSecondsAfterFinished after its completionTime.
  void HandleTtl() {
    if (!job_.ttl_seconds_after_finished) return;
    JobStatus& st = plan_.status;
    if (st.completion_time.empty()) st.completion_time = now_;
    auto done = ParseRfc3339(st.completion_time);
    SystemTime finished = done.ok() ? *done : in_.now;
    SystemTime expiry = finished + std::chrono::seconds(*job_.ttl_seconds_after_finished);
    if (in_.now >= expiry) {
      plan_.delete_job = true;
    } else {
      Requeue(expiry);
    }
  }

  // A finished job: clean pods up per cleanPodPolicy (and the Services named like them), count
  // the still-active replicas of a succeeded job as succeeded, and apply the TTL.
  void FinishedJob() {
    JobStatus& st = plan_.status;
    if (job_.clean_pod_policy != CleanPodPolicy::kNone) {
      for (const PodView& p : in_.pods) {
        // A Pending pod will run once scheduled: treat it like a Running one.
        if (job_.clean_pod_policy == CleanPodPolicy::kRunning && p.phase != "Running" &&
            p.phase != "Pending") {
          continue;
        }
        DeletePod(p);
        if (HasService(p.name)) plan_.delete_services.push_back(p.name);
      }
    }
    if (st.IsSucceeded()) {
      for (auto& [type, r] : st.replica_statuses) {
        r.succeeded += r.active;
        r.active = 0;
      }
    }
    HandleTtl();
  }

  void SuspendedJob() {
    JobStatus& st = plan_.status;
    DeleteAll();
    for (auto& [type, r] : st.replica_statuses) r.active = 0;
    std::string msg = "PyTorchJob " + job_.name + " is suspended.";
    if (st.IsTrue("Running")) Update("Running", "False", "Suspended", msg);
    if (!st.IsTrue("Suspended")) {
      Update("Suspended", "True", "Suspended", msg);
      Event("Normal", Reason("Suspended"), msg);
    }
  }

  // upstream PastBackoffLimit: container restarts of running pods whose replica restarts them.
  bool PastBackoffLimit() const {
    int32_t restarts = 0;
    for (const ReplicaSpec& spec : job_.replicas) {
      if (spec.restart_policy == RestartPolicy::kNever) continue;
      for (const PodView& p : in_.pods) {
        if (p.replica_type == ReplicaTypeLabel(spec.type) && p.phase == "Running") {
          restarts += p.restart_count;
        }
      }
    }
    if (*job_.backoff_limit == 0) return restarts > 0;
    return restarts >= *job_.backoff_limit;
  }

  void RunningJob() {
    JobStatus& st = plan_.status;
    if (st.IsTrue("Suspended")) {
      std::string msg = "PyTorchJob " + job_.name + " is resumed.";
      Update("Suspended", "False", "Resumed", msg);
      st.start_time = now_;  // activeDeadlineSeconds counts from the resume
      Event("Normal", Reason("Resumed"), msg);
    }
    int32_t active = 0, failed = 0, prev_failed = 0;
    for (const PodView& p : in_.pods) {
      if (p.Active()) ++active;
      if (p.phase == "Failed") ++failed;
    }
    for (const auto& [type, r] : in_.prior.replica_statuses) prev_failed += r.failed;
    std::string failure;
    if (job_.backoff_limit) {
      // upstream also needs the work queue's retry count here; a reconcile that succeeds has
      // none, so a new failure exceeds the limit only when the limit is 0.
      bool new_failure = failed > prev_failed;
      bool exceeds = new_failure && active != job_.TotalReplicas() && 1 > *job_.backoff_limit;
      if (exceeds || PastBackoffLimit()) {
        failure =
            "Job " + job_.name + " has failed because it has reached the specified backoff limit";
      }
    }
    if (failure.empty() && job_.active_deadline_seconds && !st.start_time.empty()) {
      auto start = ParseRfc3339(st.start_time);
      if (start.ok()) {
        SystemTime deadline = *start + std::chrono::seconds(*job_.active_deadline_seconds);
        if (in_.now >= deadline) {
          failure = "Job " + job_.name +
                    " has failed because it was active longer than specified deadline";
        }
      }
    }
    if (!failure.empty()) {
      if (st.completion_time.empty()) st.completion_time = now_;
      DeleteAll();
      Event("Normal", Reason("Failed"), failure);
      Update("Failed", "True", "Failed", failure);
      HandleTtl();
      return;
    }
    for (const ReplicaSpec& spec : job_.replicas) {
      ReconcilePods(spec);
      ReconcileServices(spec);
    }
    UpdateJobStatus();
  }

  void ReconcilePods(const ReplicaSpec& spec) {
    std::string rt = ReplicaTypeLabel(spec.type);
    ReplicaStatus& status = plan_.status.replica_statuses[ReplicaTypeName(spec.type)];
    status = ReplicaStatus{};
    std::vector<std::vector<const PodView*>> slices(spec.replicas);
    for (const PodView& p : in_.pods) {
      if (p.replica_type != rt || p.index < 0) continue;
      if (static_cast<size_t>(p.index) >= slices.size()) slices.resize(p.index + 1);
      slices[p.index].push_back(&p);
    }
    for (size_t index = 0; index < slices.size(); ++index) {
      if (slices[index].size() > 1) continue;  // upstream only warns
      if (slices[index].empty()) {
        if (index < static_cast<size_t>(spec.replicas)) {
          plan_.create_pods.push_back({spec.type, static_cast<int32_t>(index)});
        }
        continue;
      }
      const PodView& pod = *slices[index][0];
      if (index >= static_cast<size_t>(spec.replicas)) DeletePod(pod);
      if (pod.exit_code != kNoExitCode) {
        plan_.exits.push_back({pod.uid, "Pod: " + job_.ns + "." + pod.name + " exited with code " +
                                            std::to_string(pod.exit_code)});
      }
      if (pod.phase == "Failed" && !pod.deleting) {
        bool retryable = IsRetryableExitCode(pod.exit_code);
        if ((spec.restart_policy == RestartPolicy::kExitCode && retryable) ||
            spec.restart_policy == RestartPolicy::kOnFailure ||
            spec.restart_policy == RestartPolicy::kAlways) {
          DeletePod(pod);
          std::string msg = "job " + job_.name + " is restarting because " +
                            ReplicaTypeName(spec.type) + " replica(s) failed.";
          Event("Warning", Reason("Restarting"), msg);
          Update("Restarting", "True", "Restarting", msg);
        } else if (spec.restart_policy == RestartPolicy::kExitCode) {
          std::string msg = "job \"" + job_.name + "\" is failing because \"" +
                            ReplicaTypeName(spec.type) + "\" replica(s) failed.";
          Event("Warning", Reason("Failed"), msg);
          Update("Failed", "True", "Failed", msg);
        }
      }
      if (pod.phase == "Running") {
        // A running pod being deleted counts as failed: it may never reach a terminal phase.
        ++(pod.deleting ? status.failed : status.active);
      } else if (pod.phase == "Succeeded") {
        ++status.succeeded;
      } else if (pod.phase == "Failed") {
        ++status.failed;
      }
    }
  }

  void ReconcileServices(const ReplicaSpec& spec) {
    std::string rt = ReplicaTypeLabel(spec.type);
    std::vector<std::vector<const ServiceView*>> slices(spec.replicas);
    for (const ServiceView& s : in_.services) {
      if (s.replica_type != rt || s.index < 0) continue;
      if (static_cast<size_t>(s.index) >= slices.size()) slices.resize(s.index + 1);
      slices[s.index].push_back(&s);
    }
    for (size_t index = 0; index < slices.size(); ++index) {
      bool in_range = index < static_cast<size_t>(spec.replicas);
      if (slices[index].empty() && in_range) {
        plan_.create_services.push_back({spec.type, static_cast<int32_t>(index)});
      } else if (slices[index].size() == 1 && !in_range) {
        plan_.delete_services.push_back(slices[index][0]->name);
      }
    }
  }

  // The PyTorch UpdateJobStatus: with a Master, the job runs while the master runs and succeeds
  // when it succeeds; without one (elastic jobs), when every Worker (or, elastic, any Worker)
  // succeeds. A failed replica restarts the job unless its restartPolicy is Never.
  void UpdateJobStatus() {
    JobStatus& st = plan_.status;
    if (st.start_time.empty()) st.start_time = now_;
    if (job_.active_deadline_seconds) {
      auto start = ParseRfc3339(st.start_time);
      if (start.ok()) Requeue(*start + std::chrono::seconds(*job_.active_deadline_seconds));
    }
    for (const ReplicaSpec& spec : job_.replicas) {
      ReplicaStatus& r = st.replica_statuses[ReplicaTypeName(spec.type)];
      r.match_labels = ReplicaSelectorLabels(job_.name, spec.type);
      r.selector = FormatSelector(r.match_labels);
    }
    bool has_master = job_.Find(ReplicaType::kMaster) != nullptr;
    for (const ReplicaSpec& spec : job_.replicas) {
      const ReplicaStatus& r = st.replica_statuses[ReplicaTypeName(spec.type)];
      int32_t expected = spec.replicas - r.succeeded;
      if (has_master && spec.type == ReplicaType::kMaster) {
        if (r.active > 0) {
          Update("Running", "True", "Running", "PyTorchJob " + job_.name + " is running.");
        }
        if (expected == 0) {
          Succeed("PyTorchJob " + job_.name + " is successfully completed.");
          return;
        }
      } else if (!has_master && spec.type == ReplicaType::kWorker) {
        if (expected == 0 || (job_.elastic && r.succeeded > 0)) {
          Succeed("PyTorchJob " + job_.ns + "/" + job_.name + " successfully completed.");
        } else if (r.active > 0) {
          Update("Running", "True", "Running",
                 "PyTorchJob " + job_.ns + "/" + job_.name + " is running.");
        }
      }
      if (r.failed > 0 && spec.replicas > r.succeeded + r.active) {
        std::string count = std::to_string(r.failed) + " " + ReplicaTypeName(spec.type);
        if (spec.restart_policy != RestartPolicy::kNever) {
          std::string msg =
              "PyTorchJob " + job_.name + " is restarting because " + count + " replica(s) failed.";
          if (Update("Restarting", "True", "Restarting", msg)) {
            Event("Warning", Reason("Restarting"), msg);
          }
        } else {
          std::string msg =
              "PyTorchJob " + job_.name + " is failed because " + count + " replica(s) failed.";
          if (st.completion_time.empty()) st.completion_time = now_;
          if (Update("Failed", "True", "Failed", msg)) Event("Normal", Reason("Failed"), msg);
        }
      }
    }
  }

  void Succeed(const std::string& msg) {
    JobStatus& st = plan_.status;
    if (st.completion_time.empty()) st.completion_time = now_;
    if (Update("Succeeded", "True", "Succeeded", msg)) Event("Normal", Reason("Succeeded"), msg);
  }

  const SyncInput& in_;
  const PyTorchJobView& job_;
  const std::string now_;
  SyncPlan plan_;
};

}  // namespace

SyncPlan PlanSync(const SyncInput& in) { return Planner(in).Run(); }

}  // namespace skiff::controllers::pytorchjob
