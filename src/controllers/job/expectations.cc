// Expectations bookkeeping for in-flight pod creates and deletes.
#include "controllers/job/expectations.h"

#include <set>

namespace skiff::controllers::job {

void Expectations::ExpectCreate(const std::string& job_key, const std::string& pod_name,
                                int64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[job_key].creates[pod_name] = {index, clock_->Steady() + ttl_};
}

void Expectations::ExpectDelete(const std::string& job_key, const std::string& pod_name) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[job_key].deletes[pod_name] = clock_->Steady() + ttl_;
}

InFlight Expectations::Observe(const std::string& job_key, const std::vector<PodView>& pods) {
  InFlight out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(job_key);
  if (it == records_.end()) return out;
  Record& r = it->second;
  auto now = clock_->Steady();
  std::set<std::string> listed;
  std::set<std::string> live;
  for (const PodView& p : pods) {
    listed.insert(p.name);
    if (!p.deleting) live.insert(p.name);
  }
  for (auto c = r.creates.begin(); c != r.creates.end();) {
    if (listed.count(c->first) || now >= c->second.expires) {
      c = r.creates.erase(c);
      continue;
    }
    if (c->second.index >= 0) {
      out.create_indexes.insert(c->second.index);
    } else {
      ++out.creates;
    }
    ++c;
  }
  for (auto d = r.deletes.begin(); d != r.deletes.end();) {
    if (!live.count(d->first) || now >= d->second) {
      d = r.deletes.erase(d);
      continue;
    }
    out.deletes.insert(d->first);
    ++d;
  }
  if (r.creates.empty() && r.deletes.empty()) records_.erase(it);
  return out;
}

void Expectations::Forget(const std::string& job_key) {
  std::lock_guard<std::mutex> lock(mu_);
  records_.erase(job_key);
}

}  // namespace skiff::controllers::job
