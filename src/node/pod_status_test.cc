// Tests for pod phase, conditions and container statuses.
#include "node/pod_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::node {
namespace {

PodSpecView Pod(const std::string& restart_policy, int init = 0) {
  Json spec = {
      {"restartPolicy", restart_policy},
      {"containers", {{{"name", "a"}, {"image", "python"}}, {{"name", "b"}, {"image", "python"}}}}};
  for (int i = 0; i < init; ++i)
    spec["initContainers"].push_back({{"name", "i" + std::to_string(i)}});
  return *ParsePod({{"metadata", {{"name", "p"}, {"namespace", "d"}}}, {"spec", spec}});
}

ContainerState Running(bool ready = true) {
  ContainerState s;
  s.phase = ContainerState::Phase::kRunning;
  s.ready = ready;
  s.started = true;
  return s;
}

ContainerState Exited(int code) {
  ContainerState s;
  s.phase = ContainerState::Phase::kTerminated;
  s.terminated = TerminatedState{.exit_code = code, .reason = code == 0 ? "Completed" : "Error"};
  return s;
}

ContainerState CrashLooping(int last_code) {
  ContainerState s;
  s.waiting_reason = "CrashLoopBackOff";
  s.last = TerminatedState{.exit_code = last_code, .reason = "Error"};
  s.restart_count = 2;
  return s;
}

TEST(ComputePhase, KubeletRules) {
  PodRuntime rt;
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Pending");
  rt.containers = {Running(), ContainerState{}};
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Pending");
  rt.containers = {Running(), Running()};
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Running");
  rt.containers = {Exited(0), Exited(0)};
  EXPECT_EQ(ComputePhase(Pod("Never"), rt), "Succeeded");
  EXPECT_EQ(ComputePhase(Pod("OnFailure"), rt), "Succeeded");
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Running");
  rt.containers = {Exited(0), Exited(1)};
  EXPECT_EQ(ComputePhase(Pod("Never"), rt), "Failed");
  EXPECT_EQ(ComputePhase(Pod("OnFailure"), rt), "Running");
  rt.containers = {CrashLooping(1), Running()};
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Running");
  rt.failed_reason = "PortConflict";
  EXPECT_EQ(ComputePhase(Pod("Always"), rt), "Failed");
}

TEST(ComputePhase, InitContainers) {
  PodRuntime rt;
  rt.init = {Exited(0), Running()};
  rt.containers = {ContainerState{}, ContainerState{}};
  EXPECT_EQ(ComputePhase(Pod("Always", 2), rt), "Pending");
  rt.init = {Exited(0), Exited(3)};
  EXPECT_EQ(ComputePhase(Pod("Never", 2), rt), "Failed");
  EXPECT_EQ(ComputePhase(Pod("OnFailure", 2), rt), "Pending");
  rt.init = {Exited(0), Exited(0)};
  EXPECT_TRUE(InitDone(Pod("Never", 2), rt));
  rt.containers = {Running(), Running()};
  EXPECT_EQ(ComputePhase(Pod("Never", 2), rt), "Running");
}

const Json* Cond(const Json& status, const std::string& type) {
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type) return &c;
  }
  return nullptr;
}

TEST(ComputePodStatus, ConditionsAndContainerStatuses) {
  FakeClock clock;
  PodSpecView pod = Pod("Always");
  PodRuntime rt;
  rt.pod_ip = "10.244.0.5";
  rt.host_ip = "10.244.0.1";
  rt.start_time = clock.Now();
  rt.containers = {Running(true), CrashLooping(137)};
  rt.containers[1].last->reason = "OOMKilled";
  Json old = {{"conditions",
               {{{"type", "PodScheduled"},
                 {"status", "True"},
                 {"lastTransitionTime", "2020-01-01T00:00:00Z"}}}}};
  Json st = ComputePodStatus(pod, rt, old, clock.Now());
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["podIP"], "10.244.0.5");
  EXPECT_EQ(st["podIPs"][0]["ip"], "10.244.0.5");
  EXPECT_EQ((*Cond(st, "Ready"))["status"], "False");
  EXPECT_EQ((*Cond(st, "Ready"))["reason"], "ContainersNotReady");
  EXPECT_EQ((*Cond(st, "Ready"))["message"], "containers with unready status: [b]");
  EXPECT_EQ((*Cond(st, "PodScheduled"))["lastTransitionTime"], "2020-01-01T00:00:00Z");
  const Json& b = st["containerStatuses"][1];
  EXPECT_EQ(b["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(b["lastState"]["terminated"]["reason"], "OOMKilled");
  EXPECT_EQ(b["lastState"]["terminated"]["exitCode"], 137);
  EXPECT_EQ(b["restartCount"], 2);
  EXPECT_EQ(b["started"], false);
  EXPECT_EQ(st["containerStatuses"][0]["state"].contains("running"), true);

  // Transition times move only when the status flips.
  Json first = st;
  clock.Advance(std::chrono::seconds(30));
  rt.containers[1] = Running(true);
  Json second = ComputePodStatus(pod, rt, first, clock.Now());
  EXPECT_EQ((*Cond(second, "Ready"))["status"], "True");
  EXPECT_NE((*Cond(second, "Ready"))["lastTransitionTime"],
            (*Cond(first, "Ready"))["lastTransitionTime"]);
  EXPECT_EQ((*Cond(second, "Initialized"))["lastTransitionTime"],
            (*Cond(first, "Initialized"))["lastTransitionTime"]);

  // Completed pods are not ready, with reason PodCompleted.
  rt.containers = {Exited(0), Exited(0)};
  Json done = ComputePodStatus(Pod("Never"), rt, second, clock.Now());
  EXPECT_EQ(done["phase"], "Succeeded");
  EXPECT_EQ((*Cond(done, "Ready"))["reason"], "PodCompleted");
  EXPECT_EQ(done["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
}

}  // namespace
}  // namespace skiff::node
