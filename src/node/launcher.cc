// Launch(): fork → (child) setsid, wait for the cgroup join, enter namespaces, mounts, then fork
// the program and stay behind as its exit-status shim. Everything after fork() is
// async-signal-safe (raw syscalls on data prepared before the fork): skiff is multi-threaded.
#include "node/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace skiff::node {
namespace {

// Stages reported through the error pipe, for the message.
enum Stage : int { kSetns = 1, kUts, kMountNs, kMount, kChdir, kExec, kFork, kLog, kCgroup };

const char* StageName(int stage) {
  switch (stage) {
    case kSetns:
      return "entering the pod network namespace";
    case kUts:
      return "setting the hostname";
    case kMountNs:
      return "creating the mount namespace";
    case kMount:
      return "mounting a volume";
    case kChdir:
      return "changing to the working directory";
    case kExec:
      return "exec";
    case kFork:
      return "fork";
    case kLog:
      return "opening the log";
    case kCgroup:
      return "joining the container's cgroup";
  }
  return "starting";
}

void CloseFrom(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 4096; ++fd) close(fd);
}

[[noreturn]] void Fail(int err_fd, int stage, int index = 0) {
  int msg[3] = {stage, errno, index};
  ssize_t n = write(err_fd, msg, sizeof(msg));
  (void)n;
  _exit(127);
}

// Writes "exited N\n" or "signaled N\n" without allocating.
void WriteExit(const char* path, bool signaled, int code) {
  char buf[32];
  const char* word = signaled ? "signaled " : "exited ";
  size_t n = 0;
  for (const char* p = word; *p; ++p) buf[n++] = *p;
  char digits[12];
  int d = 0;
  unsigned v = static_cast<unsigned>(code);
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && d < 11);
  while (d > 0) buf[n++] = digits[--d];
  buf[n++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, buf, n);
  (void)w;
  close(fd);
}

void ResetSignals() {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &sa, nullptr);  // SIGKILL/SIGSTOP fail: fine
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// "2026-01-02T03:04:05.123456789Z" (30 bytes) from CLOCK_REALTIME, without libc time
// functions (days → civil date, Howard Hinnant's algorithm).
void FormatNow(char* out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t days = ts.tv_sec / 86400, rem = ts.tv_sec % 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  auto put = [&](int pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, y, 4);
  out[4] = '-';
  put(5, m, 2);
  out[7] = '-';
  put(8, d, 2);
  out[10] = 'T';
  put(11, rem / 3600, 2);
  out[13] = ':';
  put(14, rem / 60 % 60, 2);
  out[16] = ':';
  put(17, rem % 60, 2);
  out[19] = '.';
  put(20, ts.tv_nsec, 9);
  out[29] = 'Z';
}

constexpr size_t kLineMax = 16384;

// Writes one CRI log line: "<time> <stream> <F|P> <data>\n" in a single write (O_APPEND).
void EmitLine(int log_fd, const char* stream, char tag, const char* data, size_t n) {
  static char line[kLineMax + 64];
  size_t pos = 0;
  FormatNow(line);
  pos = 30;
  line[pos++] = ' ';
  for (const char* p = stream; *p; ++p) line[pos++] = *p;
  line[pos++] = ' ';
  line[pos++] = tag;
  line[pos++] = ' ';
  memcpy(line + pos, data, n);
  pos += n;
  line[pos++] = '\n';
  ssize_t w = write(log_fd, line, pos);
  (void)w;
}

struct LogStream {
  int fd;
  const char* name;
  char buf[kLineMax];
  size_t len;
};

// Emits complete lines from `s`; a full buffer without a newline goes out as a partial (P).
void EmitComplete(int log_fd, LogStream& s, bool flush) {
  size_t start = 0;
  for (size_t i = 0; i < s.len; ++i) {
    if (s.buf[i] == '\n') {
      EmitLine(log_fd, s.name, 'F', s.buf + start, i - start);
      start = i + 1;
    }
  }
  if (start == 0 && s.len == kLineMax) {
    EmitLine(log_fd, s.name, 'P', s.buf, s.len);
    start = s.len;
  }
  if (flush && start < s.len) {
    EmitLine(log_fd, s.name, 'F', s.buf + start, s.len - start);
    start = s.len;
  }
  memmove(s.buf, s.buf + start, s.len - start);
  s.len -= start;
}

