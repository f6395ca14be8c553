// Gateway: the loop pool and listeners, and the control side (routing table swaps, endpoint
// updates, snapshots). The data path is in proxy_session.cc.
#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <set>

#include "gateway/gateway_impl.h"
#include "gateway/routes_file.h"

namespace skiff::gateway {

namespace {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// "host:port", "[v6]:port" or ":port" (all interfaces); port 0 picks a free one.
StatusOr<ListenAddress> ParseListen(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgument("listen address needs host:port");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ListenAddress a;
  a.host = host.empty() ? "0.0.0.0" : host == "localhost" ? "127.0.0.1" : std::string(host);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return InvalidArgument("invalid port in listen address \"" + std::string(text) + "\"");
  }
  a.port = static_cast<uint16_t>(value);
  return a;
}

StatusOr<int> Bind(tcp::acceptor& acceptor, std::string_view text) {
  SKIFF_ASSIGN_OR_RETURN(ListenAddress a, ParseListen(text));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(a.host, ec);
  if (ec) return InvalidArgument("invalid listen host \"" + a.host + "\"");
  tcp::endpoint endpoint(address, a.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + std::string(text) + ": " + ec.message());
  return static_cast<int>(acceptor.local_endpoint().port());
}

}  // namespace

Gateway::Impl::Impl(GatewayOptions options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : &real_clock_) {}

Gateway::Impl::~Impl() { Stop(); }

Status Gateway::Impl::Listen() {
  int n = options_.workers > 0
              ? options_.workers
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    loops_.push_back(std::make_unique<Loop>(options_.max_idle_per_endpoint));
    // Keeps loops without connections running until Stop.
    work_.push_back(asio::make_work_guard(loops_.back()->io));
  }
  acceptor_.emplace(loops_[0]->io);
  SKIFF_ASSIGN_OR_RETURN(port_, Bind(*acceptor_, options_.listen));
  if (!options_.metrics_listen.empty()) {
    metrics_acceptor_.emplace(loops_[0]->io);
    SKIFF_ASSIGN_OR_RETURN(metrics_port_, Bind(*metrics_acceptor_, options_.metrics_listen));
    AcceptMetrics();
  }
  AcceptProxy();
  for (auto& loop : loops_) {
    // The loop threads: one io_context each; connections stay on their loop.
    threads_.emplace_back([this, l = loop.get()] {
      while (true) {
        try {
          l->io.run();
          return;
        } catch (const std::exception& e) {
          counters_.internal_errors.fetch_add(1, std::memory_order_relaxed);
          spdlog::error("component=gateway loop: unexpected exception: {}", e.what());
        }
      }
    });
  }
  return Status::Ok();
}

void Gateway::Impl::AcceptProxy() {
  Loop& target = *loops_[next_loop_++ % loops_.size()];
  acceptor_->async_accept(
      target.io, [this, &target](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
        if (!ec) {
          // Start on the connection's own loop.
          asio::post(target.io, [this, &target, s = std::move(socket)]() mutable {
            StartProxySession(std::move(s), target, *this);
          });
        }
        AcceptProxy();
      });
}

void Gateway::Impl::AcceptMetrics() {
  metrics_acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !metrics_acceptor_->is_open()) return;
    if (!ec) StartMetricsSession(std::move(socket), *this);
    AcceptMetrics();
  });
}

void Gateway::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  work_.clear();
  for (auto& loop : loops_) loop->io.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Held requests keep their sessions alive; let go of them while the loops still exist.
  std::map<std::string, std::shared_ptr<Revision>> revisions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    revisions.swap(revisions_);
    table_.reset();
  }
  for (auto& [name, r] : revisions) r->Shutdown();
}

std::shared_ptr<const RouteTable> Gateway::Impl::Table(Loop& loop) {
  if (generation_.load(std::memory_order_acquire) != loop.generation) {
    std::lock_guard<std::mutex> lock(mu_);
    loop.table = table_;
    loop.generation = generation_.load(std::memory_order_relaxed);
  }
  return loop.table;
}

int64_t Gateway::Impl::NowSecond() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_->Steady().time_since_epoch())
      .count();
}

std::shared_ptr<Revision> Gateway::Impl::NewRevision(const std::string& key) {
  return std::make_shared<Revision>(
      key, options_.activator,
      [this](const std::string& name) {
        std::shared_ptr<const std::function<void(const std::string&)>> fn;
        {
          std::lock_guard<std::mutex> lock(cold_mu_);
          fn = on_cold_;
        }
        if (fn && *fn) (*fn)(name);
      },
      *clock_);
}

