// Expectations: what a controller has asked the API to create or delete but its informer cache
// does not show yet (kube's ControllerExpectations, keyed by object name instead of counts, so a
// lost event cannot wedge an owner forever: entries also expire).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace skiff::controllers {

// Thread-safe.
class Expectations {
 public:
  explicit Expectations(std::chrono::milliseconds ttl = std::chrono::seconds(30)) : ttl_(ttl) {}

  void ExpectCreate(const std::string& owner_key, const std::string& name);
  void ExpectDelete(const std::string& owner_key, const std::string& name);

  struct Pending {
    std::set<std::string> creates;  // created, not yet in the cache
    std::set<std::string> deletes;  // deleted, still active in the cache
  };
  // Settles entries against the cache: a create is done once `in_cache(name)`, a delete once
  // `!active_in_cache(name)`; expired entries are dropped. Returns what is still in flight.
  Pending Settle(const std::string& owner_key, const std::function<bool(const std::string&)>& in_cache,
                 const std::function<bool(const std::string&)>& active_in_cache);
  void Forget(const std::string& owner_key);

 private:
  using Time = std::chrono::steady_clock::time_point;
  struct Entry {
    std::map<std::string, Time> creates;
    std::map<std::string, Time> deletes;
  };
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace skiff::controllers