// The shim's loop: copies the program's stdout/stderr into the log until the program exits
// (its pidfd turns readable) and what it wrote is drained. A daemon it left holding the pipes
// does not keep the shim waiting.
void PumpLogs(int out_fd, int err_fd, int log_fd, int program_fd) {
  static LogStream streams[2];
  streams[0].fd = out_fd;
  streams[0].name = "stdout";
  streams[0].len = 0;
  streams[1].fd = err_fd;
  streams[1].name = "stderr";
  streams[1].len = 0;
  bool exited = false;
  int drain_reads = 0;
  for (;;) {
    if (exited && ++drain_reads > 256) break;  // a daemon still writing: stop at some point
    struct pollfd p[3];
    int n = 0;
    int index[3];
    for (int i = 0; i < 2; ++i) {
      if (streams[i].fd >= 0) {
        p[n] = {streams[i].fd, POLLIN, 0};
        index[n++] = i;
      }
    }
    int pid_slot = -1;
    if (!exited && program_fd >= 0) {
      pid_slot = n;
      p[n++] = {program_fd, POLLIN, 0};
    }
    if (n == 0) break;
    if (pid_slot < 0 && streams[0].fd < 0 && streams[1].fd < 0) break;
    int r = poll(p, n, exited ? 0 : (program_fd >= 0 ? -1 : 200));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && exited) break;  // drained
    if (pid_slot >= 0 && (p[pid_slot].revents & POLLIN)) exited = true;
    for (int k = 0; k < n; ++k) {
      if (k == pid_slot || p[k].revents == 0) continue;
      LogStream& s = streams[index[k]];
      ssize_t got = read(s.fd, s.buf + s.len, kLineMax - s.len);
      if (got <= 0) {
        s.fd = -1;
        continue;
      }
      s.len += static_cast<size_t>(got);
      EmitComplete(log_fd, s, false);
    }
  }
  for (auto& s : streams) EmitComplete(log_fd, s, true);
}

// The container's program, between the shim's clone and execve. It shares the shim's memory
// (CLONE_VM|CLONE_VFORK): syscalls only, and it writes nothing but its own stack.
struct ProgramChild {
  int out_w, err_w, fail_w;
  char** argv;
  char** envp;
};

int ProgramChildMain(void* arg) {
  auto* c = static_cast<ProgramChild*>(arg);
  if (dup2(c->out_w, 1) < 0 || dup2(c->err_w, 2) < 0) Fail(c->fail_w, kLog);
  ResetSignals();
  // Nothing of the agent's (sockets, databases) may leak into the program.
#ifdef SYS_close_range
  syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
#endif
  execve(c->argv[0], c->argv, c->envp);
  Fail(c->fail_w, kExec);
}

struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
  char** Get() {
    ptrs.clear();
    for (auto& s : storage) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    return ptrs.data();
  }
};

}  // namespace

