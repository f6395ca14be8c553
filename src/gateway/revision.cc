// Least-outstanding picking and the activator hold queue. Picking and holding share one mutex
// so a request can never be queued after the release that should have woken it.
#include "gateway/revision.h"

#include <algorithm>
#include <utility>

#include "base/time.h"

namespace skiff::gateway {

Revision::Revision(std::string name, ActivatorOptions options, ColdCallback on_cold,
                   const Clock& clock)
    : name_(std::move(name)),
      labels_(RevisionLabels(name_)),
      options_(options),
      on_cold_(std::move(on_cold)),
      clock_(clock) {}

std::shared_ptr<Endpoint> Revision::PickLocked(std::span<const Endpoint* const> avoid) {
  const size_t n = endpoints_.size();
  auto avoided = [&](const Endpoint* e) {
    return std::find(avoid.begin(), avoid.end(), e) != avoid.end();
  };
  const int64_t limit = container_concurrency_.load(std::memory_order_relaxed);
  Endpoint* best = nullptr;
  size_t best_index = 0;
  int64_t best_load = 0;
  // Two passes: the first skips endpoints that already failed this request, the second (only
  // when all have failed) allows them again rather than giving up.
  for (int pass = 0; pass < 2 && best == nullptr; ++pass) {
    for (size_t k = 0; k < n; ++k) {
      size_t i = (next_ + k) % n;
      Endpoint* e = endpoints_[i].get();
      if (pass == 0 && !avoid.empty() && avoided(e)) continue;
      int64_t load = e->outstanding.load(std::memory_order_relaxed);
      if (limit > 0 && load >= limit) continue;  // full
      // Strictly less: among equals the first from the rotating start wins (round-robin).
      if (best == nullptr || load < best_load) {
        best = e;
        best_index = i;
        best_load = load;
      }
    }
  }
  if (best == nullptr) return nullptr;
  next_ = (best_index + 1) % n;
  best->outstanding.fetch_add(1, std::memory_order_relaxed);
  return endpoints_[best_index];
}

Revision::Acquired Revision::Acquire(std::span<const Endpoint* const> avoid, Resume resume) {
  Acquired result;
  bool report_cold = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) {
      result.outcome = Outcome::kGone;
      return result;
    }
    // Requests already waiting for a slot go first.
    if (!endpoints_.empty() && held_.empty()) {
      result.endpoint = PickLocked(avoid);
      if (result.endpoint) {
        result.outcome = Outcome::kEndpoint;
        return result;
      }
    }
    if (held_.size() >= options_.queue_capacity) {
      result.outcome = Outcome::kQueueFull;
    } else {
      result.outcome = Outcome::kHeld;
      result.ticket = next_ticket_++;
      held_.push_back(Held{result.ticket, std::move(resume), clock_.Steady()});
      // Only a revision with no endpoint is cold; a full one is busy (the autoscaler sees the
      // held requests in its concurrency).
      if (endpoints_.empty()) {
        report_cold = !cold_reported_;
        cold_reported_ = true;
      }
    }
  }
  if (result.outcome == Outcome::kQueueFull) {
    metrics_.RecordHoldRejected(HoldOutcome::kOverflow);
  }
  if (report_cold) {
    metrics_.RecordColdStart();
    if (on_cold_) on_cold_(name_);
  }
  return result;
}

bool Revision::CancelHold(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(held_.begin(), held_.end(),
                         [ticket](const Held& h) { return h.ticket == ticket; });
  if (it == held_.end()) return false;
  held_.erase(it);
  metrics_.RecordHoldRejected(HoldOutcome::kTimeout);
  // Every held request gave up: the next one reports the revision cold again, in case the
  // scale-up the last report asked for never came.
  if (held_.empty()) cold_reported_ = false;
  return true;
}

void Revision::SetEndpoints(std::vector<EndpointAddress> endpoints) {
  std::vector<std::pair<Resume, std::shared_ptr<Endpoint>>> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    std::vector<std::shared_ptr<Endpoint>> next;
    next.reserve(endpoints.size());
    for (auto& a : endpoints) {
      auto same = [&](const std::shared_ptr<Endpoint>& e) {
        return e->address.address == a.address;
      };
      if (std::any_of(next.begin(), next.end(), same)) continue;  // duplicates count once
      auto it = std::find_if(endpoints_.begin(), endpoints_.end(), same);
      next.push_back(it != endpoints_.end() ? *it : std::make_shared<Endpoint>(std::move(a)));
    }
    for (auto& old : endpoints_) {
      if (std::find(next.begin(), next.end(), old) == next.end()) {
        old->removed.store(true, std::memory_order_relaxed);
      }
    }
    endpoints_ = std::move(next);
    next_ = 0;
    if (!endpoints_.empty()) {
      cold_reported_ = false;
      ReleaseHeldLocked(&released);
    }
  }
  for (auto& [resume, endpoint] : released) resume(std::move(endpoint));
}

void Revision::ReleaseHeldLocked(std::vector<std::pair<Resume, std::shared_ptr<Endpoint>>>* out) {
  if (endpoints_.empty()) return;
  const auto now = clock_.Steady();
  // Arrival order: the queue is FIFO and each one's endpoint is picked in that order.
  while (!held_.empty()) {
    std::shared_ptr<Endpoint> e = PickLocked({});
    if (!e) return;  // every endpoint is at its concurrency limit
    Held h = std::move(held_.front());
    held_.pop_front();
    metrics_.RecordHoldWait(std::chrono::duration<double>(now - h.since).count());
    out->emplace_back(std::move(h.resume), std::move(e));
  }
}

void Revision::Release(Endpoint& endpoint) {
  endpoint.outstanding.fetch_sub(1, std::memory_order_relaxed);
  // Without a limit no request ever waits for a slot: the proxy's hot path stays lock-free.
  if (container_concurrency_.load(std::memory_order_relaxed) == 0) return;
  std::vector<std::pair<Resume, std::shared_ptr<Endpoint>>> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.empty() || shut_down_) return;
    ReleaseHeldLocked(&released);
  }
  for (auto& [resume, e] : released) resume(std::move(e));
}

void Revision::SetContainerConcurrency(int64_t limit) {
  std::vector<std::pair<Resume, std::shared_ptr<Endpoint>>> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (container_concurrency_.load(std::memory_order_relaxed) == limit) return;
    container_concurrency_.store(limit, std::memory_order_relaxed);
    if (!shut_down_) ReleaseHeldLocked(&released);  // a higher limit frees slots
  }
  for (auto& [resume, e] : released) resume(std::move(e));
}

void Revision::Shutdown() {
  std::deque<Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    for (auto& e : endpoints_) e->removed.store(true, std::memory_order_relaxed);
    endpoints_.clear();
    held.swap(held_);
  }
  for (auto& h : held) {
    metrics_.RecordHoldRejected(HoldOutcome::kRemoved);
    h.resume(nullptr);
  }
}

size_t Revision::ready_endpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return endpoints_.size();
}

size_t Revision::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

}  // namespace skiff::gateway
