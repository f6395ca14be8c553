// ApiWriter: status patches and deletions on a few writer threads (at most one write per pod in
// flight), Node registration, and Lease/Node heartbeats on the first of them.
#include "node/api_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "client/client.h"
#include "node/resources.h"

namespace skiff::node {

ApiWriter::ApiWriter(client::Client* client, ApiWriterOptions options)
    : client_(client), options_(std::move(options)) {}

ApiWriter::~ApiWriter() { Stop(); }

Status ApiWriter::Start(Json node) {
  node_ = std::make_shared<const Json>(std::move(node));
  auto created = client_->Create(NodesResource(), "", *node_);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
    return created.status().WithContext("registering node " + options_.node_name);
  }
  if (!created.ok()) {
    // Re-registration (restart): labels/annotations merged, status replaced by ours.
    Json meta_patch = {
        {"metadata",
         {{"labels", (*node_)["metadata"].value("labels", Json::object())},
          {"annotations", (*node_)["metadata"].value("annotations", Json::object())}}}};
    auto patched = client_->Patch(NodesResource(), "", options_.node_name, DumpJson(meta_patch),
                                  {.type = client::PatchType::kMerge});
    if (!patched.ok()) return patched.status().WithContext("updating node " + options_.node_name);
  }
  SKIFF_RETURN_IF_ERROR(UpdateNodeStatus());
  Json ns = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "kube-node-lease"}}}};
  auto ns_created = client_->Create(NamespacesResource(), "", ns);
  if (!ns_created.ok() && ns_created.status().code() != StatusCode::kAlreadyExists) {
    spdlog::warn("component=node could not create namespace kube-node-lease: {}",
                 ns_created.status().ToString());
  }
  if (Status s = RenewLease(); !s.ok()) {
    spdlog::warn("component=node node lease: {}", s.ToString());
  }
  int writers = std::max(1, options_.writers);
  for (int i = 0; i < writers; ++i) threads_.emplace_back([this, i] { Loop(i == 0); });
  return Status();
}

void ApiWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ApiWriter::PatchPodStatus(const std::string& ns, const std::string& name,
                               const std::string& uid, Json status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Item& item = pending_[uid];
    if (item.del) return;  // deletion supersedes
    item = Item{ns, name, uid, false, DumpJson(Json{{"status", std::move(status)}})};
  }
  cv_.notify_all();
}

void ApiWriter::DeletePod(const std::string& ns, const std::string& name, const std::string& uid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_[uid] = Item{ns, name, uid, true, ""};
  }
  cv_.notify_all();
}

void ApiWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return (pending_.empty() && busy_.empty()) || stop_; });
}

void ApiWriter::Write(const Item& item) {
  if (item.del) {
    auto r = client_->Delete(PodsResource(), item.ns, item.name,
                             {.grace_period_seconds = 0, .precondition_uid = item.uid});
    if (!r.ok() && r.status().code() != StatusCode::kNotFound &&
        r.status().code() != StatusCode::kAborted &&
        r.status().code() != StatusCode::kFailedPrecondition) {
      spdlog::warn("component=node deleting pod {}/{}: {}", item.ns, item.name,
                   r.status().ToString());
    }
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = client_->Patch(PodsResource(), item.ns, item.name, item.patch,
                          {.type = client::PatchType::kMerge, .subresource = "status"});
  spdlog::debug(
      "component=node pod={}/{} status patch took {}us", item.ns, item.name,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    spdlog::warn("component=node status of pod {}/{}: {}", item.ns, item.name,
                 r.status().ToString());
  }
}

Status ApiWriter::RenewLease() {
  std::string now = FormatRfc3339(std::chrono::system_clock::now(), 6);
  auto current = client_->Get(LeasesResource(), "kube-node-lease", options_.node_name);
  if (!current.ok() && current.status().code() == StatusCode::kNotFound) {
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", options_.node_name}, {"namespace", "kube-node-lease"}}},
                  {"spec",
                   {{"holderIdentity", options_.node_name},
                    {"leaseDurationSeconds", options_.lease_duration.count()},
                    {"acquireTime", now},
                    {"renewTime", now}}}};
    return client_->Create(LeasesResource(), "kube-node-lease", lease).status();
  }
  if (!current.ok()) return current.status();
  Json patch = {{"spec", {{"holderIdentity", options_.node_name}, {"renewTime", now}}}};
  return client_
      ->Patch(LeasesResource(), "kube-node-lease", options_.node_name, DumpJson(patch),
              {.type = client::PatchType::kMerge})
      .status();
}

Status ApiWriter::UpdateNodeStatus() {
  Json status = (*node_)["status"];
  std::string now = FormatRfc3339(std::chrono::system_clock::now());
  for (auto& c : status["conditions"]) c["lastHeartbeatTime"] = now;
  // lastTransitionTime moves only on a change: keep the server's when the status is the same.
  auto current = client_->Get(NodesResource(), "", options_.node_name);
  if (current.ok() && current->contains("status") && (*current)["status"].contains("conditions")) {
    for (auto& c : status["conditions"]) {
      for (const auto& old : (*current)["status"]["conditions"]) {
        if (old.value("type", "") == c.value("type", "") &&
            old.value("status", "") == c.value("status", "") &&
            old.contains("lastTransitionTime")) {
          c["lastTransitionTime"] = old["lastTransitionTime"];
        }
      }
    }
  }
  Json patch = {{"status", status}};
  return client_
      ->Patch(NodesResource(), "", options_.node_name, DumpJson(patch),
              {.type = client::PatchType::kMerge, .subresource = "status"})
      .status();
}

std::map<std::string, ApiWriter::Item>::iterator ApiWriter::NextReady() {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (!busy_.count(it->first)) return it;
  }
  return pending_.end();
}

void ApiWriter::Loop(bool heartbeats) {
  auto next_lease = std::chrono::steady_clock::now() + options_.lease_renew;
  auto next_status = std::chrono::steady_clock::now() + options_.node_status_period;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto ready = [&] { return stop_ || NextReady() != pending_.end(); };
    if (heartbeats) {
      cv_.wait_until(lock, std::min(next_lease, next_status), ready);
    } else {
      cv_.wait(lock, ready);
    }
    // Drain queued writes even when stopping, so final statuses reach the API.
    for (auto it = NextReady(); it != pending_.end(); it = NextReady()) {
      Item item = std::move(it->second);
      pending_.erase(it);
      busy_.insert(item.uid);
      lock.unlock();
      try {
        Write(item);
      } catch (const std::exception& e) {
        spdlog::error("component=node api write failed: {}", e.what());
      }
      lock.lock();
      busy_.erase(item.uid);
      // A newer write for this pod may have queued meanwhile, and Flush may be waiting.
      cv_.notify_all();
    }
    if (stop_) return;
    if (!heartbeats) continue;
    auto now = std::chrono::steady_clock::now();
    if (now >= next_lease) {
      lock.unlock();
      if (Status s = RenewLease(); !s.ok())
        spdlog::warn("component=node lease renew: {}", s.ToString());
      lock.lock();
      next_lease = now + options_.lease_renew;
    }
    if (now >= next_status) {
      lock.unlock();
      if (Status s = UpdateNodeStatus(); !s.ok()) {
        spdlog::warn("component=node node status: {}", s.ToString());
      }
      lock.lock();
      next_status = now + options_.node_status_period;
    }
  }
}

}  // namespace skiff::node
