// Worker group supervision with fork/exec and sigtimedwait: the launcher blocks the signals it
// handles and takes them synchronously, so child exits and termination requests are handled in
// one loop without handlers or races.
#include "launcher/worker_group.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

namespace skiff::launcher {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::string Now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d_%H:%M:%S", &tm);
  return buf;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Owns the C arrays execve needs, built before fork so the child only calls async-signal-safe
// functions.
struct ExecArgs {
  std::vector<std::string> storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecArgs(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    storage = args;
    for (const auto& [k, v] : env) storage.push_back(k + "=" + v);
    for (size_t i = 0; i < storage.size(); ++i) {
      (i < args.size() ? argv : envp).push_back(storage[i].data());
    }
    argv.push_back(nullptr);
    envp.push_back(nullptr);
  }
};

// Sends `sig` to a worker's process group (its own children too), or to the worker alone if
// the group is already gone.
void SignalWorker(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

enum class GroupOutcome { kSucceeded, kFailed, kSignaled };

struct GroupResult {
  GroupOutcome outcome = GroupOutcome::kSucceeded;
  std::vector<WorkerFailure> failures;  // first observed first
  int signal = 0;                       // kSignaled: the signal the launcher got
};

class GroupRun {
 public:
  GroupRun(const LaunchPlan& plan, const std::string& program,
           const std::map<std::string, std::string>& env, const WorkerGroupOptions& options,
           const sigset_t& handled, const sigset_t& child_mask)
      : plan_(plan),
        program_(program),
        env_(env),
        options_(options),
        handled_(handled),
        child_mask_(child_mask) {}

  GroupResult Run(int restart_count) {
    for (int local_rank = 0; local_rank < plan_.nproc_per_node && !terminating_; ++local_rank) {
      Spawn(local_rank, restart_count);
    }
    while (!live_.empty()) {
      siginfo_t info;
      int sig;
      if (deadline_) {
        auto left = std::max(SteadyClock::duration::zero(), *deadline_ - SteadyClock::now());
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec ts{.tv_sec = static_cast<time_t>(ns / 1000000000),
                    .tv_nsec = static_cast<long>(ns % 1000000000)};
        sig = sigtimedwait(&handled_, &info, &ts);
      } else {
        sig = sigwaitinfo(&handled_, &info);
      }
      if (sig < 0 && errno == EINTR) continue;
      if (sig > 0 && sig != SIGCHLD) {
        Forward(sig);
      } else {
        Reap();
      }
      if (deadline_ && SteadyClock::now() >= *deadline_) {
        for (const auto& [pid, rank] : live_) SignalWorker(pid, SIGKILL);
        deadline_.reset();
      }
    }
    return result_;
  }

 private:
  void Spawn(int local_rank, int restart_count) {
    std::map<std::string, std::string> env = env_;
    for (auto& [k, v] : RankEnv(plan_, local_rank, restart_count)) env[k] = v;
    ExecArgs exec(plan_.argv, env);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      // A worker must not outlive its launcher: a lone rank would wait on its peers forever.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(128 + SIGKILL);
      sigprocmask(SIG_SETMASK, &child_mask_, nullptr);
      execve(program_.c_str(), exec.argv.data(), exec.envp.data());
      int err = errno;
      dprintf(STDERR_FILENO, "torchrun: exec %s: %s\n", program_.c_str(), strerror(err));
      _exit(err == ENOENT ? 127 : 126);
    }
    if (pid < 0) {
      int err = errno;
      std::fprintf(stderr, "torchrun: fork for local_rank %d: %s\n", local_rank, strerror(err));
      result_.failures.push_back(WorkerFailure{
          .local_rank = local_rank, .rank = GlobalRank(local_rank), .exit_code = 1, .time = Now()});
      result_.outcome = GroupOutcome::kFailed;
      StopAll(SIGTERM, options_.failure_grace);
      return;
    }
    // Also set here: a signal forwarded before the child ran setpgid must still find the group.
    setpgid(pid, pid);
    live_[pid] = local_rank;
  }

  int GlobalRank(int local_rank) const {
    return plan_.node_rank * plan_.nproc_per_node + local_rank;
  }

  void StopAll(int sig, std::chrono::milliseconds grace) {
    terminating_ = true;
    for (const auto& [pid, rank] : live_) SignalWorker(pid, sig);
    if (!deadline_) deadline_ = SteadyClock::now() + grace;
  }

  void Forward(int sig) {
    if (result_.outcome != GroupOutcome::kSignaled) {
      std::fprintf(stderr, "torchrun: received %s, forwarding it to %zu worker(s)\n",
                   SignalName(sig).c_str(), live_.size());
      result_.outcome = GroupOutcome::kSignaled;
      result_.signal = sig;
    }
    // A second signal is forwarded again (a second Ctrl-C), under the same deadline.
    StopAll(sig, options_.signal_grace);
  }

  void Reap() {
    bool was_terminating = terminating_;
    bool failed_now = false;
    while (true) {
      siginfo_t info{};
      if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
      pid_t pid = info.si_pid;
      auto it = live_.find(pid);
      // What a worker left behind in its process group dies with it, as a container's leftovers
      // do; the unreaped worker still holds its pid, so the group id cannot have been reused.
      if (it != live_.end()) kill(-pid, SIGKILL);
      int status = 0;
      if (waitpid(pid, &status, 0) != pid) continue;
      if (it == live_.end()) continue;  // a reparented orphan (we may be a pod's first process)
      int local_rank = it->second;
      live_.erase(it);
      bool bad = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      // Workers that die after we began stopping the group are not failures of their own.
      if (!bad || was_terminating) continue;
      WorkerFailure f{
          .local_rank = local_rank, .rank = GlobalRank(local_rank), .pid = pid, .time = Now()};
      if (WIFSIGNALED(status)) {
        f.signal = WTERMSIG(status);
      } else {
        f.exit_code = WEXITSTATUS(status);
      }
      std::fprintf(stderr,
                   "torchrun: failed (exitcode: %d) local_rank: %d (pid: %d) of binary: %s\n",
                   f.signal != 0 ? -f.signal : f.exit_code, local_rank, static_cast<int>(pid),
                   program_.c_str());
      result_.failures.push_back(f);
      failed_now = true;
    }
    if (failed_now) {
      result_.outcome = GroupOutcome::kFailed;
      StopAll(SIGTERM, options_.failure_grace);
    }
  }

  const LaunchPlan& plan_;
  const std::string& program_;
  const std::map<std::string, std::string>& env_;
  const WorkerGroupOptions& options_;
  const sigset_t& handled_;
  const sigset_t& child_mask_;
  std::map<pid_t, int> live_;  // pid → local rank
  bool terminating_ = false;
  std::optional<SteadyClock::time_point> deadline_;  // SIGKILL what is left then
  GroupResult result_;
};

}  // namespace

