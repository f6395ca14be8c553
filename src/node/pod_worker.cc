// PodWorker: the per-pod state machine. Process launches and signals are immediate; API
// writes go through ApiWriter and Events through the EventRecorder, so Sync never waits on
// the network except for ConfigMap/Secret reads while starting a container.
#include "node/pod_worker.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "controllers/runtime/events.h"
#include "node/api_writer.h"
#include "node/cgroups.h"
#include "node/etc_files.h"
#include "node/image_map.h"
#include "node/launcher.h"
#include "node/network.h"
#include "node/pod_worker_impl.h"

namespace skiff::node {

namespace {

namespace fs = std::filesystem;

// Kills what is left in the pod's cgroups and removes them. A SIGKILLed process leaves its
// cgroup only once the kernel reaped it (usually well under a millisecond), so removal is
// retried briefly instead of leaking the directory.
void RemovePodCgroups(const Cgroups& cgroups, const std::string& uid) {
  cgroups.Signal(uid, "", SIGKILL);
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (cgroups.RemovePod(uid).ok()) return;
    usleep(5000);  // bounded (1 s): no event tells when a non-child process is reaped
  }
  spdlog::warn("component=node pod uid={}: cgroup still has processes; removed on next start", uid);
}

}  // namespace

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int64_t QuantityValue(const std::map<std::string, std::string>& list, const std::string& key,
                      bool milli) {
  auto it = list.find(key);
  if (it == list.end()) return 0;
  auto q = api::ParseQuantity(it->second);
  if (!q.ok()) return 0;
  return milli ? q->MilliValue() : q->Value();
}

const Container& SpecOf(const PodSpecView& pod, bool init, size_t index) {
  return init ? pod.init_containers[index] : pod.containers[index];
}

PodWorker::PodWorker(NodeContext& ctx, std::string uid) : ctx_(ctx), uid_(std::move(uid)) {}

PodWorker::~PodWorker() {
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pidfd >= 0) close(r->pidfd);
      if (r->exec_fd >= 0) close(r->exec_fd);
    }
  }
}

std::string PodWorker::StateDir(const std::string& data_dir, const std::string& node) {
  return data_dir + "/node/" + node + "/pods";
}
std::string PodWorker::PodDir() const {
  return StateDir(ctx_.data_dir, ctx_.node_name) + "/" + uid_;
}
std::string PodWorker::LogDir() const {
  return ctx_.data_dir + "/logs/" + pod_->ns + "/" + pod_->name;
}
std::string PodWorker::ContainerKey(const Run& run) const { return uid_ + "/" + run.name; }

PodWorker::Run* PodWorker::FindRun(const std::string& name) {
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->name == name) return r.get();
    }
  }
  return nullptr;
}

void PodWorker::SetPod(std::shared_ptr<const Json> pod) {
  auto parsed = ParsePod(*pod);
  if (!parsed.ok()) return;  // the API server validated it; nothing sensible to run
  object_ = std::move(pod);
  bool first = !pod_.has_value();
  pod_ = std::move(*parsed);
  if (pod_->deleting) terminating_ = true;
  if (first) {
    for (size_t i = 0; i < pod_->init_containers.size(); ++i) {
      auto r = std::make_unique<Run>();
      r->init = true;
      r->index = i;
      r->name = pod_->init_containers[i].name;
      r->st.waiting_reason = "PodInitializing";
      init_.push_back(std::move(r));
    }
    for (size_t i = 0; i < pod_->containers.size(); ++i) {
      auto r = std::make_unique<Run>();
      r->index = i;
      r->name = pod_->containers[i].name;
      r->st.waiting_reason =
          pod_->init_containers.empty() ? "ContainerCreating" : "PodInitializing";
      main_.push_back(std::move(r));
    }
  }
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) r->st.image = SpecOf(*pod_, r->init, r->index).image;
  }
}

void PodWorker::SetGone() { gone_ = true; }

