// UsageSampler: cgroup and /proc readers, sliding-window rates, and the sampling thread.
#include "node/usage_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/resource_usage.h"
#include "controllers/runtime/json_fields.h"
#include "node/cgroups.h"

namespace skiff::node {
namespace {

using controllers::Field;
using controllers::StringField;

class CgroupReader final : public UsageReader {
 public:
  explicit CgroupReader(const Cgroups& cgroups) : cgroups_(cgroups) {}
  StatusOr<uint64_t> CpuUsageNs(const std::string& uid, const std::string& c) override {
    return cgroups_.CpuUsageNs(uid, c);
  }
  StatusOr<int64_t> MemoryWorkingSetBytes(const std::string& uid, const std::string& c) override {
    return cgroups_.MemoryWorkingSetBytes(uid, c);
  }
  StatusOr<uint64_t> NodeCpuUsageNs() override;
  StatusOr<int64_t> NodeMemoryWorkingSetBytes() override;

 private:
  const Cgroups& cgroups_;
};

uint64_t TicksToNs(uint64_t ticks) {
  static const long hz = std::max(1L, sysconf(_SC_CLK_TCK));
  return ticks * (1000000000ULL / static_cast<uint64_t>(hz));
}

StatusOr<uint64_t> ReadNodeCpuNs() {
  std::ifstream in("/proc/stat");
  std::string label;
  if (!(in >> label) || label != "cpu") return Unavailable("cannot read /proc/stat");
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  uint64_t v[8] = {};
  for (auto& x : v) {
    if (!(in >> x)) break;
  }
  return TicksToNs(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

StatusOr<int64_t> ReadNodeMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t value = 0, total = -1, available = -1;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:") total = value * 1024;
    if (key == "MemAvailable:") available = value * 1024;
  }
  if (total < 0 || available < 0) return Unavailable("cannot read /proc/meminfo");
  return std::max<int64_t>(0, total - available);
}

StatusOr<uint64_t> CgroupReader::NodeCpuUsageNs() { return ReadNodeCpuNs(); }
StatusOr<int64_t> CgroupReader::NodeMemoryWorkingSetBytes() { return ReadNodeMemoryBytes(); }

// Without cgroups a container is its main process: its own CPU time plus that of children it
// has reaped. Children still running are not counted (documented in docs/autoscaling.md).
class ProcReader final : public UsageReader {
 public:
  explicit ProcReader(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  StatusOr<uint64_t> CpuUsageNs(const std::string& uid, const std::string& c) override {
    SKIFF_ASSIGN_OR_RETURN(pid_t pid, Pid(uid, c));
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) return NotFound("process gone");
    std::istringstream fields(text.substr(paren + 1));
    std::vector<std::string> f;
    for (std::string t; fields >> t;) f.push_back(t);
    if (f.size() < 15) return NotFound("short /proc stat");
    uint64_t ticks = 0;
    for (int i : {11, 12, 13, 14}) ticks += std::strtoull(f[i].c_str(), nullptr, 10);
    return TicksToNs(ticks);
  }
  StatusOr<int64_t> MemoryWorkingSetBytes(const std::string& uid, const std::string& c) override {
    SKIFF_ASSIGN_OR_RETURN(pid_t pid, Pid(uid, c));
    std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
    int64_t size = 0, resident = 0;
    if (!(in >> size >> resident)) return NotFound("process gone");
    return resident * sysconf(_SC_PAGESIZE);
  }
  StatusOr<uint64_t> NodeCpuUsageNs() override { return ReadNodeCpuNs(); }
  StatusOr<int64_t> NodeMemoryWorkingSetBytes() override { return ReadNodeMemoryBytes(); }

