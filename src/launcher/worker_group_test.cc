// Tests for the worker group, run through the real skiff-torchrun binary: rank env, failure
// propagation, signal forwarding, restarts, usage errors, and a real 2-rank gloo all_reduce.
// Workers report through files and a FIFO, never through sleeps.
#include "launcher/worker_group.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace skiff::launcher {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TorchrunBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-torchrun-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/fifo";
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0600), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts the launcher with `args`; its env is ours minus OMP_NUM_THREADS and PET_*, plus
  // DIR=<temp dir> and `extra`. Its stderr goes to <dir>/stderr.
  pid_t Start(const std::vector<std::string>& args, const std::vector<std::string>& extra = {},
              const std::string& binary = SKIFF_TORCHRUN_BIN) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      if (kv.rfind("OMP_NUM_THREADS=", 0) == 0 || kv.rfind("PET_", 0) == 0) continue;
      env.push_back(kv);
    }
    env.push_back("DIR=" + dir_);
    env.insert(env.end(), extra.begin(), extra.end());
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    for (auto& e : env) cenv.push_back(e.data());
    cargv.push_back(nullptr);
    cenv.push_back(nullptr);
    std::string err = dir_ + "/stderr";
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      execve(cargv[0], cargv.data(), cenv.data());
      _exit(99);
    }
    return pid;
  }

  // The launcher's exit code (128 + signal if it was killed).
  static int Wait(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int Run(const std::vector<std::string>& args, const std::vector<std::string>& extra = {}) {
    return Wait(Start(args, extra));
  }

  // Reads `n` lines from the FIFO (opened read-write, so early writers never see it closed).
  // The poll deadline only bounds a failure.
  bool WaitForLines(int n) {
    int fd = open(fifo_.c_str(), O_RDWR);
    int lines = 0;
    char c;
    while (lines < n) {
      pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 60000) != 1 || read(fd, &c, 1) != 1) break;
      if (c == '\n') ++lines;
    }
    close(fd);
    return lines == n;
  }

  std::string Stderr() { return ReadFile(dir_ + "/stderr"); }

  std::string dir_;
  std::string fifo_;
};

constexpr char kPrintEnv[] =
    "echo \"$RANK $LOCAL_RANK $WORLD_SIZE $LOCAL_WORLD_SIZE $GROUP_RANK $GROUP_WORLD_SIZE "
    "$MASTER_ADDR $MASTER_PORT $OMP_NUM_THREADS $TORCHELASTIC_USE_AGENT_STORE $ROLE_NAME\" "
    "> \"$DIR/rank.$LOCAL_RANK\"";

TEST_F(TorchrunBinary, RanksFromFlags) {
  ASSERT_EQ(Run({"--nnodes", "2", "--node_rank", "1", "--nproc_per_node", "2", "--master_addr",
                 "10.1.2.3", "--master_port", "1234", "--no_python", "/bin/sh", "-c", kPrintEnv}),
            0)
      << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/rank.0"), "2 0 4 2 1 2 10.1.2.3 1234 1 False default\n");
  EXPECT_EQ(ReadFile(dir_ + "/rank.1"), "3 1 4 2 1 2 10.1.2.3 1234 1 False default\n");
  EXPECT_NE(Stderr().find("OMP_NUM_THREADS"), std::string::npos);
}

TEST_F(TorchrunBinary, RanksFromPetEnvWhenRunAsTorchrun) {
  // The container-bin link: argv[0] is "torchrun", options come from the Trainer's PET_* env.
  pid_t pid = Start({"--no-python", "sh", "-c", kPrintEnv},
                    {"PET_NNODES=2", "PET_NODE_RANK=1", "PET_NPROC_PER_NODE=2",
                     "PET_MASTER_ADDR=tj-node-0-0.tj", "PET_MASTER_PORT=29500"},
                    SKIFF_TORCHRUN_LINK);
  ASSERT_EQ(Wait(pid), 0) << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/rank.0"), "2 0 4 2 1 2 tj-node-0-0.tj 29500 1 False default\n");
  EXPECT_EQ(ReadFile(dir_ + "/rank.1"), "3 1 4 2 1 2 tj-node-0-0.tj 29500 1 False default\n");
}

