// Expectations: per-Job memory of pods this controller created or deleted that
// the informer cache does not show yet, so a reconcile running on a lagging
// cache neither creates a second pod for the same slot nor counts a deleted pod
// as live (kube's ControllerExpectations, keyed by pod name). Entries expire
// after a timeout in case a watch event is lost.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/time.h"
#include "controllers/job/job_sync.h"

namespace skiff::controllers::job {

// Thread-safe. The clock is not owned and must outlive this object.
class Expectations {
 public:
  explicit Expectations(const Clock* clock,
                        std::chrono::milliseconds ttl = std::chrono::seconds(30))
      : clock_(clock), ttl_(ttl) {}

  // `index` is the completion index of the new pod, or -1 for NonIndexed jobs.
  void ExpectCreate(const std::string& job_key, const std::string& pod_name, int64_t index);
  void ExpectDelete(const std::string& job_key, const std::string& pod_name);
  // Drops entries the cache now reflects (a created pod is listed; a deleted
  // pod is gone or has a deletionTimestamp) or that expired, and returns what
  // is still in flight.
  InFlight Observe(const std::string& job_key, const std::vector<PodView>& cached_pods);
  void Forget(const std::string& job_key);

 private:
  struct Create {
    int64_t index;
    std::chrono::steady_clock::time_point expires;
  };
  struct Record {
    std::map<std::string, Create> creates;
    std::map<std::string, std::chrono::steady_clock::time_point> deletes;
  };
  const Clock* clock_;
  std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::map<std::string, Record> records_;  // guarded by mu_
};

}  // namespace skiff::controllers::job
