// PodWorker, state side: the status it reports, and the state file that lets a restarted
// agent re-adopt the pod.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/api_writer.h"
#include "node/cgroups.h"
#include "node/launcher.h"
#include "node/network.h"
#include "node/pod_worker_impl.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

Json TermToJson(const TerminatedState& t) {
  return {{"exitCode", t.exit_code},
          {"signal", t.signal},
          {"reason", t.reason},
          {"message", t.message},
          {"startedAt", FormatRfc3339(t.started_at, 9)},
          {"finishedAt", FormatRfc3339(t.finished_at, 9)},
          {"containerID", t.container_id}};
}

TerminatedState TermFromJson(const Json& j) {
  TerminatedState t;
  t.exit_code = j.value("exitCode", 0);
  t.signal = j.value("signal", 0);
  t.reason = j.value("reason", "");
  t.message = j.value("message", "");
  if (auto s = ParseRfc3339(j.value("startedAt", "")); s.ok()) t.started_at = *s;
  if (auto s = ParseRfc3339(j.value("finishedAt", "")); s.ok()) t.finished_at = *s;
  t.container_id = j.value("containerID", "");
  return t;
}

}  // namespace

void PodWorker::WriteStatus() {
  if (!pod_ || gone_) return;
  PodRuntime rt;
  for (auto& r : init_) rt.init.push_back(r->st);
  for (auto& r : main_) rt.containers.push_back(r->st);
  rt.host_ip = ctx_.host_ip;
  rt.pod_ip = pod_ip_.empty() && start_time_ ? ctx_.host_ip : pod_ip_;
  rt.start_time = start_time_;
  rt.failed_reason = failed_reason_;
  rt.failed_message = failed_message_;
  Json object_status = object_->value("status", Json::object());
  const Json& old = last_status_ ? *last_status_ : object_status;
  Json status = ComputePodStatus(*pod_, rt, old, ctx_.clock->Now());
  // Pods given simulated GPUs say so (DESIGN.md §5): a condition kubectl describe shows.
  std::string simulated;
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      for (int d : r->gpus) {
        if (ctx_.gpus->IsSimulated(d))
          simulated += (simulated.empty() ? "" : ",") + std::to_string(d);
      }
    }
  }
  if (!simulated.empty()) {
    Json cond = {{"type", "skiff.dev/SimulatedGPUs"},
                 {"status", "True"},
                 {"reason", "SimulatedDevices"},
                 {"message", "nvidia.com/gpu devices " + simulated +
                                 " are simulated (--simulate-gpus); no real GPU backs them"},
                 {"lastProbeTime", nullptr},
                 {"lastTransitionTime", FormatRfc3339(start_time_.value_or(ctx_.clock->Now()))}};
    for (auto& c : status["conditions"]) {
      if (c.value("type", "") == "skiff.dev/SimulatedGPUs")
        cond["lastTransitionTime"] = c["lastTransitionTime"];
    }
    Json conds = Json::array();
    for (auto& c : status["conditions"]) {
      if (c.value("type", "") != "skiff.dev/SimulatedGPUs") conds.push_back(c);
    }
    conds.push_back(cond);
    status["conditions"] = conds;
  }
  if (last_status_ && status == *last_status_) return;
  last_status_ = std::make_shared<const Json>(status);
  ctx_.writer->PatchPodStatus(pod_->ns, pod_->name, uid_, status);
}

void PodWorker::Persist() {
  if (!object_) return;
  Json state = {{"uid", uid_},
                {"pod", *object_},
                {"podIP", pod_ip_},
                {"sandboxReady", sandbox_ready_},
                {"createdMountPoints", created_mount_points_},
                {"failedReason", failed_reason_},
                {"failedMessage", failed_message_},
                {"containers", Json::array()}};
  if (start_time_) state["startTime"] = FormatRfc3339(*start_time_, 9);
  for (auto* v : {&init_, &main_}) {
    for (auto& r : *v) {
      Json c = {{"name", r->name},
                {"pid", r->pid},
                {"ticks", r->ticks},
                {"oomBase", r->oom_base},
                {"restartCount", r->st.restart_count},
                {"everStarted", r->ever_started},
                {"startedAt", FormatRfc3339(r->st.started_at, 9)},
                {"containerID", r->st.container_id},
                {"imageID", r->st.image_id},
                {"gpus", r->gpus}};
      if (r->st.terminated) c["terminated"] = TermToJson(*r->st.terminated);
      if (r->st.last) c["last"] = TermToJson(*r->st.last);
      if (r->finished_at) c["finishedAt"] = FormatRfc3339(*r->finished_at, 9);
      state["containers"].push_back(c);
    }
  }
  std::string text = DumpJson(state);
  if (text == last_persisted_) return;
  std::string path = StateDir(ctx_.data_dir, ctx_.node_name) + "/" + uid_ + ".json";
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    if (!f) return;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (!ec) last_persisted_ = text;
}