void PodWorker::Event(const std::string& type, const std::string& reason,
                      const std::string& message) {
  if (ctx_.events == nullptr || !object_) return;
  Json ref = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", pod_->name},
                {"namespace", pod_->ns},
                {"uid", uid_},
                {"resourceVersion", (*object_)["metadata"].value("resourceVersion", "")}}}};
  ctx_.events->Event(ref, type, reason, message);
}

int64_t PodWorker::GraceSeconds() const {
  if (pod_->deletion_grace_seconds) return *pod_->deletion_grace_seconds;
  return pod_->termination_grace_seconds;
}

bool PodWorker::EnsureSandbox() {
  if (sandbox_ready_) return true;
  if (!start_time_) start_time_ = ctx_.clock->Now();
  std::error_code ec;
  fs::create_directories(PodDir() + "/etc", ec);
  auto fail = [&](const std::string& reason, const std::string& message) {
    if (message != sandbox_error_) Event("Warning", reason, message);
    sandbox_error_ = message;
    for (auto* v : {&init_, &main_}) {
      for (auto& r : *v) {
        if (r->pid == 0 && !r->ever_started) r->st.waiting_message = message;
      }
    }
    return false;
  };
  if (ctx_.sandbox && !pod_->host_network && !net_ready_) {
    if (!net_future_.valid()) {
      auto t0 = std::chrono::steady_clock::now();
      auto setup = [net = ctx_.network, uid = uid_, ns = pod_->ns, name = pod_->name, t0] {
        auto ip = net->Setup(uid);
        spdlog::debug("component=node pod={}/{} network setup took {}us", ns, name,
                      std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
        return ip;
      };
      if (ctx_.setup_pool == nullptr) {
        std::promise<StatusOr<std::string>> done;
        done.set_value(setup());
        net_future_ = done.get_future();
      } else {
        auto task = std::make_shared<std::packaged_task<StatusOr<std::string>()>>(std::move(setup));
        net_future_ = task->get_future();
        ctx_.setup_pool->Submit([task, wake = ctx_.wake_pod, uid = uid_] {
          (*task)();
          if (wake) wake(uid);
        });
      }
    }
    if (net_future_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      return false;  // the pool wakes this pod when the network is ready
    }
    auto ip = net_future_.get();
    if (!ip.ok())
      return fail("FailedCreatePodSandBox",
                  "Failed to create pod sandbox: " + ip.status().message());
    pod_ip_ = *ip;
    net_ready_ = true;
  }
  if (!ctx_.sandbox || pod_->host_network) {
    pod_ip_.clear();
    std::vector<int> ports;
    for (const auto& c : pod_->containers) {
      for (const auto& p : c.ports) {
        if (p.container_port > 0) ports.push_back(p.container_port);
      }
    }
    if (!ctx_.sandbox) {
      Event("Warning", "NoSandbox",
            "Running without a pod sandbox (agent is not root or --no-sandbox): host network, "
            "pod IP = host IP, no cgroup limits; see docs/node.md");
    }
    std::string owner = ctx_.ports->Reserve(pod_->ns + "/" + pod_->name + "@" + uid_, ports);
    if (!owner.empty()) {
      failed_reason_ = "PortConflict";
      failed_message_ = "Pod was rejected: a containerPort is already used by " +
                        owner.substr(0, owner.find('@')) +
                        " on this host (pods share the host network without a sandbox)";
      Event("Warning", "PortConflict", failed_message_);
      return false;
    }
  }
  std::string hosts = RenderHostsFile({.pod_ip = pod_ip_,
                                       .hostname = pod_->hostname,
                                       .subdomain = pod_->subdomain,
                                       .ns = pod_->ns,
                                       .cluster_domain = ctx_.cluster_domain,
                                       .host_aliases = pod_->host_aliases});
  std::ofstream(PodDir() + "/etc/hosts") << hosts;
  std::ofstream(PodDir() + "/etc/resolv.conf")
      << RenderResolvConf(pod_->ns, ctx_.dns_server, ctx_.cluster_domain);
  std::ofstream(PodDir() + "/etc/hostname") << pod_->hostname << "\n";
  EnvContext ectx{.pod = &*pod_,
                  .pod_ip = pod_ip_.empty() ? ctx_.host_ip : pod_ip_,
                  .host_ip = ctx_.host_ip,
                  .node_cpu_milli = ctx_.node_cpu_milli,
                  .node_memory_bytes = ctx_.node_memory_bytes,
                  .config = ctx_.config};
  auto vols = PrepareVolumes(
      *pod_, ectx, {.pod_dir = PodDir(), .data_dir = ctx_.data_dir, .can_mount = ctx_.sandbox});
  if (!vols.ok()) return fail("FailedMount", vols.status().message());
  volumes_ = std::move(*vols);
  sandbox_ready_ = true;
  sandbox_error_.clear();
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) r->st.waiting_message.clear();
  }
  return true;
}

