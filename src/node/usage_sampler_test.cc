// Usage sampling: sliding-window CPU rates, publishing and forgetting pods, and reading cgroup
// files (a fake cgroup tree in a temp dir). Time comes from a FakeClock.
#include "node/usage_sampler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/resource_usage.h"
#include "node/cgroups.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RateWindowTest, RateOverTheWindow) {
  RateWindow w(seconds(3));
  auto t0 = std::chrono::steady_clock::time_point(seconds(100));
  EXPECT_EQ(w.RatePerSecond(), -1);
  w.Add(t0, 0);
  EXPECT_EQ(w.RatePerSecond(), -1);
  // Half a core for 1 s.
  w.Add(t0 + seconds(1), 500000000);
  EXPECT_EQ(w.RatePerSecond(), 500000000);
  EXPECT_EQ(w.Span(), seconds(1));
  // Then two cores for 4 s: the 3 s window forgets the early half-core second.
  for (int i = 2; i <= 5; ++i) w.Add(t0 + seconds(i), 500000000 + uint64_t(i - 1) * 2000000000);
  EXPECT_EQ(w.Span(), seconds(3));
  EXPECT_EQ(w.RatePerSecond(), 2000000000);
  // A counter that went backwards (recreated cgroup) starts over.
  w.Add(t0 + seconds(6), 10);
  EXPECT_EQ(w.RatePerSecond(), -1);
}

class FakeReader final : public UsageReader {
 public:
  std::map<std::string, uint64_t> cpu;  // "<uid>/<container>"
  std::map<std::string, int64_t> mem;
  uint64_t node_cpu = 0;
  StatusOr<uint64_t> CpuUsageNs(const std::string& uid, const std::string& c) override {
    auto it = cpu.find(uid + "/" + c);
    if (it == cpu.end()) return NotFound("no cgroup");
    return it->second;
  }
  StatusOr<int64_t> MemoryWorkingSetBytes(const std::string& uid, const std::string& c) override {
    auto it = mem.find(uid + "/" + c);
    if (it == mem.end()) return NotFound("no cgroup");
    return it->second;
  }
  StatusOr<uint64_t> NodeCpuUsageNs() override { return node_cpu; }
  StatusOr<int64_t> NodeMemoryWorkingSetBytes() override { return 1 << 30; }
};

std::shared_ptr<const Json> RunningPod(const std::string& name, const std::string& uid,
                                       const std::string& phase = "Running") {
  return std::make_shared<const Json>(
      Json{{"metadata", {{"name", name}, {"namespace", "ns"}, {"uid", uid}}},
           {"spec", {{"containers", Json::array({{{"name", "a"}}, {{"name", "b"}}})}}},
           {"status", {{"phase", phase}}}});
}

TEST(UsageSamplerTest, PublishesRatesAndForgetsPodsThatStop) {
  usage::ResetUsageForTest();
  FakeClock clock;
  auto reader = std::make_unique<FakeReader>();
  FakeReader* r = reader.get();
  std::vector<std::shared_ptr<const Json>> pods = {RunningPod("p", "u1"),
                                                   RunningPod("q", "u2", "Pending")};
  UsageSampler sampler(
      {.node_name = "n", .interval = seconds(1), .window = seconds(5)}, std::move(reader),
      [&] { return pods; }, &clock);
  r->cpu = {{"u1/a", 1000}, {"u1/b", 0}};
  r->mem = {{"u1/a", 4096}, {"u1/b", 8192}};
  sampler.SampleOnce();
  auto u = usage::FindPodUsage("ns", "p");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->uid, "u1");
  EXPECT_FALSE(u->HasRates());                               // one sample: no rate yet
  EXPECT_FALSE(usage::FindPodUsage("ns", "q").has_value());  // not running

  clock.Advance(seconds(2));
  r->cpu = {{"u1/a", 1000 + 2000000000}, {"u1/b", 500000000}};
  r->node_cpu = 4000000000;
  sampler.SampleOnce();
  u = usage::FindPodUsage("ns", "p");
  ASSERT_TRUE(u.has_value());
  ASSERT_TRUE(u->HasRates());
  ASSERT_EQ(u->containers.size(), 2u);
  EXPECT_EQ(u->containers[0].name, "a");
  EXPECT_EQ(u->containers[0].cpu_nano_cores, 1000000000);  // one core
  EXPECT_EQ(u->containers[1].cpu_nano_cores, 250000000);
  EXPECT_EQ(u->containers[1].memory_working_set_bytes, 8192);
  EXPECT_EQ(u->window, seconds(2));
  EXPECT_EQ(u->timestamp, clock.Now());
  auto nodes = usage::NodeUsages();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].cpu_nano_cores, 2000000000);

  // A container whose cgroup cannot be read withdraws the pod (no partial sums).
  r->cpu.erase("u1/b");
  clock.Advance(seconds(1));
  sampler.SampleOnce();
  EXPECT_FALSE(usage::FindPodUsage("ns", "p").has_value());

  r->cpu["u1/b"] = 600000000;
  sampler.SampleOnce();
  EXPECT_TRUE(usage::FindPodUsage("ns", "p").has_value());
  pods.clear();  // deleted
  clock.Advance(seconds(1));
  sampler.SampleOnce();
  EXPECT_TRUE(usage::PodUsages().empty());
  usage::ResetUsageForTest();
}

