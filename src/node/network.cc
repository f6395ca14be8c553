// PodNetwork: bridge, netns, veth and host-wide IPAM via iproute2.
#include "node/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "node/launcher.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kIpTimeout(10);

Status Ip(const std::vector<std::string>& args, bool tolerate_exists = false) {
  std::vector<std::string> argv = {"/usr/sbin/ip"};
  if (access(argv[0].c_str(), X_OK) != 0) argv[0] = "/sbin/ip";
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv, {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}}, kIpTimeout);
  if (!r.ok()) return r.status();
  if (r->exit_code == 0) return Status();
  if (tolerate_exists && (r->output.find("File exists") != std::string::npos ||
                          r->output.find("already assigned") != std::string::npos)) {
    return Status();
  }
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  return Internal("ip" + cmd + ": " + r->output);
}

std::string VethName(const std::string& uid) {
  std::string hex;
  for (char c : uid) {
    if (c != '-') hex.push_back(c);
  }
  return "vsk" + hex.substr(0, 11);
}

}  // namespace

std::string PodNetwork::NetnsName(const std::string& pod_uid) { return "skiff-" + pod_uid; }
std::string PodNetwork::NetnsPath(const std::string& pod_uid) {
  return "/run/netns/" + NetnsName(pod_uid);
}

Status PodNetwork::EnsureBridge() {
  std::error_code ec;
  if (!fs::exists("/sys/class/net/" + options_.bridge, ec)) {
    SKIFF_RETURN_IF_ERROR(Ip({"link", "add", options_.bridge, "type", "bridge"}, true));
  }
  SKIFF_RETURN_IF_ERROR(
      Ip({"addr", "add", options_.gateway + "/" + std::to_string(options_.prefix_length), "dev",
          options_.bridge},
         true));
  return Ip({"link", "set", options_.bridge, "up"});
}

std::string PodNetwork::FindAllocation(const std::string& owner) const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.ipam_dir, ec)) {
    std::ifstream in(e.path());
    std::string who;
    std::getline(in, who);
    if (who == owner) return e.path().filename().string();
  }
  return "";
}

StatusOr<std::string> PodNetwork::Allocate(const std::string& owner) {
  std::error_code ec;
  fs::create_directories(options_.ipam_dir, ec);
  if (std::string ip = FindAllocation(owner); !ip.empty()) return ip;
  in_addr gw{};
  if (inet_pton(AF_INET, options_.gateway.c_str(), &gw) != 1) {
    return InvalidArgument("bad gateway " + options_.gateway);
  }
  uint32_t base = ntohl(gw.s_addr);
  uint32_t size = 1u << (32 - options_.prefix_length);
  uint32_t network = base & ~(size - 1);
  // Start from a point derived from the owner so concurrent agents rarely race for one file.
  uint32_t start = static_cast<uint32_t>(std::hash<std::string>{}(owner) % (size - 2));
  for (uint32_t i = 0; i < size; ++i) {
    uint32_t host = (start + i) % size;
    uint32_t addr = network + host;
    if (host == 0 || host == size - 1 || addr == base) continue;
    in_addr a{htonl(addr)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof(text));
    std::string path = options_.ipam_dir + "/" + text;
    for (int attempt = 0; attempt < 2; ++attempt) {
      int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        std::string line = owner + "\n";
        ssize_t w = write(fd, line.data(), line.size());
        (void)w;
        close(fd);
        return std::string(text);
      }
      // A stale entry: its netns is gone and it is old enough not to be mid-setup.
      std::ifstream in(path);
      std::string who;
      std::getline(in, who);
      struct stat st;
      bool old = stat(path.c_str(), &st) == 0 && time(nullptr) - st.st_mtime > 60;
      if (attempt == 0 && old && !who.empty() && !fs::exists("/run/netns/" + who, ec)) {
        unlink(path.c_str());
        continue;
      }
      break;
    }
  }
  return ResourceExhausted("no free pod address in " + options_.gateway + "/" +
                           std::to_string(options_.prefix_length));
}

void PodNetwork::Release(const std::string& owner) {
  if (std::string ip = FindAllocation(owner); !ip.empty()) {
    unlink((options_.ipam_dir + "/" + ip).c_str());
  }
}

StatusOr<std::string> PodNetwork::Setup(const std::string& pod_uid) {
  std::string ns = NetnsName(pod_uid), veth = VethName(pod_uid);
  std::error_code ec;
  std::string existing = FindAllocation(ns);
  if (!existing.empty() && fs::exists(NetnsPath(pod_uid), ec)) {
    // Complete when eth0 carries the address (a crash mid-setup leaves it without).
    auto r = RunCommand({"/usr/sbin/ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"}, {},
                        kIpTimeout);
    if (r.ok() && r->exit_code == 0 && r->output.find(" " + existing + "/") != std::string::npos) {
      return existing;
    }
  }
  // Start over from a clean slate.
  (void)Ip({"netns", "del", ns});
  (void)Ip({"link", "del", veth});
  SKIFF_ASSIGN_OR_RETURN(std::string ip, Allocate(ns));
  std::string cidr = ip + "/" + std::to_string(options_.prefix_length);
  Status s = Ip({"netns", "add", ns});
  if (s.ok()) s = Ip({"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns});
  if (s.ok()) s = Ip({"link", "set", veth, "master", options_.bridge, "up"});
  if (s.ok()) s = Ip({"-n", ns, "addr", "add", cidr, "dev", "eth0"}, true);
  if (s.ok()) s = Ip({"-n", ns, "link", "set", "eth0", "up"});
  if (s.ok()) s = Ip({"-n", ns, "link", "set", "lo", "up"});
  if (s.ok()) s = Ip({"-n", ns, "route", "add", "default", "via", options_.gateway}, true);
  if (!s.ok()) {
    (void)Teardown(pod_uid);
    return s.WithContext("pod network");
  }
  return ip;
}

Status PodNetwork::Teardown(const std::string& pod_uid) {
  std::string ns = NetnsName(pod_uid);
  std::error_code ec;
  if (fs::exists(NetnsPath(pod_uid), ec)) SKIFF_RETURN_IF_ERROR(Ip({"netns", "del", ns}));
  if (fs::exists("/sys/class/net/" + VethName(pod_uid), ec)) {
    (void)Ip({"link", "del", VethName(pod_uid)});
  }
  Release(ns);
  return Status();
}

}  // namespace skiff::node
