// LeaderElector: client-go's Lease lock. A candidate acquires a coordination.k8s.io/v1 Lease
// when it is absent or its holder has not renewed it for leaseDurationSeconds (measured on the
// candidate's own clock from when it last saw the record change, so clock skew between copies
// does not matter), renews it every retry_period, and gives up leadership when it cannot renew
// within renew_deadline. Writes use the Lease's resourceVersion, so two candidates never both
// win the same round.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

namespace skiff::client {
class Client;
}

namespace skiff::controllers {

struct LeaderElectionConfig {
  std::string ns = "kube-system";
  std::string name{};
  std::string identity{};  // default: hostname + "_" + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::function<void()> on_started_leading{};  // called on the elector's thread
  std::function<void()> on_stopped_leading{};  // called on the elector's thread
};

class LeaderElector {
 public:
  LeaderElector(client::Client* client, LeaderElectionConfig config);
  ~LeaderElector();  // Stop()
  Status Start();    // non-blocking
  // Stops trying; a held lease is released (holderIdentity cleared) so a standby takes over at
  // once, as client-go's ReleaseOnCancel.
  void Stop();
  bool IsLeader() const;
  const std::string& identity() const { return config_.identity; }

 private:
  void Run();
  // One acquire-or-renew attempt; true when we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();

  client::Client* client_;
  LeaderElectionConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool leader_ = false;    // guarded by mu_
  // What we last observed of the lease (holder + renewTime), and when, on our clock.
  std::string observed_record_{};
  std::chrono::steady_clock::time_point observed_at_{};
  std::thread thread_;
};

}  // namespace skiff::controllers
