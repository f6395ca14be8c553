// ApiWriter: the agent's API writes (the kubelet's status manager plus its node lease loop): pod
// status patches coalesced per pod, final pod deletions, the Node object and its
// coordination.k8s.io Lease heartbeat. The supervisor never blocks on these.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::client {
class Client;
}

namespace skiff::node {

struct ApiWriterOptions {
  std::string node_name{};
  std::chrono::seconds lease_renew{10};  // kubelet: nodeLeaseRenewIntervalFraction * 40s
  std::chrono::seconds lease_duration{40};
  std::chrono::seconds node_status_period{60};  // Ready condition heartbeat
  // Writer threads. Writes for different pods go out in parallel (a burst of pod starts is not
  // serialized behind one round trip each); one pod's writes stay in order.
  int writers = 4;
};

// Thread-safe. Start() registers the Node (blocking, so callers see errors), then runs the
// writer threads until Stop().
class ApiWriter {
 public:
  ApiWriter(client::Client* client, ApiWriterOptions options);
  ~ApiWriter();

  // Creates or updates Node `node_name` from `node` (metadata.labels/annotations + status) and
  // the node lease; then starts the thread.
  Status Start(Json node);
  void Stop();  // flushes queued writes first (bounded), then joins

  // Queues `status` as the pod's status (merge patch of /status); a later call for the same
  // pod replaces an unwritten earlier one.
  void PatchPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                      Json status);
  // Deletes the pod with gracePeriodSeconds=0 and a uid precondition (the kubelet's last step).
  void DeletePod(const std::string& ns, const std::string& name, const std::string& uid);
  // Blocks until everything queued so far was attempted (tests).
  void Flush();

 private:
  struct Item {
    std::string ns, name, uid;
    bool del = false;
    std::string patch;  // the merge patch body
  };
  void Loop(bool heartbeats);
  // The first pending item whose pod has no write in flight; pending_.end() when none.
  std::map<std::string, Item>::iterator NextReady();
  Status RenewLease();
  Status UpdateNodeStatus();
  void Write(const Item& item);

  client::Client* client_;
  const ApiWriterOptions options_;
  std::shared_ptr<const Json> node_;  // the Node as registered; set before the thread starts
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Item> pending_;  // uid -> item; guarded by mu_
  std::set<std::string> busy_;           // uids with a write in flight; guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace skiff::node