void PodWorker::TeardownSandbox() {
  // A setup still running would recreate what is torn down here: let it finish first.
  if (net_future_.valid()) net_future_.wait();
  net_future_ = {};
  net_ready_ = false;
  if (ctx_.cgroups != nullptr) RemovePodCgroups(*ctx_.cgroups, uid_);
  // Unconditional (Teardown checks what exists): a crash between creating the namespace and
  // persisting the pod IP must not leak it.
  if (ctx_.network != nullptr && (!pod_ || !pod_->host_network)) {
    if (Status s = ctx_.network->Teardown(uid_); !s.ok()) {
      spdlog::warn("component=node pod uid={} sandbox teardown: {}", uid_, s.ToString());
    }
  }
  if (pod_)
    CleanupVolumes(*pod_,
                   {.pod_dir = PodDir(), .data_dir = ctx_.data_dir, .can_mount = ctx_.sandbox});
  for (auto it = created_mount_points_.rbegin(); it != created_mount_points_.rend(); ++it) {
    std::error_code ec;
    if (fs::is_symlink(*it, ec)) {
      fs::remove(*it, ec);
    } else {
      rmdir(it->c_str());  // only when empty: another pod may still use it
    }
  }
  created_mount_points_.clear();
  ctx_.gpus->Release(uid_);
  if (pod_) ctx_.ports->Release(pod_->ns + "/" + pod_->name + "@" + uid_);
  sandbox_ready_ = false;
}

bool PodWorker::MaybeRestart(Run& run, SteadyTime* wake) {
  const TerminatedState& t =
      run.st.phase == ContainerState::Phase::kTerminated ? *run.st.terminated : *run.st.last;
  const std::string& policy = pod_->restart_policy;
  const Container& spec = SpecOf(*pod_, run.init, run.index);
  bool restart = run.init ? (spec.sidecar || (policy != "Never" && t.exit_code != 0))
                          : (policy == "Always" || (policy == "OnFailure" && t.exit_code != 0));
  if (!restart) return false;
  SystemTime now = ctx_.clock->Now();
  SystemTime finished = run.finished_at.value_or(now);
  SystemTime at = backoff_.RestartAt(ContainerKey(run), finished);
  if (now >= at) return StartContainer(run);
  if (run.st.phase == ContainerState::Phase::kTerminated) {
    run.st.last = run.st.terminated;
    run.st.terminated.reset();
    run.st.phase = ContainerState::Phase::kWaiting;
    auto delay = backoff_.Delay(ContainerKey(run), finished);
    run.st.waiting_reason = "CrashLoopBackOff";
    run.st.waiting_message = "back-off " + HumanDuration(delay) +
                             " restarting failed container=" + run.name + " pod=" + pod_->name +
                             "_" + pod_->ns + "(" + uid_ + ")";
    Event("Warning", "BackOff",
          "Back-off restarting failed container " + run.name + " in pod " + pod_->name + "_" +
              pod_->ns + "(" + uid_ + ")");
  }
  *wake = std::min(*wake,
                   ctx_.clock->Steady() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(at - now));
  return false;
}

