// DnsServer on Asio coroutines: a UDP receive loop and a TCP accept loop with 2-byte
// length-prefixed messages (RFC 1035 §4.2.2), several queries per connection.
#include "servicenet/dns_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <thread>

namespace skiff::servicenet {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using asio::use_awaitable;

}  // namespace

struct DnsServer::Impl {
  Impl(DnsServerOptions o, DnsHandler h)
      : options(std::move(o)), handler(std::move(h)), io(1), udp_socket(io), acceptor(io) {}

  DnsServerOptions options;
  DnsHandler handler;
  asio::io_context io;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::thread thread;
  std::string address;
  std::atomic<bool> stopped{false};

  Status Bind() {
    auto colon = options.listen.rfind(':');
    if (colon == std::string::npos) return InvalidArgument("dns listen address needs a port");
    boost::system::error_code ec;
    auto ip = asio::ip::make_address_v4(options.listen.substr(0, colon), ec);
    if (ec) return InvalidArgument("dns listen address " + options.listen + ": " + ec.message());
    int port = std::atoi(options.listen.c_str() + colon + 1);
    tcp::endpoint tep(ip, static_cast<unsigned short>(port));
    acceptor.open(tep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(tep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("dns: listen tcp " + options.listen + ": " + ec.message());
    // Port 0: UDP takes the port TCP got, so one "ip:port" describes both.
    udp::endpoint uep(ip, acceptor.local_endpoint().port());
    udp_socket.open(uep.protocol(), ec);
    if (!ec) udp_socket.bind(uep, ec);
    if (ec) return Unavailable("dns: bind udp " + options.listen + ": " + ec.message());
    address = ip.to_string() + ":" + std::to_string(uep.port());
    return Status::Ok();
  }

  void Run() {
    auto guard = asio::make_work_guard(io);
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("component=servicenet dns loop error: {}", e.what());
      }
    }
  }

  asio::awaitable<void> ServeUdp() {
    std::vector<char> buf(65535);
    for (;;) {
      udp::endpoint peer;
      boost::system::error_code ec;
      size_t n = co_await udp_socket.async_receive_from(asio::buffer(buf), peer,
                                                        asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || stopped) co_return;
      if (ec) continue;
      auto reply = handler(std::string_view(buf.data(), n), /*tcp=*/false);
      if (!reply) continue;
      co_await udp_socket.async_send_to(asio::buffer(*reply), peer,
                                        asio::redirect_error(use_awaitable, ec));
    }
  }

  asio::awaitable<void> AcceptTcp() {
    for (;;) {
      tcp::socket sock(io);
      boost::system::error_code ec;
      co_await acceptor.async_accept(sock, asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || stopped) co_return;
      if (ec) continue;
      asio::co_spawn(io, ServeTcp(std::make_shared<tcp::socket>(std::move(sock))), asio::detached);
    }
  }

  asio::awaitable<void> ServeTcp(std::shared_ptr<tcp::socket> sock) {
    asio::steady_timer idle(io);
    std::vector<char> buf;
    for (;;) {
      idle.expires_after(std::chrono::milliseconds(options.tcp_idle_timeout_ms));
      idle.async_wait([sock](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignored;
          sock->close(ignored);
        }
      });
      unsigned char len_bytes[2];
      boost::system::error_code ec;
      co_await asio::async_read(*sock, asio::buffer(len_bytes),
                                asio::redirect_error(use_awaitable, ec));
      size_t len = (static_cast<size_t>(len_bytes[0]) << 8) | len_bytes[1];
      if (!ec) {
        buf.resize(len);
        co_await asio::async_read(*sock, asio::buffer(buf),
                                  asio::redirect_error(use_awaitable, ec));
      }
      idle.cancel();
      if (ec) co_return;
      auto reply = handler(std::string_view(buf.data(), buf.size()), /*tcp=*/true);
      if (!reply) co_return;
      std::string framed;
      framed.push_back(static_cast<char>((reply->size() >> 8) & 0xFF));
      framed.push_back(static_cast<char>(reply->size() & 0xFF));
      framed += *reply;
      co_await asio::async_write(*sock, asio::buffer(framed),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
  }
};

StatusOr<std::unique_ptr<DnsServer>> DnsServer::Start(const DnsServerOptions& options,
                                                      DnsHandler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  SKIFF_RETURN_IF_ERROR(impl->Bind());
  asio::co_spawn(impl->io, impl->ServeUdp(), asio::detached);
  asio::co_spawn(impl->io, impl->AcceptTcp(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsServer::~DnsServer() { Stop(); }

std::string DnsServer::address() const { return impl_->address; }

void DnsServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->udp_socket.close(ec);
}

}  // namespace skiff::servicenet
