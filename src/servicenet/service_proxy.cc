// ServiceProxy on Asio coroutines: an accept loop per listener, and per connection a backend
// connect with retry followed by two half-duplex pumps that pass EOF on as a write shutdown.
#include "servicenet/service_proxy.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "servicenet/endpoint_picker.h"

namespace skiff::servicenet {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
template <typename T>
using Awaitable = asio::awaitable<T>;

struct Counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> proxied{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> connect_errors{0};
};

// One listening socket and its backends. Lives on the loop; shared by its connections so that
// closing the listener leaves their accounting intact.
struct Listener {
  Listener(asio::io_context& io, ProxyListenerSpec s) : spec(std::move(s)), acceptor(io) {}
  ProxyListenerSpec spec;
  tcp::acceptor acceptor;
  EndpointPicker picker;
  bool closed = false;
};

// Both sockets of one proxied connection; the backend's slot is released when the last pump
// drops its reference.
struct Splice {
  Splice(std::shared_ptr<Listener> l, tcp::socket c, tcp::socket u, Backend b)
      : listener(std::move(l)), client(std::move(c)), upstream(std::move(u)), backend(b) {}
  ~Splice() { listener->picker.Release(backend); }
  void CloseBoth() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
  }
  std::shared_ptr<Listener> listener;
  tcp::socket client;
  tcp::socket upstream;
  Backend backend;
};

void Reset(tcp::socket& s) {
  boost::system::error_code ec;
  // SO_LINGER 0 makes close() send RST: the client sees a refused-like failure at once instead
  // of a connection that opened and then said nothing.
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

}  // namespace

struct ServiceProxy::Impl {
  explicit Impl(ServiceProxyOptions o) : options(o), io(1) {}

  ServiceProxyOptions options;
  asio::io_context io;
  std::thread thread;
  std::map<std::string, std::shared_ptr<Listener>> listeners;  // loop only
  Counters counters;
  std::atomic<bool> stopped{false};

