// What the agent knows about a pod's containers, and the pure function that turns it into the
// Pod's status (phase, conditions, containerStatuses) following the kubelet's
// generateAPIPodStatus / getPhase.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "node/pod_spec.h"

namespace skiff::node {

struct TerminatedState {
  int exit_code = 0;
  int signal = 0;
  std::string reason{};  // Completed, Error, OOMKilled, StartError, ContainerStatusUnknown
  std::string message{};
  SystemTime started_at{};
  SystemTime finished_at{};
  std::string container_id{};
};

// One container's observed state. Owned by the supervisor thread.
struct ContainerState {
  enum class Phase { kWaiting, kRunning, kTerminated };
  Phase phase = Phase::kWaiting;
  std::string waiting_reason{"ContainerCreating"};
  std::string waiting_message{};
  SystemTime started_at{};                      // kRunning
  std::string container_id{};                   // "skiff://<uid>/<name>/<pid>"
  std::optional<TerminatedState> terminated{};  // kTerminated
  std::optional<TerminatedState> last{};        // lastState.terminated
  int restart_count = 0;
  bool ready = false;
  bool started = false;  // startup probe passed (or none)
  std::string image{};
  std::string image_id{};  // the mapped program, e.g. "skiff-local:///usr/bin/python3"
};

struct PodRuntime {
  std::vector<ContainerState> init;        // spec.initContainers order
  std::vector<ContainerState> containers;  // spec.containers order
  std::string pod_ip{};
  std::string host_ip{};
  std::optional<SystemTime> start_time{};
  // A pod-level failure (port conflict, deadline): phase Failed with this reason/message.
  std::string failed_reason{};
  std::string failed_message{};
};

// "Pending", "Running", "Succeeded", "Failed".
std::string ComputePhase(const PodSpecView& pod, const PodRuntime& rt);

// The full `status` object. Conditions already in `old_status` keep their lastTransitionTime
// when unchanged; condition types the agent does not own (set by the scheduler or others) are
// kept as they are. `now` stamps transitions.
Json ComputePodStatus(const PodSpecView& pod, const PodRuntime& rt, const Json& old_status,
                      SystemTime now);

// True when every init container has completed successfully (sidecars: started).
bool InitDone(const PodSpecView& pod, const PodRuntime& rt);

}  // namespace skiff::node
