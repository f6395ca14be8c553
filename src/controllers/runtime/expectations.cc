// Expectations: in-flight creates/deletes per owner.
#include "controllers/runtime/expectations.h"

namespace skiff::controllers {

void Expectations::ExpectCreate(const std::string& owner_key, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[owner_key].creates[name] = std::chrono::steady_clock::now();
}

void Expectations::ExpectDelete(const std::string& owner_key, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[owner_key].deletes[name] = std::chrono::steady_clock::now();
}

Expectations::Pending Expectations::Settle(
    const std::string& owner_key, const std::function<bool(const std::string&)>& in_cache,
    const std::function<bool(const std::string&)>& active_in_cache) {
  std::lock_guard<std::mutex> lock(mu_);
  Pending out;
  auto it = entries_.find(owner_key);
  if (it == entries_.end()) return out;
  auto now = std::chrono::steady_clock::now();
  for (auto c = it->second.creates.begin(); c != it->second.creates.end();) {
    if (in_cache(c->first) || now - c->second >= ttl_) {
      c = it->second.creates.erase(c);
    } else {
      out.creates.insert(c->first);
      ++c;
    }
  }
  for (auto d = it->second.deletes.begin(); d != it->second.deletes.end();) {
    if (!active_in_cache(d->first) || now - d->second >= ttl_) {
      d = it->second.deletes.erase(d);
    } else {
      out.deletes.insert(d->first);
      ++d;
    }
  }
  if (it->second.creates.empty() && it->second.deletes.empty()) entries_.erase(it);
  return out;
}

void Expectations::Forget(const std::string& owner_key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(owner_key);
}

}  // namespace skiff::controllers
