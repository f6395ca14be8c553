// Beast sessions (callback style: read, hand to the handler, write, read again) and the
// loop pool. A connection lives on one loop; responses computed elsewhere come back by
// dispatch to that loop.
#include "serving/server/http_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "serving/binary_tensor.h"
#include "serving/errors.h"

namespace skiff::serving {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class ServerImpl;

void AppendDecimal(std::string& out, uint64_t value) {
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, end);
}

// One connection. It is also the responder of each of its requests (one at a time), so a
// request costs no responder allocation.
class Session : public HttpResponder, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl& server);
  void Start() { DoRead(); }
  void Send(HttpResponse response) override;
  void Dispatch(std::function<void()> fn) override {
    asio::dispatch(socket_.get_executor(), std::move(fn));
  }
  void Defer(std::function<void()> fn) override {
    asio::post(socket_.get_executor(), std::move(fn));
  }

 private:
  void DoRead();
  void OnRead(beast::error_code ec);
  // Answers a request that could not be read and closes the connection.
  void Refuse(int status, std::string message);
  void Write(bool close);

  tcp::socket socket_;
  ServerImpl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The response being written: status line and headers, then the body. Kept between
  // requests so their capacity is reused.
  std::string head_;
  std::string body_;
  bool keep_alive_ = true;
};

class ServerImpl : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler& handler)
      : options_(options), handler_(handler) {}
  ~ServerImpl() override { Stop(); }

  Status Listen() {
    int n = options_.workers > 0
                ? options_.workers
                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) {
      loops_.push_back(std::make_unique<asio::io_context>(1));
      // Keeps loops without connections running until Stop.
      work_.push_back(asio::make_work_guard(*loops_.back()));
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument("invalid --http_host \"" + options_.host + "\"");
    tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
    acceptor_.emplace(*loops_[0]);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         ": " + ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    DoAccept();
    for (auto& loop : loops_) {
      // The loop threads: each runs one io_context; connections stay on their loop.
      threads_.emplace_back([this, l = loop.get()] {
        while (true) {
          try {
            l->run();
            return;
          } catch (const std::exception& e) {
            spdlog::error("component=serving http loop: unexpected exception: {}", e.what());
          }
        }
      });
    }
    return Status::Ok();
  }

  int port() const override { return port_; }
  int64_t inflight() const override { return inflight_.load(); }

  void BeginDrain() override {
    draining_.store(true);
    asio::post(*loops_[0], [this] {
      beast::error_code ec;
      if (acceptor_) acceptor_->close(ec);
    });
  }

  bool WaitIdle(std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock<std::mutex> lock(idle_mu_);
    return idle_cv_.wait_until(lock, deadline, [this] { return inflight_.load() == 0; });
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    work_.clear();
    for (auto& loop : loops_) loop->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const HttpServerOptions& options() const { return options_; }
  HttpHandler& handler() { return handler_; }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  void RequestStarted() { inflight_.fetch_add(1); }
  void RequestFinished() {
    if (inflight_.fetch_sub(1) == 1 && draining()) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

 private:
  void DoAccept() {
    asio::io_context& target = *loops_[next_loop_++ % loops_.size()];
    acceptor_->async_accept(target, [this, &target](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(std::move(socket), *this);
        // Start on the connection's own loop.
        asio::post(target, [session] { session->Start(); });
      }
      DoAccept();
    });
  }

  const HttpServerOptions options_;
  HttpHandler& handler_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;  // used on loops_[0] only
  size_t next_loop_ = 0;                   // loops_[0] only
  int port_ = 0;
  std::atomic<int64_t> inflight_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

Session::Session(tcp::socket socket, ServerImpl& server)
    : socket_(std::move(socket)), server_(server) {}

void Session::DoRead() {
  parser_.emplace();
  parser_->body_limit(server_.options().max_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(server_.options().max_header_bytes));
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

void Session::OnRead(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    Refuse(413, "Request body is larger than the limit of " +
                    std::to_string(server_.options().max_body_bytes) + " bytes.");
    return;
  }
  if (ec == http::error::header_limit) {
    Refuse(431, "Request headers are larger than the limit.");
    return;
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    return;
  }
  if (ec) {
    // A request Beast cannot parse: answer 400 once, then close (the stream is out of sync).
    if (ec.category() == make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message) {
      Refuse(400, "Bad request: " + ec.message());
      return;
    }
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    return;
  }
  http::request<http::string_body> req = parser_->release();
  keep_alive_ = req.keep_alive();
  HttpRequest request;
  request.received = std::chrono::steady_clock::now();
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.body = std::move(req.body());
  if (auto it = req.find(http::field::content_type); it != req.end()) {
    request.content_type = std::string(it->value());
  }
  if (auto it = req.find(kInferenceHeaderContentLength); it != req.end()) {
    request.inference_header_length = std::string(it->value());
  }
  if (auto it = req.find("Ce-Id"); it != req.end()) request.ce_id = std::string(it->value());
  server_.RequestStarted();
  try {
    server_.handler().Handle(std::move(request), shared_from_this());
  } catch (const std::exception& e) {
    spdlog::error("component=serving http handler: unexpected exception: {}", e.what());
    HttpResponse r;
    r.status = 500;
    r.body = ErrorBody("Internal server error.");
    Send(std::move(r));
  }
}

void Session::Refuse(int status, std::string message) {
  keep_alive_ = false;
  server_.RequestStarted();
  HttpResponse r;
  r.status = status;
  r.body = ErrorBody(message);
  Send(std::move(r));
}

void Session::Send(HttpResponse r) {
  // Formatted by hand into a reused buffer: Beast's response object allocates each header
  // field and its serializer costs more than the rest of a small prediction response.
  const bool close = !keep_alive_ || server_.draining();
  head_.clear();
  head_.append("HTTP/1.1 ");
  AppendDecimal(head_, static_cast<uint64_t>(r.status));
  head_.push_back(' ');
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  head_.append(reason.empty() ? std::string_view("Unknown") : reason);
  head_.append("\r\nContent-Type: ");
  head_.append(r.content_type);
  if (r.inference_header_length) {
    head_.append("\r\n");
    head_.append(kInferenceHeaderContentLength);
    head_.append(": ");
    AppendDecimal(head_, *r.inference_header_length);
  }
  for (const auto& [k, v] : r.headers) {
    head_.append("\r\n");
    head_.append(k);
    head_.append(": ");
    head_.append(v);
  }
  head_.append("\r\nContent-Length: ");
  AppendDecimal(head_, r.body.size());
  head_.append(close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
  body_ = std::move(r.body);
  server_.RequestFinished();
  Write(close);
}

void Session::Write(bool close) {
  std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_), asio::buffer(body_)};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), close](beast::error_code ec, size_t) {
                      if (ec || close) {
                        beast::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        return;
                      }
                      self->DoRead();
                    });
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        HttpHandler& handler) {
  auto server = std::make_unique<ServerImpl>(options, handler);
  SKIFF_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace skiff::serving