Status Gateway::Impl::SetRoutes(std::vector<Route> routes) {
  if (Status s = ValidateRoutes(routes); !s.ok()) {
    counters_.config_errors.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  std::vector<std::shared_ptr<Revision>> removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::shared_ptr<Revision>> next;
    RouteTable::RevisionFor revision_for = [&](const std::string& key) {
      if (auto it = next.find(key); it != next.end()) return it->second;
      auto it = revisions_.find(key);
      auto r = it != revisions_.end() ? it->second : NewRevision(key);
      next.emplace(key, r);
      return r;
    };
    // Endpoints first, so the new table never shows a revision without the endpoints its
    // route brought (which would hold requests for nothing).
    for (const Route& route : routes) {
      for (const Backend& b : route.backends) {
        auto r = revision_for(b.revision);
        r->SetContainerConcurrency(b.container_concurrency);
        if (!b.endpoints) continue;
        std::vector<EndpointAddress> parsed;
        for (const auto& e : *b.endpoints) parsed.push_back(*ParseEndpointAddress(e));
        r->SetEndpoints(std::move(parsed));
      }
    }
    auto table = std::make_shared<const RouteTable>(routes, revision_for);
    for (auto& [key, r] : revisions_) {
      if (!next.count(key)) removed.push_back(r);
    }
    revisions_ = std::move(next);
    table_ = std::move(table);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // Outside the lock: Shutdown resumes held requests, which post to their loops.
  for (auto& r : removed) r->Shutdown();
  counters_.route_updates.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status Gateway::Impl::SetEndpoints(const std::string& revision,
                                   const std::vector<std::string>& endpoints) {
  if (revision.empty()) return InvalidArgument("revision: required");
  std::vector<EndpointAddress> parsed;
  parsed.reserve(endpoints.size());
  for (const auto& e : endpoints) {
    SKIFF_ASSIGN_OR_RETURN(EndpointAddress a, ParseEndpointAddress(e));
    parsed.push_back(std::move(a));
  }
  std::shared_ptr<Revision> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = revisions_.find(revision);
    if (it == revisions_.end()) it = revisions_.emplace(revision, NewRevision(revision)).first;
    r = it->second;
  }
  r->SetEndpoints(std::move(parsed));
  return Status::Ok();
}

void Gateway::Impl::SetColdCallback(std::function<void(const std::string&)> on_cold) {
  auto fn = std::make_shared<const std::function<void(const std::string&)>>(std::move(on_cold));
  std::lock_guard<std::mutex> lock(cold_mu_);
  on_cold_ = std::move(fn);
}

RevisionStats Gateway::Impl::Stats(const Revision& r, int64_t now_second) const {
  RevisionStats s;
  const int window = std::clamp(options_.rate_window_seconds, 1, RateWindow::kMaxSeconds);
  s.revision = r.name();
  s.concurrency = r.metrics().inflight();
  s.held = static_cast<int64_t>(r.held());
  s.requests_total = r.metrics().requests_total();
  s.requests_per_second =
      static_cast<double>(r.metrics().rate().CountBefore(now_second, window)) / window;
  s.ready_endpoints = static_cast<int64_t>(r.ready_endpoints());
  s.cold_starts = r.metrics().cold_starts();
  return s;
}

MetricsSnapshot Gateway::Impl::Snapshot() const {
  std::vector<std::shared_ptr<Revision>> revisions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, r] : revisions_) revisions.push_back(r);
  }
  MetricsSnapshot snap;
  snap.taken = clock_->Steady();
  snap.taken_wall = clock_->Now();
  snap.window_seconds = std::clamp(options_.rate_window_seconds, 1, RateWindow::kMaxSeconds);
  const int64_t now = NowSecond();
  for (const auto& r : revisions) snap.revisions.push_back(Stats(*r, now));
  return snap;
}

std::optional<RevisionStats> Gateway::Impl::RevisionSnapshot(const std::string& revision) const {
  std::shared_ptr<Revision> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = revisions_.find(revision);
    if (it == revisions_.end()) return std::nullopt;
    r = it->second;
  }
  return Stats(*r, NowSecond());
}

std::string Gateway::Impl::RenderMetrics() const {
  std::vector<std::shared_ptr<Revision>> revisions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, r] : revisions_) revisions.push_back(r);
  }
  std::vector<RevisionView> views;
  views.reserve(revisions.size());
  for (const auto& r : revisions) {
    views.push_back(RevisionView{r->labels(), &r->metrics(), static_cast<int64_t>(r->held()),
                                 static_cast<int64_t>(r->ready_endpoints())});
  }
  std::string out;
  RenderPrometheus(out, counters_, views);
  return out;
}

// ---- Gateway ---------------------------------------------------------------------------------

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() { Stop(); }

StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  SKIFF_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Status Gateway::SetRoutes(std::vector<Route> routes) { return impl_->SetRoutes(std::move(routes)); }

Status Gateway::LoadRoutesJson(std::string_view json) {
  auto routes = ParseRoutesJson(json);
  if (!routes.ok()) {
    impl_->counters().config_errors.fetch_add(1, std::memory_order_relaxed);
    return routes.status();
  }
  return impl_->SetRoutes(std::move(*routes));
}

Status Gateway::SetEndpoints(const std::string& revision,
                             const std::vector<std::string>& endpoints) {
  return impl_->SetEndpoints(revision, endpoints);
}

void Gateway::SetColdCallback(std::function<void(const std::string&)> on_cold) {
  impl_->SetColdCallback(std::move(on_cold));
}

MetricsSnapshot Gateway::Snapshot() const { return impl_->Snapshot(); }

std::optional<RevisionStats> Gateway::RevisionSnapshot(const std::string& revision) const {
  return impl_->RevisionSnapshot(revision);
}

std::string Gateway::RenderMetrics() const { return impl_->RenderMetrics(); }
int Gateway::port() const { return impl_->port(); }
int Gateway::metrics_port() const { return impl_->metrics_port(); }
void Gateway::Stop() { impl_->Stop(); }

}  // namespace skiff::gateway
