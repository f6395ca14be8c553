// Tests for the process launcher and its exit-status shim (real processes, no sandbox).
#include "node/launcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/time.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("skiff-launcher-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int Wait(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }
  fs::path dir_;
};

TEST_F(LauncherTest, RunsProgramRecordsExitAndLogs) {
  LaunchSpec spec{.argv = {"/bin/sh", "-c", "echo out $GREETING; echo err >&2; pwd; exit 3"},
                  .env = {{"GREETING", "hello"}},
                  .working_dir = dir_.string(),
                  .log_path = (dir_ / "c.log").string(),
                  .exit_file = (dir_ / "c.exit").string()};
  auto l = Launch(spec);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_GT(l->start_ticks, 0u);
  int status = Wait(l->pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  auto exit = ReadExitFile(spec.exit_file);
  ASSERT_TRUE(exit.has_value());
  EXPECT_FALSE(exit->signaled);
  EXPECT_EQ(exit->code, 3);
  // CRI lines: "<RFC 3339 nano time> <stream> F <text>"; the two streams are separate pipes,
  // so only each stream's own order is fixed.
  std::istringstream log(Read("c.log"));
  std::string line;
  std::vector<std::string> out, err;
  while (std::getline(log, line)) {
    ASSERT_GE(line.size(), 40u) << line;
    EXPECT_EQ(line[29], 'Z') << line;
    EXPECT_TRUE(ParseRfc3339(line.substr(0, 30)).ok()) << line;
    std::string rest = line.substr(31);
    if (rest.rfind("stdout F ", 0) == 0) out.push_back(rest.substr(9));
    if (rest.rfind("stderr F ", 0) == 0) err.push_back(rest.substr(9));
  }
  EXPECT_EQ(out, (std::vector<std::string>{"out hello", dir_.string()}));
  EXPECT_EQ(err, (std::vector<std::string>{"err"}));
  EXPECT_FALSE(ProcessAlive(l->pid, l->start_ticks));
}

TEST_F(LauncherTest, SignalToGroupKillsProgramButShimRecordsIt) {
  // The program ignores nothing; its own child sleeps too: the whole group must go.
  LaunchSpec spec{.argv = {"/bin/sh", "-c", "sleep 300 & echo started; wait"},
                  .log_path = (dir_ / "c.log").string(),
                  .exit_file = (dir_ / "c.exit").string()};
  auto l = Launch(spec);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_TRUE(ProcessAlive(l->pid, l->start_ticks));
  EXPECT_EQ(getpgid(l->pid), l->pid);  // setsid: its own group
  ASSERT_EQ(kill(-l->pid, SIGTERM), 0);
  Wait(l->pid);
  auto exit = ReadExitFile(spec.exit_file);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->code, SIGTERM);
  // No process of the group survives (the sleep got SIGTERM too). It may still be exiting, and
  // an orphan is reaped by init: the deadline only bounds a failure.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (kill(-l->pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) usleep(10000);
  EXPECT_NE(kill(-l->pid, 0), 0);
}

TEST_F(LauncherTest, LongLinesAreSplitIntoPartials) {
  LaunchSpec spec{.argv = {"/usr/bin/python3", "-c", "import sys; sys.stdout.write('x' * 20000)"},
                  .log_path = (dir_ / "c.log").string(),
                  .exit_file = (dir_ / "c.exit").string()};
  auto l = Launch(spec);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  Wait(l->pid);
  std::istringstream log(Read("c.log"));
  std::string first, second;
  ASSERT_TRUE(std::getline(log, first));
  ASSERT_TRUE(std::getline(log, second));
  EXPECT_EQ(first.substr(31, 9), "stdout P ");
  EXPECT_EQ(first.size() - 40, 16384u);
  EXPECT_EQ(second.substr(31, 9), "stdout F ");  // the rest, flushed at exit
  EXPECT_EQ(second.size() - 40, 20000u - 16384u);
}

TEST_F(LauncherTest, ExecFailureIsAnError) {
  LaunchSpec spec{.argv = {"/nonexistent/program"},
                  .log_path = (dir_ / "c.log").string(),
                  .exit_file = (dir_ / "c.exit").string()};
  auto l = Launch(spec);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("exec /nonexistent/program"), std::string::npos)
      << l.status().message();
  spec.argv = {"/bin/true"};
  spec.working_dir = "/nonexistent-dir";
  l = Launch(spec);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("working directory"), std::string::npos);
}

TEST_F(LauncherTest, RunCommandCapturesOutputAndTimesOut) {
  auto r = RunCommand({"sh", "-c", "echo hi; exit 4"}, {}, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->output, "hi\n");
  r = RunCommand({"/bin/sleep", "30"}, {}, std::chrono::milliseconds(200));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, -1);
}

}  // namespace
}  // namespace skiff::node
