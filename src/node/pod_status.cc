// Pod status computation: kubelet getPhase, container statuses and the Pod conditions
// (PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled).
#include "node/pod_status.h"

#include <nlohmann/json.hpp>

namespace skiff::node {
namespace {

Json TerminatedJson(const TerminatedState& t) {
  Json j = {{"exitCode", t.exit_code},
            {"reason", t.reason},
            {"startedAt", FormatRfc3339(t.started_at)},
            {"finishedAt", FormatRfc3339(t.finished_at)}};
  if (t.signal != 0) j["signal"] = t.signal;
  if (!t.message.empty()) j["message"] = t.message;
  if (!t.container_id.empty()) j["containerID"] = t.container_id;
  return j;
}

Json ContainerStatusJson(const Container& spec, const ContainerState& st) {
  Json state;
  switch (st.phase) {
    case ContainerState::Phase::kWaiting: {
      Json w = {{"reason", st.waiting_reason}};
      if (!st.waiting_message.empty()) w["message"] = st.waiting_message;
      state["waiting"] = w;
      break;
    }
    case ContainerState::Phase::kRunning:
      state["running"] = {{"startedAt", FormatRfc3339(st.started_at)}};
      break;
    case ContainerState::Phase::kTerminated:
      state["terminated"] = TerminatedJson(st.terminated.value_or(TerminatedState{}));
      break;
  }
  Json j = {{"name", spec.name},
            {"state", state},
            {"lastState", Json::object()},
            {"ready", st.ready},
            {"restartCount", st.restart_count},
            {"image", spec.image},
            {"imageID", st.image_id},
            {"started", st.phase == ContainerState::Phase::kRunning && st.started}};
  if (st.last) j["lastState"]["terminated"] = TerminatedJson(*st.last);
  if (!st.container_id.empty()) j["containerID"] = st.container_id;
  return j;
}

const ContainerState* At(const std::vector<ContainerState>& v, size_t i) {
  return i < v.size() ? &v[i] : nullptr;
}

}  // namespace

bool InitDone(const PodSpecView& pod, const PodRuntime& rt) {
  for (size_t i = 0; i < pod.init_containers.size(); ++i) {
    const ContainerState* st = At(rt.init, i);
    if (st == nullptr) return false;
    if (pod.init_containers[i].sidecar) {
      if (st->phase != ContainerState::Phase::kRunning || !st->started) return false;
      continue;
    }
    if (st->phase != ContainerState::Phase::kTerminated || st->terminated->exit_code != 0) {
      return false;
    }
  }
  return true;
}

std::string ComputePhase(const PodSpecView& pod, const PodRuntime& rt) {
  if (!rt.failed_reason.empty()) return "Failed";
  int pending_init = 0, failed_init = 0;
  for (size_t i = 0; i < pod.init_containers.size(); ++i) {
    if (pod.init_containers[i].sidecar) continue;
    const ContainerState* st = At(rt.init, i);
    if (st == nullptr) {
      ++pending_init;
      continue;
    }
    switch (st->phase) {
      case ContainerState::Phase::kRunning:
        ++pending_init;
        break;
      case ContainerState::Phase::kTerminated:
        if (st->terminated->exit_code != 0) ++failed_init;
        break;
      case ContainerState::Phase::kWaiting:
        if (st->last) {
          if (st->last->exit_code != 0) ++failed_init;
        } else {
          ++pending_init;
        }
        break;
    }
  }
  int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    const ContainerState* st = At(rt.containers, i);
    if (st == nullptr) {
      ++unknown;
      continue;
    }
    switch (st->phase) {
      case ContainerState::Phase::kRunning:
        ++running;
        break;
      case ContainerState::Phase::kTerminated:
        ++stopped;
        if (st->terminated->exit_code == 0) ++succeeded;
        break;
      case ContainerState::Phase::kWaiting:
        if (st->last) {
          ++stopped;
        } else {
          ++waiting;
        }
        break;
    }
  }
  if (failed_init > 0 && pod.restart_policy == "Never") return "Failed";
  if (pending_init > 0 || waiting > 0) return "Pending";
  if (running > 0 && unknown == 0) return "Running";
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (pod.restart_policy == "Never") return stopped == succeeded ? "Succeeded" : "Failed";
    if (pod.restart_policy == "Always") return "Running";
    return stopped == succeeded ? "Succeeded" : "Running";
  }
  return "Pending";
}

