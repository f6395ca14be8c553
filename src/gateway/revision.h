// One revision's data-plane state: its ready endpoints picked by least outstanding requests,
// the activator's bounded hold queue for when it has none (with the once-per-episode cold
// callback), and its metrics. Shared by every route that names the revision.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "gateway/metrics.h"
#include "gateway/route.h"

namespace skiff {
class Clock;
}

namespace skiff::gateway {

// One pod address of a revision. Requests keep a shared_ptr while they use it, so its
// outstanding count stays valid after the endpoint leaves the revision.
struct Endpoint {
  explicit Endpoint(EndpointAddress a) : address(std::move(a)) {}
  const EndpointAddress address;
  std::atomic<int64_t> outstanding{0};
  // Set when SetEndpoints dropped it: pooled connections to it are closed, not reused.
  std::atomic<bool> removed{false};
};

struct ActivatorOptions {
  // Requests held per revision while it has no ready endpoint; one more gets 503.
  size_t queue_capacity = 1000;
  // Longest a request is held; then 504. Separate from (and before) the route's timeout.
  std::chrono::milliseconds hold_timeout{60'000};
};

// Thread-safe. Acquire/Release run on loop threads; SetEndpoints/Shutdown on the controller's.
class Revision {
 public:
  // Continues a held request with its endpoint (already counted as outstanding), or with
  // nullptr when the revision was removed first. Runs on the thread that released it, without
  // locks held; must not block (post to the request's loop).
  using Resume = std::function<void(std::shared_ptr<Endpoint>)>;
  // Told once per cold episode (first held request while no endpoint is ready). Called on a
  // loop thread without locks held; must not block.
  using ColdCallback = std::function<void(const std::string& revision)>;

  Revision(std::string name, ActivatorOptions options, ColdCallback on_cold, const Clock& clock);

  const std::string& name() const { return name_; }
  // `namespace_name="..",revision_name=".."`.
  const std::string& labels() const { return labels_; }
  RevisionMetrics& metrics() { return metrics_; }
  const RevisionMetrics& metrics() const { return metrics_; }

  enum class Outcome { kEndpoint, kHeld, kQueueFull, kGone };
  struct Acquired {
    Outcome outcome = Outcome::kQueueFull;
    std::shared_ptr<Endpoint> endpoint;  // kEndpoint
    uint64_t ticket = 0;                 // kHeld: for CancelHold
  };
  // Picks the ready endpoint with the fewest outstanding requests (ties round-robin),
  // preferring ones not in `avoid` (endpoints that already failed this request), and counts
  // the request on it. With no ready endpoint the request is queued (kHeld; `resume` is
  // called later) or refused when the queue is full (kQueueFull). kGone: the revision was
  // removed (a request still routed by the previous table).
  Acquired Acquire(std::span<const Endpoint* const> avoid, Resume resume);
  // Takes a held request out of the queue. True: it was still queued, the caller answers it.
  // False: it was already released and its Resume has run or is about to.
  bool CancelHold(uint64_t ticket);
  // The request finished with `endpoint`. With a container concurrency limit, the freed slot
  // goes to the oldest held request.
  void Release(Endpoint& endpoint);

  // Requests one endpoint takes at once (Knative's containerConcurrency); 0 = unlimited.
  // Lowering it never interrupts requests in flight.
  void SetContainerConcurrency(int64_t limit);

  // Replaces the ready endpoints (endpoints already known keep their outstanding counts).
  // When the set becomes non-empty the held requests are released in arrival order.
  void SetEndpoints(std::vector<EndpointAddress> endpoints);
  // Releases every held request with nullptr (the revision is gone).
  void Shutdown();

  size_t ready_endpoints() const;
  size_t held() const;

 private:
  struct Held {
    uint64_t ticket;
    Resume resume;
    std::chrono::steady_clock::time_point since;
  };
  // The least loaded endpoint under the concurrency limit, counted as outstanding; nullptr when
  // every endpoint is full. REQUIRES: mu_ held, endpoints_ non-empty.
  std::shared_ptr<Endpoint> PickLocked(std::span<const Endpoint* const> avoid);
  // Pops held requests onto free endpoints, oldest first. REQUIRES: mu_ held.
  void ReleaseHeldLocked(std::vector<std::pair<Resume, std::shared_ptr<Endpoint>>>* out);

  const std::string name_;
  const std::string labels_;
  const ActivatorOptions options_;
  const ColdCallback on_cold_;
  const Clock& clock_;
  RevisionMetrics metrics_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;  // guarded by mu_
  size_t next_ = 0;                                   // round-robin start, guarded by mu_
  std::deque<Held> held_;                             // guarded by mu_
  uint64_t next_ticket_ = 1;                          // guarded by mu_
  bool cold_reported_ = false;                        // guarded by mu_
  // Written under mu_; read without it by Release, so the unlimited case takes no lock.
  std::atomic<int64_t> container_concurrency_{0};
  bool shut_down_ = false;                            // guarded by mu_
};

}  // namespace skiff::gateway
