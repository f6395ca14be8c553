// Supervisor loop: poll(eventfd + pidfds, next timer) → apply inbox → sync the pods that need it.
#include "node/supervisor.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "node/network.h"
#include "node/pod_worker.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

std::string UidOf(const Json& pod) {
  if (!pod.contains("metadata") || !pod["metadata"].is_object()) return "";
  return pod["metadata"].value("uid", "");
}

}  // namespace

Supervisor::Supervisor(NodeContext& ctx) : ctx_(ctx) {
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Supervisor::~Supervisor() {
  Stop();
  if (event_fd_ >= 0) close(event_fd_);
}

void Supervisor::Start() {
  std::error_code ec;
  std::string dir = PodWorker::StateDir(ctx_.data_dir, ctx_.node_name);
  fs::create_directories(dir, ec);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto state = ParseJson(ss.str());
    if (!state.ok() || !state->is_object()) continue;
    std::string uid = state->value("uid", "");
    if (!uid.empty()) persisted_[uid] = std::make_shared<const Json>(std::move(*state));
  }
  thread_ = std::thread([this] { Loop(); });
}

void Supervisor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Supervisor::Wake() {
  uint64_t one = 1;
  ssize_t n = write(event_fd_, &one, sizeof(one));
  (void)n;
}

void Supervisor::Upsert(std::shared_ptr<const Json> pod) {
  std::string uid = UidOf(*pod);
  if (uid.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.upserts[uid] = std::move(pod);
  }
  Wake();
}

void Supervisor::Remove(std::shared_ptr<const Json> pod) {
  std::string uid = UidOf(*pod);
  if (uid.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.upserts.erase(uid);
    inbox_.removals.insert(uid);
    inbox_.removed_objects[uid] = std::move(pod);
  }
  Wake();
}

void Supervisor::PostProbeResult(const std::string& uid, const std::string& container, int kind,
                                 bool success, const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.probes.push_back({uid, container, kind, success, message});
  }
  Wake();
}

void Supervisor::WakePod(const std::string& uid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.wakes.insert(uid);
  }
  Wake();
}

void Supervisor::FinalList(const std::vector<std::shared_ptr<const Json>>& pods) {
  std::lock_guard<std::mutex> lock(mu_);
  final_pods_ = pods;
}

size_t Supervisor::PodCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return pod_count_;
}

PodWorker* Supervisor::WorkerFor(const std::string& uid, const std::shared_ptr<const Json>& pod) {
  auto it = workers_.find(uid);
  if (it != workers_.end()) return it->second.get();
  spdlog::debug("component=node new pod worker uid={}", uid);
  auto worker = std::make_unique<PodWorker>(ctx_, uid);
  auto persisted = persisted_.find(uid);
  if (persisted != persisted_.end()) {
    worker->Adopt(*persisted->second);
    persisted_.erase(persisted);
  } else if (pod) {
    // A pod that finished before this agent knew it (no state left): never run it again.
    std::string phase = pod->contains("status") && (*pod)["status"].is_object()
                            ? (*pod)["status"].value("phase", "")
                            : "";
    bool deleting = pod->contains("metadata") && (*pod)["metadata"].contains("deletionTimestamp");
    if (phase == "Succeeded" || phase == "Failed" || deleting) {
      // Still let a deleting pod be finalized (deleted with grace 0) by a fresh worker.
      if (!deleting) return nullptr;
    }
  }
  PodWorker* raw = worker.get();
  workers_[uid] = std::move(worker);
  return raw;
}

void Supervisor::CleanupLeftovers() {
  std::string dir = PodWorker::StateDir(ctx_.data_dir, ctx_.node_name);
  std::error_code ec;
  std::set<std::string> leftovers;
  // A pod directory without its state file: a crash between creating the sandbox and the
  // first persist, or in the middle of removing a finished pod.
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string uid = e.path().filename().string();
    if (e.is_directory(ec) && !persisted_.count(uid) && !fs::exists(dir + "/" + uid + ".json", ec))
      leftovers.insert(uid);
  }
  if (ctx_.network != nullptr) {
    std::string own = fs::absolute(dir, ec).lexically_normal().string();
    for (const auto& a : ctx_.network->Allocations()) {
      if (persisted_.count(a.pod_uid)) continue;
      // Ours without state, or an agent's whose data dir is gone (nothing can re-adopt it).
      // Another live agent's pods (its state dir exists) are left alone.
      bool ours = a.owner_tag == own;
      bool abandoned = !a.owner_tag.empty() && !fs::exists(a.owner_tag, ec);
      if (ours || abandoned) leftovers.insert(a.pod_uid);
    }
  }
  for (const auto& uid : leftovers) {
    spdlog::debug("component=node cleaning up leftover sandbox uid={}", uid);
    PodWorker::CleanupLeftovers(ctx_, uid);
  }
}

