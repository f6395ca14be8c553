// Folder-private: the gateway's loops, per-loop upstream connection pools and the Impl shared
// by the proxy and metrics sessions. Asio lives here, so only src/gateway/*.cc include it.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/revision.h"
#include "gateway/route_table.h"

namespace skiff::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Idle keep-alive connections to endpoints, owned by one loop (no locks: only that loop's
// sessions touch it). Most recently used first, so rarely used connections age out.
class UpstreamPool {
 public:
  explicit UpstreamPool(size_t max_idle_per_endpoint) : max_idle_(max_idle_per_endpoint) {}
  // A live idle connection to `endpoint`, or nullopt. A connection idle for a while is checked
  // first (a non-blocking peek) and discarded if the endpoint closed it; one used within
  // kFreshIdle is handed out unchecked, saving a syscall per request under load (a close that
  // races the request is retried on a fresh connection by the session).
  std::optional<tcp::socket> Take(const Endpoint& endpoint);
  // Keeps `socket` for reuse unless the endpoint was removed or its slots are full.
  void Put(const Endpoint& endpoint, tcp::socket socket);

 private:
  static constexpr std::chrono::milliseconds kFreshIdle{1000};
  struct Idle {
    tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  const size_t max_idle_;
  std::unordered_map<std::string, std::vector<Idle>> idle_;
};

// One event loop: its io_context, its pool and its cached view of the routing table.
struct Loop {
  explicit Loop(size_t max_idle) : io(1), pool(max_idle) {}
  asio::io_context io;
  UpstreamPool pool;
  uint64_t generation = 0;                  // of `table`
  std::shared_ptr<const RouteTable> table;  // this loop's copy, refreshed on generation change
};

class Gateway::Impl {
 public:
  explicit Impl(GatewayOptions options);
  ~Impl();

  Status Listen();
  void Stop();

  // The current routing table as this loop sees it (re-read only when it changed).
  std::shared_ptr<const RouteTable> Table(Loop& loop);

  Status SetRoutes(std::vector<Route> routes);
  Status SetEndpoints(const std::string& revision, const std::vector<std::string>& endpoints);
  void SetColdCallback(std::function<void(const std::string&)> on_cold);
  MetricsSnapshot Snapshot() const;
  std::optional<RevisionStats> RevisionSnapshot(const std::string& revision) const;
  std::string RenderMetrics() const;

  const GatewayOptions& options() const { return options_; }
  const Clock& clock() const { return *clock_; }
  GatewayCounters& counters() { return counters_; }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // Seconds of the options' steady clock (the rate window's unit).
  int64_t NowSecond() const;

 private:
  std::shared_ptr<Revision> NewRevision(const std::string& key);
  RevisionStats Stats(const Revision& r, int64_t now_second) const;
  void AcceptProxy();
  void AcceptMetrics();

  const GatewayOptions options_;
  RealClock real_clock_;
  const Clock* clock_;
  GatewayCounters counters_;
  // Loops outlive everything below that may hold sockets or sessions.
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;          // on loops_[0]
  std::optional<tcp::acceptor> metrics_acceptor_;  // on loops_[0]
  size_t next_loop_ = 0;                           // loops_[0] only
  int port_ = 0;
  int metrics_port_ = 0;
  std::atomic<bool> stopped_{false};

  mutable std::mutex cold_mu_;
  std::shared_ptr<const std::function<void(const std::string&)>> on_cold_;  // guarded by cold_mu_

  mutable std::mutex mu_;
  std::shared_ptr<const RouteTable> table_;                     // guarded by mu_
  std::map<std::string, std::shared_ptr<Revision>> revisions_;  // guarded by mu_
  std::atomic<uint64_t> generation_{0};                         // bumped under mu_
};

// Sessions (proxy_session.cc, metrics_session.cc). Each runs on `loop` and keeps itself alive
// through its pending operations.
void StartProxySession(tcp::socket socket, Loop& loop, Gateway::Impl& gateway);
void StartMetricsSession(tcp::socket socket, Gateway::Impl& gateway);

}  // namespace skiff::gateway