TEST_F(TorchrunBinary, FailedRankStopsTheOthersAndSetsTheExitCode) {
  // Ranks 0 and 2 announce themselves and wait; rank 1 fails once both are up.
  const char* script =
      "if [ \"$LOCAL_RANK\" = 1 ]; then exec 3<>\"$DIR/fifo\"; read a <&3; read b <&3; exit 7; "
      "fi; trap 'echo term > \"$DIR/term.$LOCAL_RANK\"; exit 143' TERM; echo up > \"$DIR/fifo\"; "
      "while :; do sleep 1000 & wait $!; done";
  ASSERT_EQ(Run({"--nproc_per_node", "3", "--no_python", "/bin/sh", "-c", script}), 7) << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/term.0"), "term\n");
  EXPECT_EQ(ReadFile(dir_ + "/term.2"), "term\n");
  std::string err = Stderr();
  EXPECT_NE(err.find("/bin/sh FAILED"), std::string::npos) << err;
  EXPECT_NE(err.find("<NO_OTHER_FAILURES>"), std::string::npos) << err;
  EXPECT_NE(err.find("rank      : 1 (local_rank: 1)"), std::string::npos) << err;
  EXPECT_NE(err.find("exitcode  : 7"), std::string::npos) << err;
}

TEST_F(TorchrunBinary, RankKilledBySignal) {
  ASSERT_EQ(
      Run({"--nnodes", "2", "--node_rank", "1", "--no_python", "/bin/sh", "-c", "kill -KILL $$"}),
      128 + SIGKILL)
      << Stderr();
  std::string err = Stderr();
  EXPECT_NE(err.find("rank      : 1 (local_rank: 0)"), std::string::npos) << err;
  EXPECT_NE(err.find("exitcode  : -9"), std::string::npos) << err;
  EXPECT_NE(err.find("Signal 9 (SIGKILL)"), std::string::npos) << err;
}

TEST_F(TorchrunBinary, ForwardsSigtermToEveryRank) {
  const char* script =
      "trap 'echo term > \"$DIR/term.$LOCAL_RANK\"; exit 0' TERM; echo up > \"$DIR/fifo\"; "
      "while :; do sleep 1000 & wait $!; done";
  pid_t pid = Start({"--nproc_per_node", "2", "--no_python", "/bin/sh", "-c", script});
  ASSERT_TRUE(WaitForLines(2));
  kill(pid, SIGTERM);
  EXPECT_EQ(Wait(pid), 143) << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/term.0"), "term\n");
  EXPECT_EQ(ReadFile(dir_ + "/term.1"), "term\n");
  EXPECT_NE(Stderr().find("received SIGTERM"), std::string::npos);
}

TEST_F(TorchrunBinary, WhatAWorkerLeavesBehindIsKilled) {
  // The background sleep inherits the write end of a pipe: EOF means it is gone.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = Start(
      {"--no_python", "/bin/sh", "-c", "sleep 1000 >&" + std::to_string(fds[1]) + " & exit 0"});
  close(fds[1]);
  EXPECT_EQ(Wait(pid), 0) << Stderr();
  pollfd p{.fd = fds[0], .events = POLLIN, .revents = 0};
  ASSERT_EQ(poll(&p, 1, 60000), 1) << "the worker's background process survived it";
  char c;
  EXPECT_EQ(read(fds[0], &c, 1), 0);
  close(fds[0]);
}

TEST_F(TorchrunBinary, MaxRestartsRestartsTheGroup) {
  const char* script =
      "echo $TORCHELASTIC_RESTART_COUNT/$TORCHELASTIC_MAX_RESTARTS >> \"$DIR/runs.$LOCAL_RANK\"; "
      "if [ \"$LOCAL_RANK\" = 1 ] && [ \"$TORCHELASTIC_RESTART_COUNT\" = 0 ]; then exit 3; fi";
  ASSERT_EQ(
      Run({"--max_restarts", "2", "--nproc_per_node", "2", "--no_python", "sh", "-c", script}), 0)
      << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/runs.1"), "0/2\n1/2\n");
  EXPECT_NE(Stderr().find("will restart worker group"), std::string::npos);
  // Out of restarts: the last failure's code.
  ASSERT_EQ(Run({"--max_restarts", "1", "--no_python", "sh", "-c", "exit 5"}), 5);
}