StatusOr<std::string> ResolveProgram(const LaunchPlan& plan, const std::string& path_env) {
  if (plan.argv.empty()) return InvalidArgument("no worker command");
  const std::string& prog = plan.argv[0];
  if (!plan.no_python) {
    if (!IsExecutableFile(prog)) {
      return NotFound("python interpreter " + prog + " not found (set PYTHON_EXEC to override)");
    }
    bool module = plan.argv.size() > 1 && plan.argv[1] == "-m";
    struct stat st;
    if (!module && stat(plan.script.c_str(), &st) != 0) {
      return NotFound("training script " + plan.script + ": " + strerror(errno));
    }
    return prog;
  }
  if (prog.find('/') != std::string::npos) {
    if (!IsExecutableFile(prog)) return NotFound("program " + prog + ": not an executable file");
    return prog;
  }
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t colon = path_env.find(':', start);
    if (colon == std::string::npos) colon = path_env.size();
    std::string dir = path_env.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + prog;
    if (IsExecutableFile(candidate)) return candidate;
    start = colon + 1;
  }
  return NotFound("program " + prog + ": not found on PATH");
}

int RunWorkerGroup(const LaunchPlan& plan, const std::string& program,
                   const std::map<std::string, std::string>& env,
                   const WorkerGroupOptions& options) {
  // An inherited SIG_IGN for SIGCHLD would make the kernel reap workers before we see them.
  signal(SIGCHLD, SIG_DFL);
  sigset_t handled, previous;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (int sig : kForwardedSignals) sigaddset(&handled, sig);
  sigprocmask(SIG_BLOCK, &handled, &previous);
  for (int restart = 0;; ++restart) {
    GroupRun run(plan, program, env, options, handled, previous);
    GroupResult r = run.Run(restart);
    if (r.outcome == GroupOutcome::kSignaled) return 128 + r.signal;
    if (r.outcome == GroupOutcome::kSucceeded) return 0;
    if (restart < plan.max_restarts) {
      std::fprintf(stderr,
                   "torchrun: [%s] worker group FAILED. %d/%d attempts left; will restart "
                   "worker group\n",
                   plan.role.c_str(), plan.max_restarts - restart, plan.max_restarts);
      continue;
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    std::fputs(FailureReport(plan.script, host, r.failures).c_str(), stderr);
    const WorkerFailure& root = r.failures.front();
    return root.signal != 0 ? 128 + root.signal : root.exit_code;
  }
}

std::string FailureReport(const std::string& script, const std::string& host,
                          const std::vector<WorkerFailure>& failures) {
  auto entry = [&](size_t index, const WorkerFailure& f) {
    std::string code = std::to_string(f.signal != 0 ? -f.signal : f.exit_code);
    std::string trace =
        f.signal != 0
            ? "Signal " + std::to_string(f.signal) + " (" + SignalName(f.signal) +
                  ") received by PID " + std::to_string(f.pid)
            : "To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html";
    return "[" + std::to_string(index) + "]:\n  time      : " + f.time + "\n  host      : " + host +
           "\n  rank      : " + std::to_string(f.rank) +
           " (local_rank: " + std::to_string(f.local_rank) + ")\n  exitcode  : " + code +
           " (pid: " + std::to_string(f.pid) + ")\n  error_file: <N/A>\n  traceback : " + trace +
           "\n";
  };
  const std::string rule(60, '=');
  const std::string thin(60, '-');
  std::string out = rule + "\n" + script + " FAILED\n" + thin + "\nFailures:\n";
  if (failures.size() <= 1) out += "  <NO_OTHER_FAILURES>\n";
  for (size_t i = 1; i < failures.size(); ++i) out += entry(i, failures[i]);
  out += thin + "\nRoot Cause (first observed failure):\n";
  if (!failures.empty()) out += entry(0, failures.front());
  return out + rule + "\n";
}

}  // namespace skiff::launcher
