// Beast-based HTTP(S) server. Each connection is a coroutine on one loop; a
// request is parsed with a body limit, handed to the handler, and answered
// (whole or chunked). Handlers never see Beast.
#include "apiserver/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>
#include <thread>
#include <nlohmann/json.hpp>
#include <variant>

#include "base/json.h"

namespace skiff::apiserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

int HexValue(char h) {
  if (h >= '0' && h <= '9') return h - '0';
  if (h >= 'a' && h <= 'f') return h - 'a' + 10;
  if (h >= 'A' && h <= 'F') return h - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int a = HexValue(s[i + 1]), b = HexValue(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out += static_cast<char>(a * 16 + b);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

void ParseTarget(std::string_view target, Request& req) {
  size_t q = target.find('?');
  req.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    size_t eq = kv.find('=');
    std::string k = PercentDecode(kv.substr(0, eq), true);
    std::string v = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true);
    if (!k.empty()) req.query.emplace(std::move(k), std::move(v));
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
}

std::string StatusBody(int code, const char* reason, const std::string& message) {
  Json j = {{"kind", "Status"},   {"apiVersion", "v1"}, {"metadata", Json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", reason},
            {"code", code}};
  return DumpJson(j);
}

template <typename Stream>
class Writer final : public ResponseWriter {
 public:
  Writer(Stream& s, unsigned version, bool keep_alive)
      : stream_(s), version_(version), keep_alive_(keep_alive) {}

  Awaitable<void> Send(Response r) override {
    sent_ = true;
    http::response<http::string_body> res{static_cast<http::status>(r.code), version_};
    res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    beast::error_code ec;
    co_await http::async_write(stream_, res, asio::redirect_error(use_awaitable, ec));
    if (ec) ok_ = false;
  }

  Awaitable<bool> StartStream(std::string content_type,
                              std::vector<std::pair<std::string, std::string>> headers) override {
    sent_ = true;
    streaming_ = true;
    http::response<http::empty_body> res{http::status::ok, version_};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-cache, private");
    for (auto& [k, v] : headers) res.set(k, v);
    res.chunked(true);
    res.keep_alive(false);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    co_await http::async_write_header(stream_, sr, asio::redirect_error(use_awaitable, ec));
    if (ec) ok_ = false;
    co_return ok_;
  }

  Awaitable<bool> WriteChunk(std::string data) override {
    if (!ok_) co_return false;
    if (data.empty()) co_return true;
    beast::error_code ec;
    co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data)),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) ok_ = false;
    co_return ok_;
  }

  Awaitable<void> EndStream() override {
    if (!ok_) co_return;
    beast::error_code ec;
    co_await asio::async_write(stream_, http::make_chunk_last(),
                               asio::redirect_error(use_awaitable, ec));
    ok_ = false;
  }

  bool sent() const override { return sent_; }
  bool ok() const { return ok_ && !streaming_; }

 private:
  Stream& stream_;
  unsigned version_;
  bool keep_alive_;
  bool sent_ = false;
  bool streaming_ = false;
  bool ok_ = true;
};

