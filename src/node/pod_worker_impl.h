// Folder-private parts of PodWorker shared by its three .cc files: the per-container run
// state and small helpers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/launcher.h"
#include "node/pod_worker.h"

namespace skiff::node {

inline constexpr std::chrono::seconds kRetry(5);  // sandbox/config errors are retried this often
inline constexpr std::chrono::hours kFar(24);     // "no timer"
inline constexpr const char* kProbeNames[3] = {"Startup", "Readiness", "Liveness"};
inline constexpr char kAggressiveReadinessAnnotation[] = "serving.skiff.dev/aggressive-readiness";
inline constexpr std::chrono::milliseconds kAggressiveProbePeriod{20};

struct PodWorker::Run {
  bool init = false;
  size_t index = 0;
  std::string name;
  ContainerState st;
  pid_t pid = 0;
  uint64_t ticks = 0;
  int pidfd = -1;
  bool child = false;  // launched by this agent process: waitpid-able
  int64_t oom_base = 0;
  std::optional<SystemTime> finished_at;
  bool stopping = false;
  bool killed = false;
  SteadyTime kill_at{};
  ProbeTracker trackers[3];
  SteadyTime next_probe[3]{};
  bool inflight[3] = {false, false, false};
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<int> gpus;
  std::string last_event;  // the last Warning message, so repeats are not re-sent each sync
  bool mapped_event = false;
  bool ever_started = false;
  // A launch whose exec is not confirmed yet (Launched::exec_fd; -1 when none).
  int exec_fd = -1;
  std::optional<LaunchSpec> launch;
  SystemTime launched_at{};
  SteadyTime launch_steady{};
};

const Container& SpecOf(const PodSpecView& pod, bool init, size_t index);
int PidfdOpen(pid_t pid);
// A resource quantity from a container's requests/limits: whole units, or milli-units.
int64_t QuantityValue(const std::map<std::string, std::string>& list, const std::string& key,
                      bool milli);

}  // namespace skiff::node