StatusOr<Launched> Launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return InvalidArgument("empty argv");
  // Everything the child touches is prepared here.
  CStrings argv{spec.argv, {}}, envp;
  for (const auto& [k, v] : spec.env) envp.storage.push_back(k + "=" + v);
  char** argv_p = argv.Get();
  char** envp_p = envp.Get();
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) return FailedPrecondition("open " + spec.log_path + ": " + strerror(errno));
  int netns_fd = -1;
  if (!spec.netns_path.empty()) {
    netns_fd = open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) {
      int e = errno;
      close(log_fd);
      return FailedPrecondition("open " + spec.netns_path + ": " + strerror(e));
    }
  }
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    if (netns_fd >= 0) close(netns_fd);
    return Internal("pipe2 failed");
  }
  std::vector<const char*> cgroup_procs;
  for (const auto& procs : spec.cgroup_procs) cgroup_procs.push_back(procs.c_str());
  unlink(spec.exit_file.c_str());
  const char* exit_path = spec.exit_file.c_str();
  const char* workdir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str();
  const char* hostname = spec.hostname.empty() ? nullptr : spec.hostname.c_str();
  size_t hostname_len = spec.hostname.size();

  std::vector<char> program_stack(64 * 1024);
  char* program_stack_top = program_stack.data() + program_stack.size();

  pid_t pid = fork();
  if (pid < 0) return Internal(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    // Child: the shim. Async-signal-safe calls only.
    int err_w = err_pipe[1];
    close(err_pipe[0]);
    setsid();
    // The shim joins the container's cgroups itself ("0" = the writer), before anything of the
    // container runs. In cgroup v1 each join waits for an RCU grace period; done here, that
    // wait overlaps other pods' starts instead of stalling the agent's supervisor thread.
    for (size_t i = 0; i < cgroup_procs.size(); ++i) {
      int fd = open(cgroup_procs[i], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) Fail(err_w, kCgroup, static_cast<int>(i));
      close(fd);
    }
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) Fail(err_w, kSetns);
    if (hostname != nullptr) {
      if (unshare(CLONE_NEWUTS) != 0 || sethostname(hostname, hostname_len) != 0) {
        Fail(err_w, kUts);
      }
    }
    if (spec.new_mount_ns) {
      if (unshare(CLONE_NEWNS) != 0) Fail(err_w, kMountNs);
      if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) Fail(err_w, kMountNs);
      // Other pods' namespace pins are no business of this container, and while they are
      // mounted here each pod created or deleted later propagates into this namespace too.
      umount2("/run/netns", MNT_DETACH);
      for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const BindMount& m = spec.mounts[i];
        int rc =
            m.tmpfs ? mount("tmpfs", m.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, nullptr)
                    : mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
        if (rc != 0) Fail(err_w, kMount, static_cast<int>(i));
        if (m.read_only && mount(nullptr, m.target.c_str(), nullptr,
                                 MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
          Fail(err_w, kMount, static_cast<int>(i));
        }
      }
    }
    if (workdir != nullptr && chdir(workdir) != 0) Fail(err_w, kChdir);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) dup2(devnull, 0);
    // The program writes into pipes; the shim timestamps each line into the log (CRI format).
    int out_pipe[2], err_pipe2[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe2, O_CLOEXEC) != 0) Fail(err_w, kLog);
    // Block signals across the fork so the shim cannot die between fork and ignoring them.
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    // The program is started vfork-style: the shim is itself a copy of the agent, and a second
    // full fork would copy its page tables once more just to exec.
    ProgramChild pc{out_pipe[1], err_pipe2[1], err_w, argv_p, envp_p};
    pid_t program =
        clone(ProgramChildMain, program_stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, &pc);
    if (program < 0) Fail(err_w, kFork);
    // Shim: outlive the program's SIGTERM (it is in the same process group) to record the exit.
    // Named so `ps`/`pgrep -x` tell it from the agent it was forked from.
    prctl(PR_SET_NAME, "skiff-shim", 0, 0, 0);
    close(err_w);
    close(out_pipe[1]);
    close(err_pipe2[1]);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    // Keep exactly the two pipe ends and the log as fds 3, 4, 5.
    int keep[3] = {fcntl(out_pipe[0], F_DUPFD_CLOEXEC, 100),
                   fcntl(err_pipe2[0], F_DUPFD_CLOEXEC, 100), fcntl(log_fd, F_DUPFD_CLOEXEC, 100)};
    for (int i = 0; i < 3; ++i) dup2(keep[i], 3 + i);
    CloseFrom(6);
    int program_fd = static_cast<int>(syscall(SYS_pidfd_open, program, 0));
    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2}) {
      sigaction(s, &ign, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    PumpLogs(3, 4, 5, program_fd);
    int status = 0;
    while (waitpid(program, &status, 0) < 0) {
      if (errno != EINTR) _exit(255);
    }
    if (WIFSIGNALED(status)) {
      WriteExit(exit_path, true, WTERMSIG(status));
      _exit(128 + WTERMSIG(status));
    }
    WriteExit(exit_path, false, WEXITSTATUS(status));
    _exit(WEXITSTATUS(status));
  }
  // Parent.
  close(err_pipe[1]);
  close(log_fd);
  if (netns_fd >= 0) close(netns_fd);
  Launched out{pid, ProcessStartTicks(pid), err_pipe[0]};
  if (!spec.wait_for_exec) {
    fcntl(out.exec_fd, F_SETFL, O_NONBLOCK);
    return out;
  }
  Status s;
  do {
    s = CheckLaunch(spec, out);
  } while (s.code() == StatusCode::kUnavailable);
  if (!s.ok()) return s;
  out.exec_fd = -1;
  return out;
}

Status CheckLaunch(const LaunchSpec& spec, const Launched& launched) {
  int msg[3] = {0, 0, 0};
  ssize_t n;
  do {
    n = read(launched.exec_fd, msg, sizeof(msg));
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return Unavailable("not exec'd yet");
  close(launched.exec_fd);
  if (n <= 0) return Status();  // EOF: every write end closed at exec (or the shim died)
  int status;
  waitpid(launched.pid, &status, 0);  // the shim _exits right after writing the message
  std::string what = StageName(msg[0]);
  if (msg[0] == kMount && static_cast<size_t>(msg[2]) < spec.mounts.size()) {
    what += " at " + spec.mounts[msg[2]].target;
  }
  if (msg[0] == kCgroup && static_cast<size_t>(msg[2]) < spec.cgroup_procs.size()) {
    what += " " + spec.cgroup_procs[msg[2]];
  }
  if (msg[0] == kExec) what += " " + spec.argv[0];
  if (msg[0] == kChdir) what += " " + spec.working_dir;
  return FailedPrecondition(what + ": " + strerror(msg[1]));
}

std::optional<ExitInfo> ReadExitFile(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  int code = 0;
  if (!(in >> word >> code)) return std::nullopt;
  if (word != "exited" && word != "signaled") return std::nullopt;
  return ExitInfo{word == "signaled", code};
}

uint64_t ProcessStartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  size_t close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream ss(line.substr(close_paren + 2));
  std::string field;
  // After "pid (comm) ", fields start at #3 (state); starttime is #22.
  for (int i = 3; i <= 22; ++i) {
    if (!(ss >> field)) return 0;
    if (i == 3 && (field == "Z" || field == "X")) return 0;
  }
  return std::strtoull(field.c_str(), nullptr, 10);
}

