// Cgroups over the v1 memory and cpu hierarchies.
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
  for (const char* c : {"memory", "cpu"}) {
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

Status Cgroups::RemovePod(const std::string& pod_uid) const {
  for (const char* c : {"memory", "cpu"}) {
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
