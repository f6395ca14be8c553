// PodNetwork: bridge, netns, veth and host-wide IPAM over rtnetlink (node/netlink.h): no child
// processes, so setting up a pod costs a few syscalls instead of seven `ip` runs.
#include "node/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "node/netlink.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

// A kernel AlreadyExists answer means the step was done before (idempotent setup).
Status IgnoreExists(Status s) { return s.code() == StatusCode::kAlreadyExists ? Status() : s; }

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
  SKIFF_ASSIGN_OR_RETURN(Netlink nl, Netlink::Open());
  SKIFF_RETURN_IF_ERROR(IgnoreExists(nl.CreateLink(options_.bridge, "bridge")));
  SKIFF_ASSIGN_OR_RETURN(int index, nl.LinkIndex(options_.bridge));
  SKIFF_RETURN_IF_ERROR(
      IgnoreExists(nl.AddAddress(index, options_.gateway, options_.prefix_length)));
  return nl.SetUp(index);
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
        std::string line = owner + "\n" + options_.owner_tag + "\n";
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

std::vector<PodAllocation> PodNetwork::Allocations() const {
  std::vector<PodAllocation> out;
  std::error_code ec;
  const std::string prefix = NetnsName("");
  for (const auto& e : fs::directory_iterator(options_.ipam_dir, ec)) {
    std::ifstream in(e.path());
    std::string who, tag;
    std::getline(in, who);
    std::getline(in, tag);
    if (who.rfind(prefix, 0) != 0) continue;
    out.push_back({who.substr(prefix.size()), tag});
  }
  return out;
}

void PodNetwork::Release(const std::string& owner) {
  if (std::string ip = FindAllocation(owner); !ip.empty()) {
    unlink((options_.ipam_dir + "/" + ip).c_str());
  }
}

StatusOr<std::string> PodNetwork::Setup(const std::string& pod_uid) {
  std::string ns = NetnsName(pod_uid), path = NetnsPath(pod_uid), veth = VethName(pod_uid);
  std::error_code ec;
  std::string existing = FindAllocation(ns);
  if (!existing.empty() && fs::exists(path, ec)) {
    // Complete when eth0 carries the address (a crash mid-setup leaves it without).
    if (auto in = Netlink::OpenIn(path); in.ok()) {
      auto index = in->LinkIndex("eth0");
      auto addrs =
          index.ok() ? in->Addresses(*index) : StatusOr<std::vector<std::string>>(index.status());
      if (addrs.ok() && std::find(addrs->begin(), addrs->end(), existing) != addrs->end()) {
        return existing;
      }
    }
  }
  SKIFF_ASSIGN_OR_RETURN(Netlink host, Netlink::Open());
  // Start over from a clean slate.
  (void)host.DeleteLink(veth);
  (void)DeleteNetns(path);
  SKIFF_ASSIGN_OR_RETURN(std::string ip, Allocate(ns));
  auto configure = [&]() -> Status {
    SKIFF_RETURN_IF_ERROR(CreateNetns(path));
    SKIFF_RETURN_IF_ERROR(host.CreateVeth(veth, "eth0", path));
    SKIFF_ASSIGN_OR_RETURN(int bridge, host.LinkIndex(options_.bridge));
    SKIFF_ASSIGN_OR_RETURN(int host_end, host.LinkIndex(veth));
    SKIFF_RETURN_IF_ERROR(host.SetUp(host_end, bridge));
    SKIFF_ASSIGN_OR_RETURN(Netlink pod, Netlink::OpenIn(path));
    SKIFF_ASSIGN_OR_RETURN(int eth0, pod.LinkIndex("eth0"));
    SKIFF_RETURN_IF_ERROR(IgnoreExists(pod.AddAddress(eth0, ip, options_.prefix_length)));
    SKIFF_RETURN_IF_ERROR(pod.SetUp(eth0));
    SKIFF_ASSIGN_OR_RETURN(int lo, pod.LinkIndex("lo"));
    SKIFF_RETURN_IF_ERROR(pod.SetUp(lo));
    return IgnoreExists(pod.AddDefaultRoute(options_.gateway, eth0));
  };
  if (Status s = configure(); !s.ok()) {
    (void)Teardown(pod_uid);
    return s.WithContext("pod network");
  }
  return ip;
}

Status PodNetwork::Teardown(const std::string& pod_uid) {
  std::string ns = NetnsName(pod_uid);
  std::error_code ec;
  // The host end first: deleting it removes the pair at once, whereas a namespace's own
  // devices go only when the kernel frees the namespace (after its last process exits).
  if (fs::exists("/sys/class/net/" + VethName(pod_uid), ec)) {
    SKIFF_ASSIGN_OR_RETURN(Netlink host, Netlink::Open());
    Status s = host.DeleteLink(VethName(pod_uid));
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  SKIFF_RETURN_IF_ERROR(DeleteNetns(NetnsPath(pod_uid)));
  Release(ns);
  return Status();
}

}  // namespace skiff::node