Json ComputePodStatus(const PodSpecView& pod, const PodRuntime& rt, const Json& old_status,
                      SystemTime now) {
  std::string phase = ComputePhase(pod, rt);
  bool terminal = phase == "Succeeded" || phase == "Failed";
  Json status = Json::object();
  status["phase"] = phase;
  if (!rt.host_ip.empty()) {
    status["hostIP"] = rt.host_ip;
    status["hostIPs"] = Json::array({{{"ip", rt.host_ip}}});
  }
  if (!rt.pod_ip.empty()) {
    status["podIP"] = rt.pod_ip;
    status["podIPs"] = Json::array({{{"ip", rt.pod_ip}}});
  }
  if (rt.start_time) status["startTime"] = FormatRfc3339(*rt.start_time);
  status["reason"] = rt.failed_reason.empty() ? Json() : Json(rt.failed_reason);
  status["message"] = rt.failed_message.empty() ? Json() : Json(rt.failed_message);

  Json init_statuses = Json::array(), statuses = Json::array();
  std::vector<std::string> not_initialized, not_ready;
  for (size_t i = 0; i < pod.init_containers.size(); ++i) {
    ContainerState st = i < rt.init.size() ? rt.init[i] : ContainerState{};
    init_statuses.push_back(ContainerStatusJson(pod.init_containers[i], st));
    bool done =
        pod.init_containers[i].sidecar
            ? st.phase == ContainerState::Phase::kRunning && st.started
            : st.phase == ContainerState::Phase::kTerminated && st.terminated->exit_code == 0;
    if (!done) not_initialized.push_back(pod.init_containers[i].name);
  }
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    ContainerState st = i < rt.containers.size() ? rt.containers[i] : ContainerState{};
    statuses.push_back(ContainerStatusJson(pod.containers[i], st));
    if (!st.ready) not_ready.push_back(pod.containers[i].name);
  }
  if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
  status["containerStatuses"] = statuses;

  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& n : v) s += (s.empty() ? "" : " ") + n;
    return s;
  };
  struct Cond {
    std::string type, status, reason, message;
  };
  std::vector<Cond> conds;
  bool sandbox = !rt.pod_ip.empty() || rt.start_time.has_value();
  conds.push_back({"PodReadyToStartContainers", sandbox && !terminal ? "True" : "False", "", ""});
  if (terminal && phase == "Succeeded") {
    conds.push_back({"Initialized", "True", "PodCompleted", ""});
  } else if (not_initialized.empty()) {
    conds.push_back({"Initialized", "True", "", ""});
  } else {
    conds.push_back({"Initialized", "False", "ContainersNotInitialized",
                     "containers with incomplete status: [" + join(not_initialized) + "]"});
  }
  Cond ready{"Ready", "True", "", ""};
  if (terminal) {
    ready = {"Ready", "False", "PodCompleted", ""};
  } else if (!not_initialized.empty()) {
    ready = {"Ready", "False", "ContainersNotInitialized",
             "containers with incomplete status: [" + join(not_initialized) + "]"};
  } else if (!not_ready.empty()) {
    ready = {"Ready", "False", "ContainersNotReady",
             "containers with unready status: [" + join(not_ready) + "]"};
  }
  conds.push_back(ready);
  Cond containers_ready = ready;
  containers_ready.type = "ContainersReady";
  if (!terminal && not_ready.empty()) containers_ready = {"ContainersReady", "True", "", ""};
  if (!terminal && !not_ready.empty()) {
    containers_ready = {"ContainersReady", "False", "ContainersNotReady",
                        "containers with unready status: [" + join(not_ready) + "]"};
  }
  conds.push_back(containers_ready);

  std::string now_text = FormatRfc3339(now);
  const Json* old_conds = nullptr;
  if (old_status.is_object() && old_status.contains("conditions") &&
      old_status["conditions"].is_array()) {
    old_conds = &old_status["conditions"];
  }
  auto find_old = [&](const std::string& type) -> const Json* {
    if (old_conds == nullptr) return nullptr;
    for (const auto& c : *old_conds) {
      if (c.is_object() && c.value("type", "") == type) return &c;
    }
    return nullptr;
  };
  Json out = Json::array();
  for (const auto& c : conds) {
    Json j = {{"type", c.type}, {"status", c.status}, {"lastProbeTime", nullptr}};
    const Json* old = find_old(c.type);
    j["lastTransitionTime"] =
        old && old->value("status", "") == c.status && old->contains("lastTransitionTime")
            ? (*old)["lastTransitionTime"]
            : Json(now_text);
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    out.push_back(j);
  }
  // Keep conditions others own (PodScheduled from the scheduler, DisruptionTarget, gates).
  bool scheduled = false;
  if (old_conds != nullptr) {
    for (const auto& c : *old_conds) {
      std::string type = c.is_object() ? c.value("type", "") : "";
      if (type == "PodScheduled") scheduled = true;
      bool mine = false;
      for (const auto& m : conds) mine = mine || m.type == type;
      if (!mine && !type.empty()) out.push_back(c);
    }
  }
  if (!scheduled) {
    out.push_back({{"type", "PodScheduled"},
                   {"status", "True"},
                   {"lastProbeTime", nullptr},
                   {"lastTransitionTime", now_text}});
  }
  status["conditions"] = out;
  return status;
}

}  // namespace skiff::node
