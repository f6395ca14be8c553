// PodWorker, container side: starting a container (env, image mapping, GPUs, cgroups, mounts,
// launch), its exit, stopping it, and log size rotation.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controllers/runtime/events.h"
#include "node/cgroups.h"
#include "node/image_map.h"
#include "node/launcher.h"
#include "node/network.h"
#include "node/pod_worker_impl.h"

namespace skiff::node {

namespace fs = std::filesystem;

namespace {

// Kubernetes' FallbackToLogsOnError message: the last 80 lines or 2048 bytes of the log,
// whichever is less, without the CRI prefix ("<time> <stream> <F|P> ").
std::string LogTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - 16384);
  in.seekg(start);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  if (start > 0) {  // drop the partial first line
    size_t nl = raw.find('\n');
    pos = nl == std::string::npos ? raw.size() : nl + 1;
  }
  std::vector<std::string> lines;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    std::string line = raw.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? raw.size() : nl + 1;
    size_t a = line.find(' ');
    size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    size_t c = b == std::string::npos ? b : line.find(' ', b + 1);
    lines.push_back(c == std::string::npos ? line : line.substr(c + 1));
  }
  std::string out;
  for (size_t i = lines.size() > 80 ? lines.size() - 80 : 0; i < lines.size(); ++i) {
    out += lines[i];
    out += '\n';
  }
  if (out.size() > 2048) out = out.substr(out.size() - 2048);
  return out;
}

}  // namespace