void PodWorker::SyncInit(SteadyTime* wake) {
  for (auto& rp : init_) {
    Run& run = *rp;
    const Container& spec = pod_->init_containers[run.index];
    if (run.pid != 0) {
      if (spec.sidecar && run.st.started) continue;
      return;
    }
    if (run.st.phase == ContainerState::Phase::kTerminated && run.st.terminated->exit_code == 0 &&
        !spec.sidecar) {
      continue;
    }
    if (run.st.phase == ContainerState::Phase::kWaiting && !run.st.last) {
      if (!StartContainer(run)) *wake = std::min(*wake, ctx_.clock->Steady() + kRetry);
      if (!(spec.sidecar && run.st.started)) return;
      continue;
    }
    if (!MaybeRestart(run, wake) || !(spec.sidecar && run.st.started)) return;
  }
  for (auto& r : main_) {
    if (r->st.phase == ContainerState::Phase::kWaiting &&
        r->st.waiting_reason == "PodInitializing") {
      r->st.waiting_reason = "ContainerCreating";
    }
  }
}

void PodWorker::SyncContainers(SteadyTime* wake) {
  for (auto& rp : main_) {
    Run& run = *rp;
    if (run.pid != 0) continue;
    if (run.st.phase == ContainerState::Phase::kWaiting && !run.st.last) {
      if (!StartContainer(run)) *wake = std::min(*wake, ctx_.clock->Steady() + kRetry);
      continue;
    }
    MaybeRestart(run, wake);
  }
}

bool PodWorker::AggressiveReadiness(const Run& run) const {
  if (run.st.ready || !pod_) return false;
  auto it = pod_->annotations.find(kAggressiveReadinessAnnotation);
  return it != pod_->annotations.end() && it->second == "true";
}

void PodWorker::SyncProbes(Run& run, SteadyTime* wake) {
  if (run.pid == 0 || run.stopping || run.exec_fd >= 0) return;
  const Container& spec = SpecOf(*pod_, run.init, run.index);
  const std::optional<Probe>* probes[3] = {&spec.startup_probe, &spec.readiness_probe,
                                           &spec.liveness_probe};
  SteadyTime now = ctx_.clock->Steady();
  for (int k = 0; k < 3; ++k) {
    if (!probes[k]->has_value()) continue;
    if (k == 0 && run.st.started) continue;
    if (k != 0 && !run.st.started) continue;
    if (run.inflight[k]) continue;
    if (now < run.next_probe[k]) {
      *wake = std::min(*wake, run.next_probe[k]);
      continue;
    }
    const Probe& probe = **probes[k];
    run.inflight[k] = true;
    run.next_probe[k] = now + (k == 1 && AggressiveReadiness(run)
                                   ? kAggressiveProbePeriod
                                   : std::chrono::milliseconds(probe.period_seconds * 1000));
    *wake = std::min(*wake, run.next_probe[k]);
    ProbeTarget target{.pod_ip = pod_ip_.empty() ? "127.0.0.1" : pod_ip_,
                       .ns_pid = ctx_.sandbox && !pod_->host_network ? run.pid : 0,
                       .env = run.env,
                       .ports = spec.ports};
    auto post = ctx_.post_probe_result;
    std::string uid = uid_, name = run.name;
    // Startup and not-yet-ready readiness probes gate the pod's start: they go first.
    bool urgent = k == 0 || (k == 1 && !run.st.ready);
    ctx_.prober->Submit(
        [probe, target, post, uid, name, k] {
          ProbeOutcome o = RunProbe(probe, target);
          post(uid, name, k, o.success, o.message);
        },
        urgent);
  }
}