 private:
  StatusOr<pid_t> Pid(const std::string& uid, const std::string& container) {
    std::ifstream in(state_dir_ + "/" + uid + ".json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto state = ParseJson(ss.str());
    if (!state.ok()) return NotFound("no state for pod " + uid);
    for (const Json& c : Field(*state, "containers")) {
      if (StringField(c, "name") == container && Field(c, "pid").is_number_integer()) {
        pid_t pid = c["pid"].get<pid_t>();
        if (pid > 0) return pid;
      }
    }
    return NotFound("container " + container + " not running");
  }

  std::string state_dir_;
};

}  // namespace

void RateWindow::Add(SteadyTime t, uint64_t value) {
  if (!samples_.empty()) {
    if (value < samples_.back().second) {
      samples_.clear();
    } else if (t <= samples_.back().first) {
      return;  // same instant: keep the first reading
    }
  }
  samples_.emplace_back(t, value);
  // Keep exactly one sample at or before the window's start, so the rate spans >= window.
  while (samples_.size() > 2 && samples_[1].first <= t - window_) samples_.pop_front();
}

int64_t RateWindow::RatePerSecond() const {
  if (samples_.size() < 2) return -1;
  auto dt = std::chrono::duration_cast<std::chrono::nanoseconds>(samples_.back().first -
                                                                 samples_.front().first);
  if (dt.count() <= 0) return -1;
  double dv = static_cast<double>(samples_.back().second - samples_.front().second);
  return static_cast<int64_t>(dv * 1e9 / static_cast<double>(dt.count()));
}

std::chrono::nanoseconds RateWindow::Span() const {
  if (samples_.size() < 2) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(samples_.back().first -
                                                              samples_.front().first);
}

std::unique_ptr<UsageReader> NewCgroupUsageReader(const Cgroups& cgroups) {
  return std::make_unique<CgroupReader>(cgroups);
}

std::unique_ptr<UsageReader> NewProcUsageReader(std::string state_dir) {
  return std::make_unique<ProcReader>(std::move(state_dir));
}

std::vector<SampledPod> RunningPods(const std::vector<std::shared_ptr<const Json>>& pods) {
  std::vector<SampledPod> out;
  for (const auto& p : pods) {
    if (!p) continue;
    const Json& meta = Field(*p, "metadata");
    if (StringField(Field(*p, "status"), "phase") != "Running") continue;
    if (!Field(meta, "deletionTimestamp").is_null()) continue;
    SampledPod s{.ns = StringField(meta, "namespace"),
                 .name = StringField(meta, "name"),
                 .uid = StringField(meta, "uid")};
    for (const Json& c : Field(Field(*p, "spec"), "containers")) {
      std::string name = StringField(c, "name");
      if (!name.empty()) s.containers.push_back(name);
    }
    if (!s.uid.empty() && !s.containers.empty()) out.push_back(std::move(s));
  }
  return out;
}

UsageSampler::UsageSampler(UsageSamplerOptions options, std::unique_ptr<UsageReader> reader,
                           PodLister list_pods, const Clock* clock)
    : options_(std::move(options)),
      reader_(std::move(reader)),
      list_pods_(std::move(list_pods)),
      clock_(clock) {}

UsageSampler::~UsageSampler() { Stop(); }

void UsageSampler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  // Its own thread: the supervisor thread must not wait on file reads for sampling, and a
  // fixed-interval timer has no other home in the node agent.
  thread_ = std::thread([this] { Loop(); });
}

void UsageSampler::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard lock(sample_mu_);
  for (const auto& uid : published_) usage::ForgetPod(uid);
  published_.clear();
  windows_.clear();
  usage::ForgetNode(options_.node_name);
}

void UsageSampler::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    SampleOnce();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

void UsageSampler::SampleOnce() {
  std::lock_guard lock(sample_mu_);
  auto steady = clock_->Steady();
  SystemTime now = clock_->Now();
  auto window_of = [this](const std::string& key) -> RateWindow& {
    auto it = windows_.find(key);
    if (it == windows_.end()) it = windows_.emplace(key, RateWindow(options_.window)).first;
    return it->second;
  };
  std::set<std::string> seen;
  std::set<std::string> live_keys = {""};
  for (const SampledPod& pod : RunningPods(list_pods_())) {
    usage::PodUsage u{.ns = pod.ns, .name = pod.name, .uid = pod.uid, .timestamp = now};
    bool complete = true;
    std::chrono::nanoseconds span = std::chrono::nanoseconds::max();
    for (const std::string& c : pod.containers) {
      std::string key = pod.uid + "/" + c;
      live_keys.insert(key);
      auto cpu = reader_->CpuUsageNs(pod.uid, c);
      auto mem = reader_->MemoryWorkingSetBytes(pod.uid, c);
      if (!cpu.ok() || !mem.ok()) {
        complete = false;
        continue;
      }
      RateWindow& w = window_of(key);
      w.Add(steady, *cpu);
      span = std::min(span, w.Span());
      u.containers.push_back({.name = c,
                              .cpu_usage_ns = *cpu,
                              .cpu_nano_cores = w.RatePerSecond(),
                              .memory_working_set_bytes = *mem});
    }
    // metrics-server drops a pod when any container lacks metrics: a partial sum would read
    // as low usage.
    if (!complete) continue;
    u.window = std::chrono::duration_cast<std::chrono::milliseconds>(span);
    seen.insert(pod.uid);
    usage::PublishPodUsage(std::move(u));
  }
  for (const auto& uid : published_) {
    if (!seen.count(uid)) usage::ForgetPod(uid);
  }
  published_ = std::move(seen);
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = live_keys.count(it->first) ? std::next(it) : windows_.erase(it);
  }
  auto node_cpu = reader_->NodeCpuUsageNs();
  auto node_mem = reader_->NodeMemoryWorkingSetBytes();
  if (node_cpu.ok() && node_mem.ok()) {
    RateWindow& w = window_of("");
    w.Add(steady, *node_cpu);
    usage::PublishNodeUsage(
        {.name = options_.node_name,
         .timestamp = now,
         .window = std::chrono::duration_cast<std::chrono::milliseconds>(w.Span()),
         .cpu_usage_ns = *node_cpu,
         .cpu_nano_cores = w.RatePerSecond(),
         .memory_working_set_bytes = *node_mem});
  }
}

}  // namespace skiff::node
