// The metrics listener's connections: GET /metrics (Prometheus text) and /healthz, with
// keep-alive, on loop 0. Scrapes are rare and small, so this is the simple read-answer loop.
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "gateway/gateway_impl.h"
#include "gateway/http_head.h"

namespace skiff::gateway {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

class MetricsSession : public std::enable_shared_from_this<MetricsSession> {
 public:
  MetricsSession(tcp::socket socket, Gateway::Impl& gw) : socket_(std::move(socket)), gw_(gw) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      beast::error_code ignored;
      socket_.close(ignored);
      return;
    }
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    std::string_view path = req.target().substr(0, req.target().find('?'));
    int code = 200;
    std::string type = "text/plain; version=0.0.4; charset=utf-8";
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      code = 405;
      type = "application/json";
      body_ = ErrorJson("Method not allowed.");
    } else if (path == "/metrics") {
      body_ = gw_.RenderMetrics();
    } else if (path == "/healthz" || path == "/readyz" || path == "/livez") {
      body_ = "ok";
    } else {
      code = 404;
      type = "application/json";
      body_ = ErrorJson("Not found.");
    }
    head_ = "HTTP/1.1 " + std::to_string(code) + " " +
            std::string(http::obsolete_reason(static_cast<http::status>(code))) +
            "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body_.size()) +
            (keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    if (req.method() == http::verb::head) body_.clear();
    std::array<asio::const_buffer, 2> out = {asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(socket_, out, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) {
        beast::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
        self->socket_.close(ignored);
        return;
      }
      self->Read();
    });
  }

  tcp::socket socket_;
  Gateway::Impl& gw_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_;
  std::string body_;
  bool keep_alive_ = true;
};

}  // namespace

void StartMetricsSession(tcp::socket socket, Gateway::Impl& gateway) {
  std::make_shared<MetricsSession>(std::move(socket), gateway)->Read();
}

}  // namespace skiff::gateway
