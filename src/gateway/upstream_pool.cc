// Per-loop keep-alive pool of upstream connections.
#include <sys/socket.h>

#include <cerrno>

#include "gateway/gateway_impl.h"

namespace skiff::gateway {

namespace {

// An idle connection must have nothing to read: EOF means the endpoint closed it, and bytes
// would be a response nobody asked for. One non-blocking peek, no waiting.
bool IdleAndOpen(tcp::socket& socket) {
  char c;
  ssize_t n = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::optional<tcp::socket> UpstreamPool::Take(const Endpoint& endpoint) {
  auto it = idle_.find(endpoint.address.address);
  if (it == idle_.end()) return std::nullopt;
  auto& list = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    Idle idle = std::move(list.back());
    list.pop_back();
    if (now - idle.since < kFreshIdle || IdleAndOpen(idle.socket)) return std::move(idle.socket);
    boost::system::error_code ignored;
    idle.socket.close(ignored);
  }
  return std::nullopt;
}

void UpstreamPool::Put(const Endpoint& endpoint, tcp::socket socket) {
  boost::system::error_code ignored;
  if (endpoint.removed.load(std::memory_order_relaxed)) {
    // The endpoint left its revision: its other idle connections go too.
    socket.close(ignored);
    if (auto it = idle_.find(endpoint.address.address); it != idle_.end()) {
      for (auto& idle : it->second) idle.socket.close(ignored);
      idle_.erase(it);
    }
    return;
  }
  auto& list = idle_[endpoint.address.address];
  if (list.size() >= max_idle_) {
    socket.close(ignored);
    return;
  }
  list.push_back(Idle{std::move(socket), std::chrono::steady_clock::now()});
}

}  // namespace skiff::gateway
