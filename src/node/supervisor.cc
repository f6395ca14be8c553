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

size_t Supervisor::PodCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return pod_count_;
}

PodWorker* Supervisor::WorkerFor(const std::string& uid, const std::shared_ptr<const Json>& pod) {
  auto it = workers_.find(uid);
  if (it != workers_.end()) return it->second.get();
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

void Supervisor::Loop() {
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      std::swap(inbox, inbox_);
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
      for (const auto& p : inbox.probes) {
        auto it = workers_.find(p.uid);
        if (it == workers_.end()) continue;
        it->second->OnProbeResult(p.container, p.kind, p.success, p.message);
        dirty.insert(p.uid);
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
