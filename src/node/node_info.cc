// Host capacity discovery and the Node object.
#include "node/node_info.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "base/time.h"
#include "node/launcher.h"

namespace skiff::node {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

}  // namespace

HostResources DetectHost() {
  HostResources h;
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0
                 ? CPU_COUNT(&set)
                 : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  h.cpu_milli = static_cast<int64_t>(std::max(1, cpus)) * 1000;
  std::ifstream mem("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (mem >> key >> kb >> unit) {
    if (key == "MemTotal:") {
      h.memory_bytes = kb * 1024;
      break;
    }
  }
  for (const char* smi : {"/usr/bin/nvidia-smi", "/usr/local/bin/nvidia-smi"}) {
    if (access(smi, X_OK) != 0) continue;
    auto r = RunCommand({smi, "-L"}, {}, std::chrono::seconds(10));
    if (r.ok() && r->exit_code == 0) {
      size_t pos = 0;
      while ((pos = r->output.find("GPU ", pos)) != std::string::npos) {
        if (pos == 0 || r->output[pos - 1] == '\n') ++h.real_gpus;
        pos += 4;
      }
    }
    break;
  }
  return h;
}

StatusOr<Json> BuildNodeObject(const NodeObjectInput& in) {
  Json capacity = {{"cpu", api::Quantity::FromMilli(in.host.cpu_milli).ToString()},
                   {"memory", api::Quantity::FromValue(in.host.memory_bytes / 1024 * 1024,
                                                       api::QuantityFormat::kBinarySI)
                                  .ToString()},
                   {"pods", std::to_string(in.max_pods)},
                   {"ephemeral-storage", "100Gi"},
                   {"hugepages-2Mi", "0"}};
  int gpus = in.host.real_gpus + in.simulated_gpus;
  if (gpus > 0) capacity["nvidia.com/gpu"] = std::to_string(gpus);
  for (const auto& [name, qty] : in.extra_capacity) {
    auto q = api::ParseQuantity(qty);
    if (!q.ok())
      return InvalidArgument("--capacity " + name + "=" + qty + ": " + q.status().message());
    capacity[name] = q->ToString();
  }
  utsname u{};
  uname(&u);
  std::string now = FormatRfc3339(std::chrono::system_clock::now());
  auto cond = [&](const char* type, const char* status, const char* reason, const char* message) {
    return Json{{"type", type},       {"status", status},         {"reason", reason},
                {"message", message}, {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
  };
  Json labels = {{"kubernetes.io/hostname", in.name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", "amd64"},
                 {"beta.kubernetes.io/os", "linux"},
                 {"beta.kubernetes.io/arch", "amd64"}};
  Json annotations = Json::object();
  if (in.simulated_gpus > 0) {
    annotations["skiff.dev/simulated-gpus"] = std::to_string(in.simulated_gpus);
    labels["skiff.dev/simulated-gpus"] = "true";
  }
  annotations["skiff.dev/sandbox"] = in.sandbox ? "netns" : "none";
  std::string hostname = ReadFirstLine("/proc/sys/kernel/hostname");
  Json node = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", in.name}, {"labels", labels}, {"annotations", annotations}}},
      {"spec", Json::object()},
      {"status",
       {{"capacity", capacity},
        {"allocatable", capacity},
        {"conditions",
         {cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
               "kubelet has sufficient memory available"),
          cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          cond("PIDPressure", "False", "KubeletHasSufficientPID",
               "kubelet has sufficient PID available"),
          cond("Ready", "True", "KubeletReady", "skiff node agent is posting ready status")}},
        {"addresses",
         {{{"type", "InternalIP"}, {"address", in.internal_ip}},
          {{"type", "Hostname"}, {"address", hostname.empty() ? in.name : hostname}}}},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 0}}}}},
        {"nodeInfo",
         {{"machineID", ReadFirstLine("/etc/machine-id")},
          {"systemUUID", ReadFirstLine("/etc/machine-id")},
          {"bootID", ReadFirstLine("/proc/sys/kernel/random/boot_id")},
          {"kernelVersion", u.release},
          {"osImage", OsImage()},
          {"containerRuntimeVersion", "skiff://local-process"},
          {"kubeletVersion", "v1.32.0-skiff"},
          {"kubeProxyVersion", "v1.32.0-skiff"},
          {"operatingSystem", "linux"},
          {"architecture", "amd64"}}}}}};
  return node;
}

}  // namespace skiff::node