TEST_F(TorchrunBinary, UsageAndMissingProgramErrors) {
  EXPECT_EQ(Run({"--nproc_per_node", "lots", "x.py"}), 2);
  std::string err = Stderr();
  EXPECT_EQ(err.rfind("usage: skiff-torchrun", 0), 0u) << err;
  EXPECT_NE(err.find("skiff-torchrun: error: argument --nproc_per_node"), std::string::npos);
  EXPECT_EQ(Run({"--bogus", "x.py"}), 2);
  EXPECT_NE(Stderr().find("unrecognized arguments: --bogus"), std::string::npos);
  EXPECT_EQ(Run({"/nonexistent/train.py"}), 2);
  EXPECT_NE(Stderr().find("training script /nonexistent/train.py"), std::string::npos);
  EXPECT_EQ(Run({"--no_python", "no-such-program-skiff"}), 2);
  EXPECT_NE(Stderr().find("not found on PATH"), std::string::npos);
  EXPECT_EQ(Run({"--help"}), 0);
}

TEST_F(TorchrunBinary, GlooAllReduceAcrossTwoRanks) {
  if (std::system("/usr/bin/python3 -c 'import torch.distributed' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  }
  std::string script = dir_ + "/allreduce.py";
  std::ofstream(script) << "import os, sys, torch, torch.distributed as dist\n"
                           "dist.init_process_group('gloo')\n"
                           "r = dist.get_rank()\n"
                           "t = torch.tensor([float(r + 1)])\n"
                           "dist.all_reduce(t)\n"
                           "with open(os.path.join(sys.argv[1], f'out.{r}'), 'w') as f:\n"
                           "    f.write(f'{r} {dist.get_world_size()} {int(t.item())}')\n"
                           "dist.destroy_process_group()\n";
  ASSERT_EQ(Run({"--standalone", "--nproc-per-node=2", script, dir_}), 0) << Stderr();
  EXPECT_EQ(ReadFile(dir_ + "/out.0"), "0 2 3");
  EXPECT_EQ(ReadFile(dir_ + "/out.1"), "1 2 3");
}

TEST(FailureReport, TorchrunLayout) {
  std::vector<WorkerFailure> failures = {
      {.local_rank = 1, .rank = 3, .pid = 10, .exit_code = 2, .time = "T1"},
      {.local_rank = 0, .rank = 2, .pid = 11, .signal = SIGSEGV, .time = "T2"}};
  std::string r = FailureReport("train.py", "host1", failures);
  EXPECT_EQ(r.rfind(std::string(60, '=') + "\ntrain.py FAILED\n", 0), 0u) << r;
  size_t other = r.find(
      "Failures:\n[1]:\n  time      : T2\n  host      : host1\n  rank      : 2 "
      "(local_rank: 0)\n  exitcode  : -11 (pid: 11)");
  size_t root = r.find("Root Cause (first observed failure):\n[0]:\n  time      : T1");
  EXPECT_NE(other, std::string::npos) << r;
  EXPECT_NE(root, std::string::npos) << r;
  EXPECT_NE(r.find("Signal 11 (SIGSEGV) received by PID 11"), std::string::npos) << r;
  EXPECT_NE(r.find("exitcode  : 2 (pid: 10)"), std::string::npos) << r;
}

TEST(ResolveProgram, ChecksBeforeSpawning) {
  LaunchPlan plan{.argv = {"sh", "-c", "true"}, .no_python = true, .script = "sh"};
  auto p = ResolveProgram(plan, "/nonexistent:/bin");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "/bin/sh");
  EXPECT_FALSE(ResolveProgram(plan, "/nonexistent").ok());
  plan = LaunchPlan{.argv = {"/bin/sh", "/nonexistent.py"}, .script = "/nonexistent.py"};
  EXPECT_EQ(ResolveProgram(plan, "").status().code(), StatusCode::kNotFound);
  plan.argv = {"/bin/sh", "-m", "some.module"};
  plan.script = "some.module";
  EXPECT_TRUE(ResolveProgram(plan, "").ok());
}

}  // namespace
}  // namespace skiff::launcher