  void Run() {
    auto guard = asio::make_work_guard(io);
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("component=servicenet proxy loop error: {}", e.what());
      }
    }
  }

  Status Open(Listener& l) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address_v4(l.spec.bind_ip, ec);
    if (ec) return InvalidArgument("proxy bind address " + l.spec.bind_ip + ": " + ec.message());
    tcp::endpoint ep(addr, static_cast<unsigned short>(l.spec.bind_port));
    l.acceptor.open(ep.protocol(), ec);
    if (!ec) l.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      // IP_FREEBIND: the ClusterIP may be added to the interface just after the listener opens.
      int one = 1;
      setsockopt(l.acceptor.native_handle(), IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
      l.acceptor.bind(ep, ec);
    }
    if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      l.acceptor.close(ec);
      return Unavailable("listen on " + l.spec.bind_ip + ":" + std::to_string(l.spec.bind_port) +
                         ": " + ec.message());
    }
    l.spec.bind_port = l.acceptor.local_endpoint().port();
    return Status::Ok();
  }

  std::vector<ProxyListenerState> Apply(std::vector<ProxyListenerSpec> desired) {
    std::vector<ProxyListenerState> states;
    std::set<std::string> keep;
    for (auto& spec : desired) {
      keep.insert(spec.key);
      auto it = listeners.find(spec.key);
      if (it != listeners.end() && it->second->spec.bind_ip == spec.bind_ip &&
          (spec.bind_port == 0 || spec.bind_port == it->second->spec.bind_port)) {
        it->second->picker.SetBackends(spec.backends);
        states.push_back({.key = spec.key, .port = it->second->spec.bind_port});
        continue;
      }
      if (it != listeners.end()) {
        Close(*it->second);
        listeners.erase(it);
      }
      auto l = std::make_shared<Listener>(io, spec);
      l->picker.SetBackends(spec.backends);
      Status s = Open(*l);
      if (!s.ok()) {
        states.push_back({.key = spec.key, .port = 0, .status = s});
        continue;
      }
      listeners[spec.key] = l;
      asio::co_spawn(io, Accept(l), asio::detached);
      states.push_back({.key = spec.key, .port = l->spec.bind_port});
    }
    for (auto it = listeners.begin(); it != listeners.end();) {
      if (keep.count(it->first)) {
        ++it;
        continue;
      }
      Close(*it->second);
      it = listeners.erase(it);
    }
    return states;
  }

  static void Close(Listener& l) {
    l.closed = true;
    boost::system::error_code ec;
    l.acceptor.close(ec);
  }

  Awaitable<void> Accept(std::shared_ptr<Listener> l) {
    for (;;) {
      tcp::socket sock(io);
      boost::system::error_code ec;
      co_await l->acceptor.async_accept(sock, asio::redirect_error(use_awaitable, ec));
      if (l->closed || ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // EMFILE and friends: keep serving the rest
      counters.accepted++;
      asio::co_spawn(io, Serve(l, std::move(sock)), asio::detached);
    }
  }

  Awaitable<void> Serve(std::shared_ptr<Listener> l, tcp::socket client) {
    std::set<Backend> tried;
    for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
      auto backend = l->picker.Pick(tried);
      if (!backend) break;
      tried.insert(*backend);
      boost::system::error_code ec;
      auto addr = asio::ip::make_address_v4(backend->ip, ec);
      if (ec) continue;
      tcp::endpoint ep(addr, static_cast<unsigned short>(backend->port));
      // Shared with the timeout handler, which may run after this frame has moved on.
      auto upstream = std::make_shared<tcp::socket>(io);
      l->picker.Acquire(*backend);
      asio::steady_timer timer(io);
      timer.expires_after(std::chrono::milliseconds(options.connect_timeout_ms));
      timer.async_wait([upstream](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignored;
          upstream->cancel(ignored);
        }
      });
      co_await upstream->async_connect(ep, asio::redirect_error(use_awaitable, ec));
      timer.cancel();
      if (ec) {
        counters.connect_errors++;
        l->picker.Release(*backend);
        spdlog::debug("component=servicenet proxy={} backend={}:{} connect failed: {}", l->spec.key,
                      backend->ip, backend->port, ec.message());
        continue;
      }
      counters.proxied++;
      upstream->set_option(tcp::no_delay(true), ec);
      client.set_option(tcp::no_delay(true), ec);
      auto splice = std::make_shared<Splice>(l, std::move(client), std::move(*upstream), *backend);
      asio::co_spawn(io, Pump(splice, /*to_upstream=*/true), asio::detached);
      asio::co_spawn(io, Pump(splice, /*to_upstream=*/false), asio::detached);
      co_return;
    }
    counters.rejected++;
    Reset(client);
  }

  static Awaitable<void> Pump(std::shared_ptr<Splice> s, bool to_upstream) {
    tcp::socket& from = to_upstream ? s->client : s->upstream;
    tcp::socket& to = to_upstream ? s->upstream : s->client;
    std::vector<char> buf(16 * 1024);
    for (;;) {
      boost::system::error_code ec;
      size_t n =
          co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof) {
        // Half-close: the peer finished sending; let the other side see EOF and keep the
        // reverse direction open (HTTP/1.0 clients shut down writes after the request).
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) {
        s->CloseBoth();
        co_return;
      }
      co_await asio::async_write(to, asio::buffer(buf.data(), n),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) {
        s->CloseBoth();
        co_return;
      }
    }
  }
};

ServiceProxy::ServiceProxy(ServiceProxyOptions options) : impl_(std::make_unique<Impl>(options)) {
  impl_->thread = std::thread([this] { impl_->Run(); });
}

ServiceProxy::~ServiceProxy() { Stop(); }

std::vector<ProxyListenerState> ServiceProxy::Update(std::vector<ProxyListenerSpec> desired) {
  if (impl_->stopped) return {};
  std::promise<std::vector<ProxyListenerState>> done;
  auto result = done.get_future();
  asio::post(impl_->io, [this, &done, d = std::move(desired)]() mutable {
    done.set_value(impl_->Apply(std::move(d)));
  });
  return result.get();
}

void ServiceProxy::Stop() {
  if (impl_->stopped.exchange(true)) return;
  std::promise<void> closed;
  asio::post(impl_->io, [this, &closed] {
    for (auto& [key, l] : impl_->listeners) Impl::Close(*l);
    impl_->listeners.clear();
    closed.set_value();
  });
  closed.get_future().wait();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

ServiceProxy::Stats ServiceProxy::stats() const {
  return {.accepted = impl_->counters.accepted,
          .proxied = impl_->counters.proxied,
          .rejected = impl_->counters.rejected,
          .connect_errors = impl_->counters.connect_errors};
}

}  // namespace skiff::servicenet