constexpr size_t kHardBodyCap = 64 * 1024 * 1024;

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& o, Handler h) : options_(o), handler_(std::move(h)) {}

  ~ServerImpl() override { Stop(); }

  Status Init() {
    int n = options_.threads > 0 ? options_.threads
                                 : std::max(1u, std::thread::hardware_concurrency());
    for (int i = 0; i < n; ++i) {
      loops_.push_back(std::make_unique<asio::io_context>(1));
    }
    if (!options_.cert_pem.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      boost::system::error_code ec;
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      tls_->use_certificate_chain(asio::buffer(options_.cert_pem), ec);
      if (!ec) tls_->use_private_key(asio::buffer(options_.key_pem), asio::ssl::context::pem, ec);
      if (ec) return InvalidArgument("TLS material: " + ec.message());
    }
    std::string host = options_.listen, port = "6443";
    if (auto c = options_.listen.rfind(':'); c != std::string::npos) {
      host = options_.listen.substr(0, c);
      port = options_.listen.substr(c + 1);
    }
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return InvalidArgument("listen address " + options_.listen + ": " + ec.message());
    int port_num = std::atoi(port.c_str());
    acceptor_ = std::make_unique<tcp::acceptor>(*loops_[0]);
    tcp::endpoint ep(addr, static_cast<unsigned short>(port_num));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("listen on " + options_.listen + ": " + ec.message());
    port_ = acceptor_->local_endpoint().port();
    asio::co_spawn(*loops_[0], Accept(), asio::detached);
    for (auto& loop : loops_) {
      threads_.emplace_back([l = loop.get()] {
        auto guard = asio::make_work_guard(*l);
        for (;;) {
          try {
            l->run();
            return;
          } catch (const std::exception& e) {
            spdlog::error("component=apiserver event loop error: {}", e.what());
          }
        }
      });
    }
    return Status::Ok();
  }

  int port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    for (auto& l : loops_) l->stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  asio::any_io_executor executor() override { return loops_[0]->get_executor(); }

 private:
  Awaitable<void> Accept() {
    for (;;) {
      size_t idx = next_loop_++ % loops_.size();
      tcp::socket sock(*loops_[idx]);
      boost::system::error_code ec;
      co_await acceptor_->async_accept(sock, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        continue;
      }
      sock.set_option(tcp::no_delay(true), ec);
      auto& loop = *loops_[idx];
      if (tls_) {
        asio::co_spawn(loop, ServeTls(std::move(sock)), asio::detached);
      } else {
        asio::co_spawn(loop, ServePlain(std::move(sock)), asio::detached);
      }
    }
  }

  Awaitable<void> ServeTls(tcp::socket sock) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await Serve(stream);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }

  Awaitable<void> ServePlain(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    co_await Serve(stream);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  template <typename Stream>
  Awaitable<void> Serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
      http::request_parser<http::string_body> parser;
      // Read bodies up to a hard cap so an oversize request can still be answered 413 (a
      // client still writing would otherwise see a reset); beyond the cap, just close.
      parser.body_limit(std::max<size_t>(options_.max_body_bytes, kHardBodyCap));
      parser.header_limit(64 * 1024);
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (!ec && parser.get().body().size() > options_.max_body_bytes) {
        Writer<Stream> w(stream, 11, false);
        co_await w.Send(MakeResponse(413, "application/json", StatusBody(413, "RequestEntityTooLarge",
                                            "Request entity too large: limit is " +
                                                std::to_string(options_.max_body_bytes))));
        co_return;
      }
      if (ec) co_return;
      auto& msg = parser.get();
      beast::get_lowest_layer(stream).expires_never();
      Request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      ParseTarget(req.target, req);
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = std::string(f.value());
      }
      req.body = std::move(msg.body());
      Writer<Stream> w(stream, msg.version(), msg.keep_alive());
      std::string internal_error;
      try {
        co_await handler_(req, w);
      } catch (const std::exception& e) {
        internal_error = e.what();
      }
      if (!internal_error.empty()) {
        spdlog::error("component=apiserver internal error on {} {}: {}", req.method, req.path,
                      internal_error);
        if (!w.sent()) {
          co_await w.Send(
              MakeResponse(500, "application/json", StatusBody(500, "InternalError", "Internal error: " + internal_error)));
        }
      } else if (!w.sent()) {
        co_await w.Send(MakeResponse(500, "application/json", StatusBody(500, "InternalError", "no response")));
      }
      if (!w.ok() || !msg.keep_alive()) co_return;
    }
  }

  ServerOptions options_;
  Handler handler_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<std::thread> threads_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::atomic<size_t> next_loop_{0};
  std::atomic<bool> stopped_{false};
  int port_ = 0;
};

}  // namespace

std::string Request::Query(std::string_view name) const {
  auto [a, b] = query.equal_range(std::string(name));
  if (a == b) return "";
  return std::prev(b)->second;
}

bool Request::QueryBool(std::string_view name) const {
  if (!HasQuery(name)) return false;
  std::string v = Query(name);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v != "0" && v != "false";
}

std::string Request::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? "" : it->second;
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                        Handler handler) {
  auto s = std::make_unique<ServerImpl>(options, std::move(handler));
  SKIFF_RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace skiff::apiserver