TEST(UsageSamplerTest, StartAndStopWithdrawEverything) {
  usage::ResetUsageForTest();
  FakeClock clock;
  auto reader = std::make_unique<FakeReader>();
  reader->cpu = {{"u1/a", 1}, {"u1/b", 1}};
  reader->mem = {{"u1/a", 1}, {"u1/b", 1}};
  std::vector<std::shared_ptr<const Json>> pods = {RunningPod("p", "u1")};
  UsageSampler sampler(
      {.node_name = "n", .interval = seconds(3600)}, std::move(reader), [&] { return pods; },
      &clock);
  sampler.Start();  // samples once at once, then waits an hour
  bool seen = false;
  for (int i = 0; i < 2000 && !seen; ++i) {
    seen = usage::FindPodUsage("ns", "p").has_value();
    if (!seen) usleep(5000);  // bounded wait for the sampler thread's first pass
  }
  EXPECT_TRUE(seen);
  sampler.Stop();
  EXPECT_TRUE(usage::PodUsages().empty());
  EXPECT_TRUE(usage::NodeUsages().empty());
}

class CgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("skiff-cgroups-" + std::to_string(getpid()));
    for (const char* c : {"memory", "cpu", "cpuacct"}) fs::create_directories(root_ / c);
    Write(root_ / "memory" / "cgroup.procs", "");
    Write(root_ / "cpu" / "cgroup.procs", "");
    Write(root_ / "cpuacct" / "cpuacct.usage", "0");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST_F(CgroupsTest, SeparateCpuacctHierarchyIsJoinedAndRead) {
  Cgroups cg(root_.string());
  auto procs = cg.CreateContainer("u1", "app", 0, 0, 500);
  ASSERT_TRUE(procs.ok()) << procs.status().ToString();
  ASSERT_EQ(procs->size(), 3u);  // memory, cpu and the separately mounted cpuacct
  EXPECT_EQ((*procs)[2], (root_ / "cpuacct/skiff/podu1/app/cgroup.procs").string());
  fs::path acct = root_ / "cpuacct/skiff/podu1/app";
  Write(acct / "cpuacct.usage", "123456789\n");
  auto cpu = cg.CpuUsageNs("u1", "app");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(*cpu, 123456789u);
  fs::path mem = root_ / "memory/skiff/podu1/app";
  Write(mem / "memory.usage_in_bytes", "10000\n");
  Write(mem / "memory.stat", "cache 500\nrss 9000\ntotal_inactive_file 1500\n");
  auto ws = cg.MemoryWorkingSetBytes("u1", "app");
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(*ws, 8500);
  EXPECT_EQ(cg.CpuUsageNs("u1", "other").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cg.MemoryWorkingSetBytes("u2", "app").status().code(), StatusCode::kNotFound);
  // The reader the sampler uses reads the same files.
  auto reader = NewCgroupUsageReader(cg);
  EXPECT_EQ(*reader->CpuUsageNs("u1", "app"), 123456789u);
}

TEST_F(CgroupsTest, CoMountedCpuacctIsNotJoinedTwice) {
  fs::remove_all(root_ / "cpuacct");
  fs::create_directory_symlink(root_ / "cpu", root_ / "cpuacct");
  Write(root_ / "cpu" / "cpuacct.usage", "0");  // cpu,cpuacct mounted together
  Cgroups cg(root_.string());
  auto procs = cg.CreateContainer("u1", "app", 0, 0, 0);
  ASSERT_TRUE(procs.ok());
  EXPECT_EQ(procs->size(), 2u);
  Write(root_ / "cpu/skiff/podu1/app/cpuacct.usage", "42");
  auto cpu = cg.CpuUsageNs("u1", "app");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(*cpu, 42u);
}

}  // namespace
}  // namespace skiff::node
