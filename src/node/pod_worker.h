// PodWorker: one pod's lifecycle on this node (the kubelet's pod worker + SyncPod): sandbox,
// init containers in order, containers with restart policy and CrashLoopBackOff, probes,
// graceful termination, status, and the state file that lets a restarted agent re-adopt it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "node/backoff.h"
#include "node/node_context.h"
#include "node/pod_spec.h"
#include "node/pod_status.h"
#include "node/prober.h"
#include "node/volumes.h"

namespace skiff::node {

using SteadyTime = std::chrono::steady_clock::time_point;

// Owned and called by the supervisor thread only.
class PodWorker {
 public:
  PodWorker(NodeContext& ctx, std::string uid);
  ~PodWorker();

  // A newer version of the pod object from the API.
  void SetPod(std::shared_ptr<const Json> pod);
  // The pod object is gone from the API: stop everything and clean up.
  void SetGone();
  // Restores state persisted by an earlier agent; processes still alive are adopted.
  void Adopt(const Json& state);

  // Advances the pod as far as it can now; returns when it next needs a Sync (timers: backoff,
  // grace deadlines, probes). Process exits arrive through the pidfds below.
  SteadyTime Sync();
  // Records a probe result; returns whether the pod needs a Sync (something changed, or the
  // probe is due again).
  bool OnProbeResult(const std::string& container, int kind, bool success,
                     const std::string& message);

  // Keeps each container log under `max_bytes`: a larger one is cut to its newest half (at a
  // line boundary). Lines written during the cut may be lost. Called periodically.
  void RotateLogs(int64_t max_bytes);

  // The agent is stopping. A pod being deleted (or gone from the API) is finished now: its
  // containers get their grace period within `budget`, then SIGKILL; its sandbox is torn down
  // and its state removed (or its final status and deletion queued), so nothing is left half
  // torn down. Any other pod's state is persisted for re-adoption. Blocks.
  void Shutdown(std::chrono::milliseconds budget);
  // Removes what a pod with no state file left on the host: processes in its cgroups, the
  // cgroups, its network namespace and address, and its state directory. Idempotent.
  static void CleanupLeftovers(NodeContext& ctx, const std::string& uid);

  // pidfds of running processes and the exec_fds of launches not yet confirmed (poll them).
  std::vector<int> PidFds() const;
  // True once the pod is gone from the API and everything on the host is cleaned up.
  bool Finished() const { return finished_; }
  const std::string& uid() const { return uid_; }

  // <data_dir>/node/<node>/pods: per node name, so two agents may share a data dir.
  static std::string StateDir(const std::string& data_dir, const std::string& node);

 private:
  struct Run;
  Run* FindRun(const std::string& name);
  bool EnsureSandbox();
  void TeardownSandbox();
  bool StartContainer(Run& run);
  // Records a failed start (terminated, exit 128, StartError, a Warning Event); returns false.
  bool StartError(Run& run, SystemTime now, const std::string& message);
  // Picks up the outcome of launches whose exec was not confirmed yet.
  void CheckLaunches();
  // The container's program runs: state Running, probe timers, Created/Started Events.
  void FinishStart(Run& run);
  void HandleExit(Run& run);
  void StopContainer(Run& run, int64_t grace_seconds, const std::string& why);
  void EscalateKills();
  bool AllStopped() const;
  void SyncInit(SteadyTime* wake);
  void SyncContainers(SteadyTime* wake);
  bool MaybeRestart(Run& run, SteadyTime* wake);
  void SyncProbes(Run& run, SteadyTime* wake);
  // Readiness probed every kAggressiveProbePeriod until ready, without Unhealthy events, for pods
  // annotated kAggressiveReadinessAnnotation (what Knative's queue-proxy does for a revision's
  // container, so a pod woken from zero takes traffic as soon as its model is loaded).
  bool AggressiveReadiness(const Run& run) const;
  void WriteStatus();
  void Persist();
  void Event(const std::string& type, const std::string& reason, const std::string& message);
  int64_t GraceSeconds() const;
  std::string ContainerKey(const Run& run) const;
  std::string LogDir() const;
  std::string PodDir() const;

  NodeContext& ctx_;
  const std::string uid_;
  std::shared_ptr<const Json> object_;
  std::optional<PodSpecView> pod_;
  std::vector<std::unique_ptr<Run>> init_, main_;
  CrashLoopBackoff backoff_;
  // Sandbox.
  bool sandbox_ready_ = false;
  bool net_ready_ = false;
  std::future<StatusOr<std::string>> net_future_;  // network setup running on ctx_.setup_pool
  std::string pod_ip_;
  std::map<std::string, PreparedVolume> volumes_;
  std::vector<std::string> created_mount_points_;
  std::vector<int> gpus_;
  std::optional<SystemTime> start_time_;
  std::string failed_reason_, failed_message_;
  std::string sandbox_error_;  // last sandbox failure, to send its Event once
  // Lifecycle.
  bool gone_ = false;
  bool terminating_ = false;
  bool delete_sent_ = false;
  bool finished_ = false;
  std::shared_ptr<const Json> last_status_;  // what was last sent to the API
  std::string last_persisted_;
};

}  // namespace skiff::node