bool PodWorker::StartContainer(Run& run) {
  const Container& spec = SpecOf(*pod_, run.init, run.index);
  SystemTime now = ctx_.clock->Now();
  auto warn = [&](const std::string& reason, const std::string& message) {
    if (message != run.last_event) Event("Warning", reason, message);
    run.last_event = message;
  };
  auto start_error = [&](const std::string& message) { return StartError(run, now, message); };
  EnvContext ectx{.pod = &*pod_,
                  .pod_ip = pod_ip_.empty() ? ctx_.host_ip : pod_ip_,
                  .host_ip = ctx_.host_ip,
                  .node_cpu_milli = ctx_.node_cpu_milli,
                  .node_memory_bytes = ctx_.node_memory_bytes,
                  .config = ctx_.config};
  auto env = ResolveEnv(ectx, spec);
  if (!env.ok()) {
    run.st.phase = ContainerState::Phase::kWaiting;
    run.st.waiting_reason = "CreateContainerConfigError";
    run.st.waiting_message = env.status().message();
    warn("Failed", "Error: " + env.status().message());
    return false;
  }
  auto lookup = EnvLookup(*env);
  std::vector<std::string> command, args;
  for (const auto& c : spec.command) command.push_back(ExpandVars(c, lookup));
  for (const auto& a : spec.args) args.push_back(ExpandVars(a, lookup));
  auto resolved = ctx_.images->Resolve(spec.image, command, args);
  if (!resolved.ok() && resolved.status().code() == StatusCode::kNotFound) {
    run.st.phase = ContainerState::Phase::kWaiting;
    run.st.waiting_reason = "ImageNotMapped";
    run.st.waiting_message = resolved.status().message();
    warn("Failed", "Failed to map image \"" + spec.image + "\": " + resolved.status().message());
    return false;
  }
  if (!resolved.ok()) return start_error(resolved.status().message());
  if (!run.mapped_event) {
    Event("Normal", "Pulled", resolved->message + " (no image pull needed)");
    run.mapped_event = true;
  }
  run.st.image_id = "skiff-local://" + resolved->argv[0];
  // GPUs: exclusive devices per container, kept across restarts.
  int64_t want_gpus = QuantityValue(spec.limits, "nvidia.com/gpu", false);
  if (want_gpus > 0 && run.gpus.empty()) {
    run.gpus = ctx_.gpus->Take(uid_, static_cast<int>(want_gpus));
    if (run.gpus.empty()) {
      failed_reason_ = "UnexpectedAdmissionError";
      failed_message_ =
          "Allocate failed due to requested number of devices unavailable for "
          "nvidia.com/gpu. Requested: " +
          std::to_string(want_gpus) + ", Available: " + std::to_string(ctx_.gpus->Free());
      Event("Warning", "UnexpectedAdmissionError", failed_message_);
      return false;
    }
  }
  std::vector<std::pair<std::string, std::string>> full_env = {
      {"PATH", ctx_.images->ContainerPath()}, {"HOSTNAME", pod_->hostname}};
  if (!run.gpus.empty()) {
    std::string list;
    bool simulated = false;
    for (int d : run.gpus) {
      list += (list.empty() ? "" : ",") + std::to_string(d);
      simulated = simulated || ctx_.gpus->IsSimulated(d);
    }
    full_env.emplace_back("CUDA_VISIBLE_DEVICES", list);
    full_env.emplace_back("NVIDIA_VISIBLE_DEVICES", list);
    if (simulated) full_env.emplace_back("SKIFF_SIMULATED_GPUS", "1");
  }
  full_env.insert(full_env.end(), env->begin(), env->end());
  run.env = full_env;
  // Logs: a restart keeps the previous run's log for `kubectl logs --previous`.
  std::error_code ec;
  fs::create_directories(LogDir(), ec);
  std::string log = LogDir() + "/" + run.name + ".log";
  if (run.ever_started && fs::exists(log, ec))
    fs::rename(log, LogDir() + "/" + run.name + ".previous.log", ec);
  LaunchSpec ls{.argv = resolved->argv,
                .env = full_env,
                .working_dir = spec.working_dir.empty() ? "/" : spec.working_dir,
                .log_path = log,
                .exit_file = PodDir() + "/" + run.name + ".exit"};
  if (ctx_.sandbox && !pod_->host_network) {
    ls.netns_path = PodNetwork::NetnsPath(uid_);
    ls.hostname = pod_->hostname;
  }
  if (ctx_.sandbox) {
    auto procs = ctx_.cgroups->CreateContainer(
        uid_, run.name, QuantityValue(spec.limits, "memory", false),
        QuantityValue(spec.limits, "cpu", true), QuantityValue(spec.requests, "cpu", true));
    if (!procs.ok()) return start_error(procs.status().message());
    ls.cgroup_procs = *procs;
    run.oom_base = ctx_.cgroups->OomKills(uid_, run.name);
    ls.new_mount_ns = true;
    for (const char* f : {"hosts", "resolv.conf", "hostname"}) {
      ls.mounts.push_back(
          BindMount{.source = PodDir() + "/etc/" + f, .target = std::string("/etc/") + f});
    }
    auto mounts = ContainerMounts(spec, volumes_, &created_mount_points_);
    if (!mounts.ok()) return start_error(mounts.status().message());
    ls.mounts.insert(ls.mounts.end(), mounts->begin(), mounts->end());
  } else {
    // No mount namespace: a mountPath is served by a symlink to the volume when it is free.
    for (const auto& m : spec.volume_mounts) {
      auto it = volumes_.find(m.name);
      if (it == volumes_.end())
        return start_error("volumeMount \"" + m.name + "\": no volume of that name");
      std::string source = it->second.host_path + (m.sub_path.empty() ? "" : "/" + m.sub_path);
      if (fs::is_symlink(m.mount_path, ec) && fs::read_symlink(m.mount_path, ec) == source)
        continue;
      if (fs::exists(m.mount_path, ec) || fs::is_symlink(m.mount_path, ec)) {
        return start_error("mountPath " + m.mount_path +
                           " already exists on the host; without a "
                           "sandbox volumes are symlinks at free paths only (docs/node.md)");
      }
      fs::create_directories(fs::path(m.mount_path).parent_path(), ec);
      fs::create_directory_symlink(source, m.mount_path, ec);
      if (ec) return start_error("mountPath " + m.mount_path + ": " + ec.message());
      created_mount_points_.push_back(m.mount_path);
    }
  }
  // The supervisor does not wait for the exec: the shim's cgroup joins and namespace setup
  // run while other pods are synced, and exec_fd (polled with the pidfds) reports the outcome.
  ls.wait_for_exec = false;
  auto t0 = std::chrono::steady_clock::now();
  auto launched = Launch(ls);
  spdlog::debug(
      "component=node pod={}/{} container={} fork took {}us", pod_->ns, pod_->name, run.name,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (!launched.ok()) return start_error(launched.status().message());
  run.pid = launched->pid;
  run.ticks = launched->start_ticks;
  run.child = true;
  run.pidfd = PidfdOpen(run.pid);
  run.exec_fd = launched->exec_fd;
  run.launch = std::move(ls);
  run.launched_at = now;
  run.launch_steady = ctx_.clock->Steady();
  // Until the exec is confirmed the container is still being created, not terminated.
  if (run.st.terminated) run.st.last = run.st.terminated;
  run.st.terminated.reset();
  run.st.phase = ContainerState::Phase::kWaiting;
  run.st.waiting_reason = "ContainerCreating";
  run.st.waiting_message.clear();
  return true;
}

bool PodWorker::StartError(Run& run, SystemTime now, const std::string& message) {
  // Like a runtime that could not start the process: terminated, exit 128, StartError.
  if (run.st.terminated) run.st.last = run.st.terminated;
  run.st.phase = ContainerState::Phase::kTerminated;
  run.st.terminated = TerminatedState{.exit_code = 128,
                                      .reason = "StartError",
                                      .message = message,
                                      .started_at = now,
                                      .finished_at = now};
  if (run.ever_started) ++run.st.restart_count;
  run.ever_started = true;
  run.finished_at = now;
  std::string event = "Error: " + message;
  if (event != run.last_event) Event("Warning", "Failed", event);
  run.last_event = event;
  return false;
}

void PodWorker::CheckLaunches() {
  for (auto* v : {&init_, &main_}) {
    for (auto& rp : *v) {
      Run& run = *rp;
      if (run.exec_fd < 0) continue;
      Status s = CheckLaunch(*run.launch, Launched{run.pid, run.ticks, run.exec_fd});
      if (s.code() == StatusCode::kUnavailable) continue;
      run.exec_fd = -1;
      spdlog::debug("component=node pod={}/{} container={} exec confirmed after {}us: {}", pod_->ns,
                    pod_->name, run.name,
                    std::chrono::duration_cast<std::chrono::microseconds>(ctx_.clock->Steady() -
                                                                          run.launch_steady)
                        .count(),
                    s.ok() ? "ok" : s.message());
      if (s.ok()) {
        FinishStart(run);
        continue;
      }
      // CheckLaunch reaped the shim.
      if (run.pidfd >= 0) close(run.pidfd);
      run.pidfd = -1;
      run.pid = 0;
      run.child = false;
      StartError(run, run.launched_at, s.message());
    }
  }
}

void PodWorker::FinishStart(Run& run) {
  const Container& spec = SpecOf(*pod_, run.init, run.index);
  SystemTime now = run.launched_at;
  run.launch.reset();
  if (run.ever_started) {
    if (run.st.terminated) run.st.last = run.st.terminated;
    ++run.st.restart_count;
    if (run.finished_at) backoff_.RecordRestart(ContainerKey(run), *run.finished_at, now);
  }
  run.ever_started = true;
  run.stopping = run.killed = false;
  run.st.phase = ContainerState::Phase::kRunning;
  run.st.terminated.reset();
  run.st.started_at = now;
  run.st.container_id = "skiff://" + std::to_string(run.pid) + "-" + std::to_string(run.ticks);
  run.st.started = !spec.startup_probe.has_value();
  run.st.ready = run.st.started && !spec.readiness_probe.has_value() && !run.init;
  run.last_event.clear();
  SteadyTime steady = ctx_.clock->Steady();
  const std::optional<Probe>* probes[3] = {&spec.startup_probe, &spec.readiness_probe,
                                           &spec.liveness_probe};
  for (int k = 0; k < 3; ++k) {
    run.trackers[k].Reset(ProbeTracker::Result::kUnknown);
    run.inflight[k] = false;
    if (probes[k]->has_value()) {
      run.next_probe[k] = steady + std::chrono::seconds((*probes[k])->initial_delay_seconds);
    }
  }
  Event("Normal", "Created", "Created container " + run.name);
  Event("Normal", "Started", "Started container " + run.name);
}

void PodWorker::HandleExit(Run& run) {
  if (run.exec_fd >= 0) {
    close(run.exec_fd);
    run.exec_fd = -1;
    run.launch.reset();
  }
  std::optional<ExitInfo> info = ReadExitFile(PodDir() + "/" + run.name + ".exit");
  if (run.child) {
    int status = 0;
    if (waitpid(run.pid, &status, WNOHANG) == run.pid && !info) {
      info = WIFSIGNALED(status) ? ExitInfo{true, WTERMSIG(status)}
                                 : ExitInfo{false, WEXITSTATUS(status)};
      // The shim itself was killed (SIGKILL at the grace deadline): the program died with it.
      if (info->signaled && info->code == SIGKILL) info = ExitInfo{true, SIGKILL};
    }
  }
  if (!info && run.killed) info = ExitInfo{true, SIGKILL};
  spdlog::debug("component=node pod={}/{} container={} pid={} exited info={}", pod_->ns, pod_->name,
                run.name, run.pid, info ? info->code : -1);
  SystemTime now = ctx_.clock->Now();
  TerminatedState t{
      .started_at = run.st.started_at, .finished_at = now, .container_id = run.st.container_id};
  if (!info) {
    t.exit_code = 137;
    t.reason = "ContainerStatusUnknown";
    t.message = "The container could not be located when the agent restarted";
  } else {
    t.exit_code = info->signaled ? 128 + info->code : info->code;
    t.signal = 0;
    t.reason = t.exit_code == 0 ? "Completed" : "Error";
  }
  if (info && t.exit_code != 0 && pod_ &&
      SpecOf(*pod_, run.init, run.index).termination_message_policy == "FallbackToLogsOnError") {
    t.message = LogTail(LogDir() + "/" + run.name + ".log");
  }
  if (ctx_.cgroups != nullptr && ctx_.cgroups->OomKills(uid_, run.name) > run.oom_base) {
    t.reason = "OOMKilled";
    t.exit_code = 137;
  }
  // Whatever the program left behind in its cgroup or group goes with it.
  if (ctx_.cgroups != nullptr) ctx_.cgroups->Signal(uid_, run.name, SIGKILL);
  kill(-run.pid, SIGKILL);
  if (run.pidfd >= 0) close(run.pidfd);
  run.pidfd = -1;
  run.pid = 0;
  run.child = false;
  run.stopping = run.killed = false;
  run.st.phase = ContainerState::Phase::kTerminated;
  run.st.terminated = t;
  run.st.ready = run.st.started = false;
  run.finished_at = now;
  for (bool& b : run.inflight) b = false;
}

void PodWorker::StopContainer(Run& run, int64_t grace_seconds, const std::string& why) {
  if (run.pid == 0 || run.stopping) return;
  run.stopping = true;
  run.kill_at = ctx_.clock->Steady() + std::chrono::seconds(grace_seconds);
  if (!why.empty()) Event("Normal", "Killing", why);
  int sig = grace_seconds > 0 ? SIGTERM : SIGKILL;
  spdlog::debug("component=node pod={}/{} container={} pid={} stop grace={}s", pod_->ns, pod_->name,
                run.name, run.pid, grace_seconds);
  run.killed = sig == SIGKILL;
  kill(-run.pid, sig);
  if (ctx_.cgroups != nullptr) ctx_.cgroups->Signal(uid_, run.name, sig);
}

void PodWorker::EscalateKills() {
  SteadyTime now = ctx_.clock->Steady();
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pid != 0 && r->stopping && !r->killed && now >= r->kill_at) {
        r->killed = true;
        kill(-r->pid, SIGKILL);
        if (ctx_.cgroups != nullptr) ctx_.cgroups->Signal(uid_, r->name, SIGKILL);
      }
    }
  }
}

bool PodWorker::AllStopped() const {
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pid != 0) return false;
    }
  }
  return true;
}

void PodWorker::RotateLogs(int64_t max_bytes) {
  if (!pod_ || max_bytes <= 0) return;
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      if (r->pid == 0) continue;
      std::string path = LogDir() + "/" + r->name + ".log";
      std::error_code ec;
      auto size = fs::file_size(path, ec);
      if (ec || static_cast<int64_t>(size) <= max_bytes) continue;
      // Copy-truncate: the program keeps its O_APPEND descriptor, so the file must stay.
      std::ifstream in(path, std::ios::binary);
      int64_t keep = max_bytes / 2;
      in.seekg(static_cast<std::streamoff>(size - keep));
      std::string tail(static_cast<size_t>(keep), '\0');
      in.read(tail.data(), keep);
      tail.resize(static_cast<size_t>(in.gcount()));
      size_t nl = tail.find('\n');
      if (nl != std::string::npos) tail = tail.substr(nl + 1);
      fs::resize_file(path, 0, ec);
      std::ofstream out(path, std::ios::binary | std::ios::app);
      out << tail;
    }
  }
}

}  // namespace skiff::node