void Supervisor::Shutdown(
    Inbox& inbox, const std::optional<std::vector<std::shared_ptr<const Json>>>& final_pods) {
  // Deletions the informer delivered but the loop had not applied yet: finish them too.
  for (const auto& uid : inbox.removals) {
    PodWorker* w = WorkerFor(uid, inbox.removed_objects[uid]);
    if (w == nullptr) continue;
    if (!w->Finished()) w->SetPod(inbox.removed_objects[uid]);
    w->SetGone();
  }
  // Updates the informer had not delivered (a deletionTimestamp set just before the stop), and
  // pods the API no longer has. New pods are not started now; the next agent starts them.
  if (final_pods) {
    std::set<std::string> listed;
    for (const auto& pod : *final_pods) {
      std::string uid = UidOf(*pod);
      listed.insert(uid);
      auto it = workers_.find(uid);
      if (it != workers_.end() && !it->second->Finished()) it->second->SetPod(pod);
    }
    for (auto& [uid, w] : workers_) {
      if (!listed.count(uid)) w->SetGone();
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& [uid, w] : workers_) {
    try {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      w->Shutdown(std::max(left, std::chrono::milliseconds(0)));
    } catch (const std::exception& e) {
      spdlog::error("component=node supervisor shutdown: {}", e.what());
    }
  }
  workers_.clear();
}

void Supervisor::Loop() {
  try {
    CleanupLeftovers();
  } catch (const std::exception& e) {
    spdlog::error("component=node cleaning up leftover sandboxes: {}", e.what());
  }
  std::map<std::string, SteadyTime> wake_at;
  std::set<std::string> dirty;
  SteadyTime next_housekeeping = ctx_.clock->Steady();
  for (;;) {
    // Wait for an exit, an inbox item or the next timer.
    std::vector<pollfd> fds = {{event_fd_, POLLIN, 0}};
    std::vector<std::string> fd_owner = {""};
    for (auto& [uid, w] : workers_) {
      for (int fd : w->PidFds()) {
        fds.push_back({fd, POLLIN, 0});
        fd_owner.push_back(uid);
      }
    }
    SteadyTime now = ctx_.clock->Steady();
    SteadyTime next = now + std::chrono::seconds(10);
    for (auto& [uid, t] : wake_at) next = std::min(next, t);
    // Until the pod list is synced, look again soon: an empty initial list wakes nobody, yet
    // the orphan check (pods deleted while the agent was down) must not wait for housekeeping.
    if (!orphans_checked_ && synced_check_)
      next = std::min(next, now + std::chrono::milliseconds(20));
    int timeout_ms =
        dirty.empty()
            ? static_cast<int>(std::max<int64_t>(
                  0, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1))
            : 0;
    int r = poll(fds.data(), fds.size(), timeout_ms);
    if (r > 0) {
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) dirty.insert(fd_owner[i]);
      }
    }
    uint64_t drained;
    while (read(event_fd_, &drained, sizeof(drained)) > 0) {
    }
    // Read before taking the inbox: once the informer reports synced, every pod of the initial
    // list is already in the inbox, so none of them is mistaken for an orphan.
    bool synced = !orphans_checked_ && synced_check_ && synced_check_();
    Inbox inbox;
    bool stopping;
    std::optional<std::vector<std::shared_ptr<const Json>>> final_pods;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stop_;
      std::swap(inbox, inbox_);
      if (stopping) final_pods = std::move(final_pods_);
    }
    if (stopping) {
      Shutdown(inbox, final_pods);
      return;
    }
    try {
      for (auto& [uid, pod] : inbox.upserts) {
        PodWorker* w = WorkerFor(uid, pod);
        if (w == nullptr) continue;
        w->SetPod(pod);
        dirty.insert(uid);
      }
      for (const auto& uid : inbox.removals) {
        PodWorker* w = WorkerFor(uid, inbox.removed_objects[uid]);
        if (w == nullptr) continue;
        if (!w->Finished()) w->SetPod(inbox.removed_objects[uid]);
        w->SetGone();
        dirty.insert(uid);
      }
      for (const auto& uid : inbox.wakes) {
        if (workers_.count(uid)) dirty.insert(uid);
      }
      for (const auto& p : inbox.probes) {
        auto it = workers_.find(p.uid);
        if (it == workers_.end()) continue;
        if (it->second->OnProbeResult(p.container, p.kind, p.success, p.message)) {
          dirty.insert(p.uid);
        }
      }
      if (synced) {
        orphans_checked_ = true;
        // Pods that were deleted while the agent was down: kill what is left and clean up.
        std::vector<std::string> orphans;
        for (auto& [uid, state] : persisted_) orphans.push_back(uid);
        for (const auto& uid : orphans) {
          PodWorker* w = WorkerFor(uid, nullptr);
          w->SetGone();
          dirty.insert(uid);
        }
      }
      now = ctx_.clock->Steady();
      if (now >= next_housekeeping) {
        next_housekeeping = now + std::chrono::seconds(10);
        for (auto& [uid, w] : workers_) w->RotateLogs(ctx_.max_log_bytes);
      }
      for (auto& [uid, t] : wake_at) {
        if (t <= now) dirty.insert(uid);
      }
      std::set<std::string> work;
      std::swap(work, dirty);
      for (const auto& uid : work) {
        auto it = workers_.find(uid);
        if (it == workers_.end()) {
          wake_at.erase(uid);
          continue;
        }
        wake_at[uid] = it->second->Sync();
        if (it->second->Finished()) {
          workers_.erase(it);
          wake_at.erase(uid);
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("component=node supervisor: {}", e.what());
    }
    std::lock_guard<std::mutex> lock(mu_);
    pod_count_ = workers_.size();
  }
}

}  // namespace skiff::node
