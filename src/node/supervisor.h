// Supervisor: the node agent's one thread that owns every PodWorker. It waits on pidfds (process
// exits), an eventfd (pod updates, probe results) and the workers' timers, and syncs the pods
// that need it. Pods stay running when it stops; restarting it re-adopts them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "node/node_context.h"

namespace skiff::node {

class PodWorker;

// Thread-safe entry points (Upsert, Remove, PostProbeResult); the rest of the
// state belongs to the loop thread.
class Supervisor {
 public:
  explicit Supervisor(NodeContext& ctx);
  ~Supervisor();  // Stop()

  // Loads persisted pod state from <data_dir>/node/pods and starts the loop thread.
  void Start();
  // Stops the thread. Running pods are left running (and re-adopted by the next Start); pods
  // already deleted from the API are killed and cleaned up first (bounded, ~10 s at most).
  void Stop();

  void Upsert(std::shared_ptr<const Json> pod);
  void Remove(std::shared_ptr<const Json> pod);
  // Called by the loop until it returns true: the pod informer has listed everything, so
  // persisted pods not in the list are orphans. Set before Start().
  void SetSyncedCheck(std::function<bool()> synced) { synced_check_ = std::move(synced); }
  void PostProbeResult(const std::string& uid, const std::string& container, int kind, bool success,
                       const std::string& message);
  // Syncs the pod soon (its network setup finished on another thread).
  void WakePod(const std::string& uid);
  // Before Stop: the pods bound to this node as the API lists them now. Pods the informer had
  // not caught up on are brought up to date, and those missing from `pods` count as deleted,
  // so Stop finishes a burst of deletions that arrived just before it.
  void FinalList(const std::vector<std::shared_ptr<const Json>>& pods);
  // Number of pods with a worker (tests, metrics).
  size_t PodCount();

 private:
  struct ProbeResult {
    std::string uid, container;
    int kind;
    bool success;
    std::string message;
  };
  struct Inbox {
    std::map<std::string, std::shared_ptr<const Json>> upserts;
    std::set<std::string> removals;
    std::map<std::string, std::shared_ptr<const Json>> removed_objects;
    std::vector<ProbeResult> probes;
    std::set<std::string> wakes;
  };
  void Wake();
  void Loop();
  // Removes sandboxes of pods this agent has no state for (see PodWorker::CleanupLeftovers).
  void CleanupLeftovers();
  // On Stop: applies pending deletions and lets every worker finish or persist (PodWorker::
  // Shutdown), so nothing is left half torn down.
  void Shutdown(Inbox& inbox,
                const std::optional<std::vector<std::shared_ptr<const Json>>>& final_pods);
  PodWorker* WorkerFor(const std::string& uid, const std::shared_ptr<const Json>& pod);

  NodeContext& ctx_;
  int event_fd_ = -1;
  std::thread thread_;
  std::mutex mu_;
  Inbox inbox_;                                                         // guarded by mu_
  bool stop_ = false;                                                   // guarded by mu_
  std::optional<std::vector<std::shared_ptr<const Json>>> final_pods_;  // guarded by mu_
  size_t pod_count_ = 0;                                                // guarded by mu_
  // Loop thread only.
  std::map<std::string, std::unique_ptr<PodWorker>> workers_;
  std::map<std::string, std::shared_ptr<const Json>> persisted_;  // uid -> state file
  bool orphans_checked_ = false;
  std::function<bool()> synced_check_;
};

}  // namespace skiff::node
