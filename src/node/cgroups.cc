// Cgroups over the v1 memory, cpu and cpuacct hierarchies.
#include "node/cgroups.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

Status WriteFile(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value << std::flush;
  if (!f) return Internal("write " + value + " to " + path + " failed");
  return Status();
}

}  // namespace

std::string Cgroups::Dir(const std::string& controller, const std::string& pod_uid,
                         const std::string& container) const {
  std::string d = root_ + "/" + controller + "/" + parent_ + "/pod" + pod_uid;
  return container.empty() ? d : d + "/" + container;
}

std::vector<std::string> Cgroups::Controllers() const {
  std::vector<std::string> out = {"memory", "cpu"};
  // Usually cpuacct is co-mounted with cpu (cpu,cpuacct with two symlinks); some hosts mount it
  // on its own, and then a container must join it too or its CPU time is not accounted.
  std::error_code ec;
  std::string cpuacct = root_ + "/cpuacct";
  if (fs::exists(cpuacct + "/cpuacct.usage", ec) && !fs::equivalent(root_ + "/cpu", cpuacct, ec)) {
    out.push_back("cpuacct");
  }
  return out;
}

bool Cgroups::Available() const {
  std::error_code ec;
  for (const char* c : {"memory", "cpu"}) {
    std::string base = root_ + "/" + c;
    if (!fs::exists(base + "/cgroup.procs", ec)) return false;
    fs::create_directories(base + "/" + parent_, ec);
    if (ec || access((base + "/" + parent_ + "/cgroup.procs").c_str(), W_OK) != 0) return false;
  }
  return true;
}

StatusOr<std::vector<std::string>> Cgroups::CreateContainer(const std::string& pod_uid,
                                                            const std::string& container,
                                                            int64_t memory_limit_bytes,
                                                            int64_t cpu_limit_milli,
                                                            int64_t cpu_request_milli) const {
  std::vector<std::string> procs;
  for (const std::string& c : Controllers()) {
    std::string d = Dir(c, pod_uid, container);
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return Internal("create cgroup " + d + ": " + ec.message());
    procs.push_back(d + "/cgroup.procs");
  }
  std::string mem = Dir("memory", pod_uid, container);
  if (memory_limit_bytes > 0) {
    SKIFF_RETURN_IF_ERROR(
        WriteFile(mem + "/memory.limit_in_bytes", std::to_string(memory_limit_bytes)));
    // No swap beyond the limit, so exceeding it is an OOM kill (when swap accounting exists).
    std::error_code ec;
    if (fs::exists(mem + "/memory.memsw.limit_in_bytes", ec)) {
      (void)WriteFile(mem + "/memory.memsw.limit_in_bytes", std::to_string(memory_limit_bytes));
    }
  }
  std::string cpu = Dir("cpu", pod_uid, container);
  if (cpu_limit_milli > 0) {
    SKIFF_RETURN_IF_ERROR(WriteFile(cpu + "/cpu.cfs_period_us", "100000"));
    SKIFF_RETURN_IF_ERROR(WriteFile(
        cpu + "/cpu.cfs_quota_us", std::to_string(std::max<int64_t>(1000, cpu_limit_milli * 100))));
  }
  if (cpu_request_milli > 0) {
    (void)WriteFile(cpu + "/cpu.shares",
                    std::to_string(std::max<int64_t>(2, cpu_request_milli * 1024 / 1000)));
  }
  return procs;
}

int64_t Cgroups::OomKills(const std::string& pod_uid, const std::string& container) const {
  std::ifstream in(Dir("memory", pod_uid, container) + "/memory.oom_control");
  std::string key;
  int64_t value;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

std::vector<pid_t> Cgroups::Pids(const std::string& pod_uid, const std::string& container) const {
  std::vector<pid_t> out;
  std::error_code ec;
  std::string d = Dir("memory", pod_uid, container);
  std::vector<std::string> dirs = {d};
  if (container.empty()) {
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (e.is_directory(ec)) dirs.push_back(e.path().string());
    }
  }
  for (const auto& dir : dirs) {
    std::ifstream in(dir + "/cgroup.procs");
    pid_t p;
    while (in >> p) out.push_back(p);
  }
  return out;
}

int Cgroups::Signal(const std::string& pod_uid, const std::string& container, int sig) const {
  int n = 0;
  for (pid_t p : Pids(pod_uid, container)) {
    if (kill(p, sig) == 0) ++n;
  }
  return n;
}

StatusOr<uint64_t> Cgroups::CpuUsageNs(const std::string& pod_uid,
                                       const std::string& container) const {
  std::error_code ec;
  // cpuacct.usage sits in whichever hierarchy carries cpuacct: its own, or the cpu one.
  for (const char* c : {"cpuacct", "cpu"}) {
    std::string path = Dir(c, pod_uid, container) + "/cpuacct.usage";
    if (!fs::exists(path, ec)) continue;
    std::ifstream in(path);
    uint64_t v = 0;
    if (in >> v) return v;
  }
  return NotFound("no cpuacct cgroup for pod" + pod_uid + "/" + container);
}

StatusOr<int64_t> Cgroups::MemoryWorkingSetBytes(const std::string& pod_uid,
                                                 const std::string& container) const {
  std::string d = Dir("memory", pod_uid, container);
  std::ifstream usage_in(d + "/memory.usage_in_bytes");
  int64_t usage = 0;
  if (!(usage_in >> usage)) {
    return NotFound("no memory cgroup for pod" + pod_uid + "/" + container);
  }
  int64_t inactive = 0;
  std::ifstream stat(d + "/memory.stat");
  std::string key;
  int64_t value;
  while (stat >> key >> value) {
    if (key == "total_inactive_file") {
      inactive = value;
      break;
    }
  }
  return std::max<int64_t>(0, usage - inactive);
}

Status Cgroups::RemovePod(const std::string& pod_uid) const {
  for (const std::string& c : Controllers()) {
    std::string d = Dir(c, pod_uid, "");
    std::error_code ec;
    if (!fs::exists(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (e.is_directory(ec) && rmdir(e.path().c_str()) != 0 && errno != ENOENT) {
        return Unavailable("cgroup " + e.path().string() + " still has processes");
      }
    }
    if (rmdir(d.c_str()) != 0 && errno != ENOENT) {
      return Unavailable("cgroup " + d + " still has processes");
    }
  }
  return Status();
}

}  // namespace skiff::node