bool PodWorker::OnProbeResult(const std::string& container, int kind, bool success,
                              const std::string& message) {
  Run* run = FindRun(container);
  if (run == nullptr || kind < 0 || kind > 2) return false;
  run->inflight[kind] = false;
  if (run->pid == 0 || run->stopping || !pod_) return true;
  const Container& spec = SpecOf(*pod_, run->init, run->index);
  const std::optional<Probe>& probe =
      kind == 0 ? spec.startup_probe : (kind == 1 ? spec.readiness_probe : spec.liveness_probe);
  if (!probe) return true;
  if (!success && !(kind == 1 && AggressiveReadiness(*run)))
    Event("Warning", "Unhealthy", std::string(kProbeNames[kind]) + " probe failed: " + message);
  bool changed = run->trackers[kind].Record(*probe, success);
  auto result = run->trackers[kind].result();
  // A result that changes nothing needs no sync: the next probe is already on the pod's timer,
  // unless this one ran past it (its timer was skipped while it was in flight).
  bool overdue = ctx_.clock->Steady() >= run->next_probe[kind];
  if (kind == 1) {
    run->st.ready = result == ProbeTracker::Result::kSuccess;
    return changed || overdue || !success;
  }
  if (kind == 0 && result == ProbeTracker::Result::kSuccess) {
    run->st.started = true;
    run->st.ready = !spec.readiness_probe.has_value() && !run->init;
    SteadyTime now = ctx_.clock->Steady();
    for (int k = 1; k < 3; ++k) run->next_probe[k] = now;
    return true;
  }
  if (result == ProbeTracker::Result::kFailure) {
    int64_t grace =
        probe->termination_grace_period_seconds.value_or(pod_->termination_grace_seconds);
    StopContainer(*run, grace,
                  "Container " + run->name + " failed " +
                      (kind == 0 ? std::string("startup") : std::string("liveness")) +
                      " probe, will be restarted");
    return true;
  }
  return changed || overdue || !success;
}

void PodWorker::Shutdown(std::chrono::milliseconds budget) {
  if (finished_ || !pod_ || !(gone_ || terminating_)) {
    Persist();
    return;
  }
  // Being deleted: finish now rather than leave a sandbox whose pod may never be seen again.
  // Grace periods run as usual within the budget; what is left then is killed.
  auto deadline = ctx_.clock->Steady() + budget;
  for (SteadyTime wake = Sync(); !AllStopped();) {
    SteadyTime now = ctx_.clock->Steady();
    if (now >= deadline) {
      for (auto* v : {&init_, &main_}) {
        for (auto& r : *v) {
          if (r->pid != 0 && !r->killed) {
            r->kill_at = now;
            r->stopping = true;
          }
        }
      }
      EscalateKills();
      deadline = now + std::chrono::seconds(2);  // SIGKILL is prompt; bound it anyway
      budget = std::chrono::milliseconds(0);
    }
    std::vector<pollfd> fds;
    for (int fd : PidFds()) fds.push_back({fd, POLLIN, 0});
    auto until = std::min(wake, deadline);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    (void)poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(ms, 0, 1000)) + 1);
    wake = Sync();
    if (budget.count() == 0 && ctx_.clock->Steady() >= deadline) break;
  }
  if (!AllStopped()) {
    spdlog::warn(
        "component=node pod uid={} still has processes at shutdown; the next start "
        "cleans it up",
        uid_);
  }
}

void PodWorker::CleanupLeftovers(NodeContext& ctx, const std::string& uid) {
  if (ctx.cgroups != nullptr) RemovePodCgroups(*ctx.cgroups, uid);
  if (ctx.network != nullptr) {
    if (Status s = ctx.network->Teardown(uid); !s.ok()) {
      spdlog::warn("component=node leftover sandbox uid={}: {}", uid, s.ToString());
      return;
    }
  }
  std::error_code ec;
  std::string dir = StateDir(ctx.data_dir, ctx.node_name);
  fs::remove(dir + "/" + uid + ".json", ec);
  fs::remove_all(dir + "/" + uid, ec);
}

std::vector<int> PodWorker::PidFds() const {
  std::vector<int> out;
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pidfd >= 0) out.push_back(r->pidfd);
      if (r->exec_fd >= 0) out.push_back(r->exec_fd);
    }
  }
  return out;
}

