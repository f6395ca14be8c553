// Process launcher: starts a container's program as a supervised process tree that survives
// the agent (setsid), inside the pod's cgroups and namespaces, with a tiny exit-status shim so
// the exit code is known even after the agent restarts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace skiff::node {

struct BindMount {
  std::string source{};  // host path; "" with tmpfs
  std::string target{};  // path inside the pod's mount namespace (must exist)
  bool read_only = false;
  bool tmpfs = false;
  int64_t tmpfs_size_bytes = 0;  // 0 = kernel default
};

struct LaunchSpec {
  std::vector<std::string> argv{};  // argv[0] absolute
  std::vector<std::pair<std::string, std::string>> env{};
  std::string working_dir{};                // "" = the agent's data dir's pod directory
  std::string log_path{};                   // stdout and stderr are appended here
  std::string exit_file{};                  // the shim writes "exited N" / "signaled N" here
  std::string netns_path{};                 // "" = host network
  std::vector<std::string> cgroup_procs{};  // cgroup.procs files joined before exec
  bool new_mount_ns = false;
  std::vector<BindMount> mounts{};  // applied in order inside the new mount namespace
  std::string hostname{};           // non-empty: a new UTS namespace with this hostname
  // true: Launch blocks until the program was exec'd (or a step failed). false: Launch returns
  // right after the fork, and Launched::exec_fd tells the outcome (CheckLaunch).
  bool wait_for_exec = true;
};

struct Launched {
  pid_t pid = 0;  // the shim; also the process group and session id of the whole tree
  uint64_t start_ticks = 0;
  // Without wait_for_exec: non-blocking, readable once the program was exec'd or a step failed.
  // Owned by the caller until CheckLaunch closes it. -1 otherwise.
  int exec_fd = -1;
};

// Forks the shim (async-signal-safe code only after fork), which joins the cgroups before the
// program runs; blocks until the program was exec'd (unless !wait_for_exec). FailedPrecondition
// with the OS error when a sandbox step or exec fails (the container's StartError). Thread-safe.
StatusOr<Launched> Launch(const LaunchSpec& spec);
// The outcome of a launch without wait_for_exec: OK once the program runs, Unavailable while not
// known yet (poll exec_fd), FailedPrecondition with the step and OS error when it failed (the
// shim is reaped). Closes exec_fd unless Unavailable. Does not block.
Status CheckLaunch(const LaunchSpec& spec, const Launched& launched);

struct ExitInfo {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when signaled
};
// Reads what the shim wrote; nullopt when it has not (still running, or killed itself).
std::optional<ExitInfo> ReadExitFile(const std::string& path);

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); 0 when gone.
uint64_t ProcessStartTicks(pid_t pid);
// True when `pid` exists, is not a zombie, and started at `start_ticks`.
bool ProcessAlive(pid_t pid, uint64_t start_ticks);

// Result of running a short command (exec probes, `ip`).
struct RunResult {
  int exit_code = -1;  // -1: killed by the timeout
  std::string output;  // stdout + stderr, truncated to 10 KiB
};
// Runs `argv` with `env`, optionally inside the namespaces of process `ns_pid` (net, mnt, uts;
// 0 = the agent's), killing it after `timeout`. Blocks.
StatusOr<RunResult> RunCommand(const std::vector<std::string>& argv,
                               const std::vector<std::pair<std::string, std::string>>& env,
                               std::chrono::milliseconds timeout, pid_t ns_pid = 0);

}  // namespace skiff::node
