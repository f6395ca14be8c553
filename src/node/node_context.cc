// GpuPool and PortRegistry: exclusive device and fallback-port bookkeeping.
#include "node/node_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace skiff::node {

std::vector<int> GpuPool::Take(const std::string& owner, int n) {
  std::vector<int> out;
  for (int d = 0; d < total_ && static_cast<int>(out.size()) < n; ++d) {
    if (!used_.count(d)) out.push_back(d);
  }
  if (static_cast<int>(out.size()) < n) return {};
  for (int d : out) used_[d] = owner;
  return out;
}

void GpuPool::Claim(const std::string& owner, const std::vector<int>& devices) {
  for (int d : devices) used_[d] = owner;
}

void GpuPool::Release(const std::string& owner) {
  for (auto it = used_.begin(); it != used_.end();) {
    it = it->second == owner ? used_.erase(it) : std::next(it);
  }
}

namespace {

// True when something on the host already listens on (or holds) TCP `port`.
bool PortBusy(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  bool busy = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
  close(fd);
  return busy;
}

}  // namespace

std::string PortRegistry::Reserve(const std::string& owner, const std::vector<int>& ports) {
  for (int p : ports) {
    auto it = owners_.find(p);
    if (it != owners_.end() && it->second != owner) return it->second;
  }
  for (int p : ports) {
    if (!owners_.count(p) && PortBusy(p)) return "another process (port " + std::to_string(p) + ")";
  }
  for (int p : ports) owners_[p] = owner;
  return "";
}

void PortRegistry::Release(const std::string& owner) {
  for (auto it = owners_.begin(); it != owners_.end();) {
    it = it->second == owner ? owners_.erase(it) : std::next(it);
  }
}

}  // namespace skiff::node