SteadyTime PodWorker::Sync() {
  SteadyTime now = ctx_.clock->Steady();
  SteadyTime wake = now + kFar;
  if (!pod_) {
    if (gone_) finished_ = true;
    return wake;
  }
  // Launch outcomes first: a start that failed also ends its shim, which is not an exit.
  CheckLaunches();
  // Reap exits.
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pid != 0 && !ProcessAlive(r->pid, r->ticks)) HandleExit(*r);
    }
  }
  EscalateKills();
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pid != 0 && r->stopping && !r->killed) wake = std::min(wake, r->kill_at);
      if (r->pid != 0 && r->killed) wake = std::min(wake, now + std::chrono::seconds(1));
    }
  }
  if (gone_ || terminating_) {
    int64_t grace = GraceSeconds();
    for (auto* v : {&init_, &main_}) {
      for (auto& r : *v) {
        if (r->pid != 0 && !r->stopping) {
          // An object already gone (force delete, or deleted while the agent was down) has no
          // one waiting on a graceful end: a short grace, so the host is cleaned up promptly.
          StopContainer(*r, gone_ ? std::min<int64_t>(grace, 2) : grace,
                        "Stopping container " + r->name);
          wake = std::min(wake, r->kill_at);
        }
      }
    }
    if (!AllStopped()) {
      WriteStatus();
      Persist();
      return wake;
    }
    TeardownSandbox();
    if (gone_) {
      std::error_code ec;
      fs::remove(StateDir(ctx_.data_dir, ctx_.node_name) + "/" + uid_ + ".json", ec);
      fs::remove_all(PodDir(), ec);
      fs::remove_all(LogDir(), ec);
      finished_ = true;
      return now + kFar;
    }
    WriteStatus();
    Persist();
    if (!delete_sent_) {
      spdlog::debug("component=node pod={}/{} stopped; deleting", pod_->ns, pod_->name);
      ctx_.writer->DeletePod(pod_->ns, pod_->name, uid_);
      delete_sent_ = true;
    }
    return now + kFar;
  }
  PodRuntime probe_rt;
  for (auto& r : init_) probe_rt.init.push_back(r->st);
  for (auto& r : main_) probe_rt.containers.push_back(r->st);
  probe_rt.failed_reason = failed_reason_;
  std::string phase = ComputePhase(*pod_, probe_rt);
  if (pod_->active_deadline_seconds && start_time_ && failed_reason_.empty() &&
      ctx_.clock->Now() - *start_time_ > std::chrono::seconds(*pod_->active_deadline_seconds)) {
    failed_reason_ = "DeadlineExceeded";
    failed_message_ = "Pod was active on the node longer than the specified deadline";
    Event("Normal", "DeadlineExceeded", failed_message_);
    phase = "Failed";
  }
  if (phase == "Succeeded" || phase == "Failed") {
    for (auto* v : {&init_, &main_}) {
      for (auto& r : *v) {
        if (r->pid != 0) {
          StopContainer(*r, pod_->termination_grace_seconds, "Stopping container " + r->name);
          wake = std::min(wake, r->kill_at);
        }
      }
    }
    if (AllStopped() && sandbox_ready_) TeardownSandbox();
    WriteStatus();
    Persist();
    return wake;
  }
  if (pod_->active_deadline_seconds && start_time_) {
    auto left =
        *start_time_ + std::chrono::seconds(*pod_->active_deadline_seconds) - ctx_.clock->Now();
    wake =
        std::min(wake, now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left) +
                           std::chrono::milliseconds(10));
  }
  if (!EnsureSandbox()) {
    // While the network is still being set up (a few ms) there is nothing new to report: the
    // status is written once the containers start, not once per step.
    if (!net_future_.valid()) WriteStatus();
    Persist();
    return failed_reason_.empty() ? now + kRetry : now + kFar;
  }
  SyncInit(&wake);
  PodRuntime rt;
  for (auto& r : init_) rt.init.push_back(r->st);
  if (InitDone(*pod_, rt)) SyncContainers(&wake);
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) SyncProbes(*r, &wake);
  }
  // Launches awaiting their exec (milliseconds) would only report ContainerCreating now; the
  // Running status follows right after. A launch stuck longer gets its status written anyway.
  bool starting = false;
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->exec_fd < 0) continue;
      SteadyTime limit = r->launch_steady + std::chrono::seconds(1);
      if (now < limit) {
        starting = true;
        wake = std::min(wake, limit);
      }
    }
  }
  if (!starting) WriteStatus();
  Persist();
  return wake;
}

}  // namespace skiff::node