bool ProcessAlive(pid_t pid, uint64_t start_ticks) {
  return pid > 0 && start_ticks != 0 && ProcessStartTicks(pid) == start_ticks;
}

namespace {

// What RunCommand's child needs; it lives on the parent's stack, which the child shares.
struct CommandChild {
  char** argv;
  char** envp;
  const int* ns_fds;
  const int* ns_types;
  int out_w;
  bool search;
};

// The child of RunCommand. It shares the agent's memory until execve (CLONE_VM|CLONE_VFORK, as
// posix_spawn does), so it only makes syscalls and writes nothing but its own stack.
int CommandChildMain(void* arg) {
  auto* c = static_cast<CommandChild*>(arg);
  setpgid(0, 0);
  for (int i = 0; i < 3; ++i) {
    if (c->ns_fds[i] >= 0 && setns(c->ns_fds[i], c->ns_types[i]) != 0) _exit(126);
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(c->out_w, 1);
  dup2(c->out_w, 2);
  ResetSignals();
  if (c->search) {
    // A container's PATH, searched here without allocating.
    static const char* const kDirs[] = {"/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/",
                                        "/usr/bin/",        "/sbin/",          "/bin/"};
    char path[4096];
    for (const char* dir : kDirs) {
      size_t n = 0;
      for (const char* p = dir; *p && n < sizeof(path) - 1; ++p) path[n++] = *p;
      for (const char* p = c->argv[0]; *p && n < sizeof(path) - 1; ++p) path[n++] = *p;
      path[n] = '\0';
      execve(path, c->argv, c->envp);
    }
  } else {
    execve(c->argv[0], c->argv, c->envp);
  }
  _exit(127);
}

}  // namespace

StatusOr<RunResult> RunCommand(const std::vector<std::string>& argv_in,
                               const std::vector<std::pair<std::string, std::string>>& env,
                               std::chrono::milliseconds timeout, pid_t ns_pid) {
  if (argv_in.empty()) return InvalidArgument("empty command");
  CStrings argv{argv_in, {}}, envp;
  for (const auto& [k, v] : env) envp.storage.push_back(k + "=" + v);
  int ns_fds[3] = {-1, -1, -1};
  const int ns_types[3] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWNS};
  if (ns_pid > 0) {
    const char* names[3] = {"net", "uts", "mnt"};
    for (int i = 0; i < 3; ++i) {
      std::string p = "/proc/" + std::to_string(ns_pid) + "/ns/" + names[i];
      ns_fds[i] = open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns_fds[i] < 0) {
        for (int j = 0; j < i; ++j) close(ns_fds[j]);
        return FailedPrecondition("the container's process is gone");
      }
    }
  }
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    for (int fd : ns_fds) {
      if (fd >= 0) close(fd);
    }
    return Internal("pipe2 failed");
  }
  CommandChild child{.argv = argv.Get(),
                     .envp = envp.Get(),
                     .ns_fds = ns_fds,
                     .ns_types = ns_types,
                     .out_w = out_pipe[1],
                     .search = argv_in[0].find('/') == std::string::npos};
  // A vfork-style clone instead of fork(): the agent shares its process with the API server,
  // so copying its page tables for every exec probe cost more than the probe itself. Signals
  // stay blocked until the child reset its handlers (no agent handler may run in it).
  std::vector<char> stack(64 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(CommandChildMain, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD,
                    &child);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    for (int fd : ns_fds) {
      if (fd >= 0) close(fd);
    }
    return Internal(std::string("clone: ") + strerror(clone_errno));
  }
  close(out_pipe[1]);
  for (int fd : ns_fds) {
    if (fd >= 0) close(fd);
  }
  RunResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {out_pipe[0], POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n <= 0) break;  // EOF: every writer (the command and its children) is gone
    if (result.output.size() < 10240) result.output.append(buf, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  if (timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else {
    result.exit_code = 128 + WTERMSIG(status);
  }
  if (result.output.size() > 10240) result.output.resize(10240);
  return result;
}

}  // namespace skiff::node