void PodWorker::Adopt(const Json& state) {
  if (!state.contains("pod")) return;
  SetPod(std::make_shared<const Json>(state["pod"]));
  if (!pod_) return;
  pod_ip_ = state.value("podIP", "");
  failed_reason_ = state.value("failedReason", "");
  failed_message_ = state.value("failedMessage", "");
  if (auto t = ParseRfc3339(state.value("startTime", "")); t.ok()) start_time_ = *t;
  for (const auto& p : state.value("createdMountPoints", Json::array())) {
    created_mount_points_.push_back(p.get<std::string>());
  }
  std::error_code ec;
  bool netns_ok = !ctx_.sandbox || pod_ip_.empty() || fs::exists(PodNetwork::NetnsPath(uid_), ec);
  sandbox_ready_ = state.value("sandboxReady", false) && netns_ok;
  net_ready_ = sandbox_ready_;
  if (sandbox_ready_) {
    // Volumes are on disk already; recompute their host paths without rewriting them.
    EnvContext ectx{
        .pod = &*pod_, .pod_ip = pod_ip_, .host_ip = ctx_.host_ip, .config = ctx_.config};
    auto vols = PrepareVolumes(
        *pod_, ectx, {.pod_dir = PodDir(), .data_dir = ctx_.data_dir, .can_mount = ctx_.sandbox});
    if (vols.ok()) volumes_ = std::move(*vols);
    if (!pod_->host_network && !ctx_.sandbox) {
      std::vector<int> ports;
      for (const auto& c : pod_->containers) {
        for (const auto& p : c.ports) ports.push_back(p.container_port);
      }
      ctx_.ports->Reserve(pod_->ns + "/" + pod_->name + "@" + uid_, ports);
    }
  }
  for (const auto& c : state.value("containers", Json::array())) {
    Run* run = FindRun(c.value("name", ""));
    if (run == nullptr) continue;
    run->st.restart_count = c.value("restartCount", 0);
    run->ever_started = c.value("everStarted", false);
    run->oom_base = c.value("oomBase", int64_t{0});
    run->st.container_id = c.value("containerID", "");
    run->st.image_id = c.value("imageID", "");
    if (auto t = ParseRfc3339(c.value("startedAt", "")); t.ok()) run->st.started_at = *t;
    if (auto t = ParseRfc3339(c.value("finishedAt", "")); t.ok()) run->finished_at = *t;
    if (c.contains("last")) run->st.last = TermFromJson(c["last"]);
    for (const auto& d : c.value("gpus", Json::array())) run->gpus.push_back(d.get<int>());
    if (!run->gpus.empty()) ctx_.gpus->Claim(uid_, run->gpus);
    run->mapped_event = run->ever_started;
    pid_t pid = c.value("pid", 0);
    uint64_t ticks = c.value("ticks", uint64_t{0});
    if (pid != 0) {
      run->pid = pid;
      run->ticks = ticks;
      run->child = false;
      if (ProcessAlive(pid, ticks) && sandbox_ready_) {
        run->pidfd = PidfdOpen(pid);
        run->st.phase = ContainerState::Phase::kRunning;
        const Container& spec = SpecOf(*pod_, run->init, run->index);
        run->st.started = !spec.startup_probe.has_value();
        run->st.ready = run->st.started && !spec.readiness_probe.has_value() && !run->init;
        EnvContext ectx{.pod = &*pod_,
                        .pod_ip = pod_ip_,
                        .host_ip = ctx_.host_ip,
                        .node_cpu_milli = ctx_.node_cpu_milli,
                        .node_memory_bytes = ctx_.node_memory_bytes,
                        .config = ctx_.config};
        if (auto env = ResolveEnv(ectx, spec); env.ok()) run->env = *env;
        SteadyTime steady = ctx_.clock->Steady();
        for (int k = 0; k < 3; ++k) run->next_probe[k] = steady;
      } else {
        if (ProcessAlive(pid, ticks)) {
          // Its sandbox is gone (host reboot or cleanup): it cannot be trusted to work.
          kill(-pid, SIGKILL);
        }
        HandleExit(*run);
      }
    } else if (c.contains("terminated")) {
      run->st.phase = ContainerState::Phase::kTerminated;
      run->st.terminated = TermFromJson(c["terminated"]);
    } else if (run->st.last) {
      run->st.phase = ContainerState::Phase::kWaiting;
      run->st.waiting_reason = "CrashLoopBackOff";
    }
  }
}

}  // namespace skiff::node
