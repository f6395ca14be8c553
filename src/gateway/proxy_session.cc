// One client connection of the proxy, a callback state machine on its loop: read a request,
// route it, acquire an endpoint (or wait in the activator), send it upstream over a pooled
// connection, relay the response as it arrives, then read the next request. Exactly one
// asynchronous operation is pending at a time (plus the timers), so whichever handler runs
// next owns the session's state.
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "gateway/gateway_impl.h"
#include "gateway/http_head.h"
#include "gateway/proxy_heads_impl.h"

namespace skiff::gateway {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr size_t kBodyChunk = 16 * 1024;
constexpr std::chrono::seconds kLinger{2};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

void AppendDecimal(std::string& out, uint64_t v) { out.append(std::to_string(v)); }

std::string_view Reason(int code) {
  std::string_view r = http::obsolete_reason(static_cast<http::status>(code));
  return r.empty() ? std::string_view("Unknown") : r;
}

std::string Seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%gs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// Keeps error messages that echo a request short.
std::string_view Clip(std::string_view s) { return s.substr(0, 200); }

class ProxySession : public std::enable_shared_from_this<ProxySession> {
 public:
  ProxySession(tcp::socket socket, Loop& loop, Gateway::Impl& gw)
      : socket_(std::move(socket)), loop_(loop), gw_(gw), timer_(loop.io), connect_timer_(loop.io) {
    gw_.counters().downstream_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~ProxySession() {
    if (endpoint_) ReturnEndpoint(*endpoint_);
    if (revision_ != nullptr) revision_->metrics().AddInflight(-1);
    gw_.counters().downstream_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    beast::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) client_ip_ = remote.address().to_string();
    socket_.set_option(tcp::no_delay(true), ec);
    ReadRequest();
  }

 private:
  enum class Phase { kIdle, kHeld, kConnecting, kSending, kAwaiting, kStreaming, kLocal };

  // ---- downstream: reading a request -------------------------------------------------------

  void ReadRequest() {
    phase_ = Phase::kIdle;
    // Bounds an idle keep-alive connection and a client that sends its request slowly.
    timer_.expires_after(gw_.options().client_idle_timeout);
    timer_.async_wait([self = shared_from_this(), seq = request_seq_](beast::error_code ec) {
      if (ec || seq != self->request_seq_ || self->phase_ != Phase::kIdle) return;
      // Closing cancels the pending read; its handler ends the session.
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(gw_.options().max_header_bytes));
    parser_->body_limit(gw_.options().max_body_bytes);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return OnRequest();
    auto& req = parser_->get();
    if (EqualsNoCase(req[http::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does, for a second).
      asio::async_write(socket_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadRequestBody();
                        });
      return;
    }
    ReadRequestBody();
  }

  void ReadRequestBody() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return SendLocal(413, "Request body is larger than the limit of " +
                                std::to_string(gw_.options().max_body_bytes) + " bytes.");
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      return SendLocal(431, "Request headers are larger than the limit.");
    }
    if (ec.category() == make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message && ec != http::error::end_of_stream) {
      // The stream is out of sync after a request Beast cannot parse: answer once, then close.
      keep_alive_ = false;
      return SendLocal(400, "Bad request: " + ec.message());
    }
    Close();
  }

  void OnRequest() {
    ++request_seq_;
    start_ = gw_.clock().Steady();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    http10_ = req.version() < 11;
    head_request_ = req.method() == http::verb::head;
    attempts_ = 0;
    tried_.clear();
    timed_out_ = false;
    deadline_armed_ = false;
    response_started_ = false;
    head_pending_ = false;
    response_code_ = 0;

    auto target = SplitTarget(req.target());
    if (!target.ok()) return SendLocal(400, "Bad request: " + target.status().message());
    std::string_view raw_host = target->authority;
    if (raw_host.empty()) {
      auto it = req.find(http::field::host);
      if (it == req.end()) {
        if (!http10_) return SendLocal(400, "Bad request: missing Host header.");
      } else {
        raw_host = it->value();
      }
    }
    std::string host;
    if (!raw_host.empty()) {
      auto normalized = NormalizeHost(raw_host);
      if (!normalized.ok()) {
        return SendLocal(400, "Bad request: invalid Host header: " + normalized.status().message());
      }
      host = std::move(*normalized);
    }
    table_ = gw_.Table(loop_);
    route_ = table_ ? table_->Match(host, target->path) : nullptr;
    if (route_ == nullptr) {
      return SendLocal(404, "No route for host \"" + std::string(Clip(host)) + "\" and path \"" +
                                std::string(Clip(target->path)) + "\".");
    }
    revision_ = route_->Pick();
    if (revision_ == nullptr) {
      return SendLocal(503, "No ready revision for host \"" + host + "\".");
    }
    revision_->metrics().RecordArrival(gw_.NowSecond());
    revision_->metrics().AddInflight(1);
    WriteUpstreamHead(
        req, ForwardedTarget(target->path_and_query, route_->path_prefix(), route_->strip_prefix()),
        raw_host, client_ip_, upstream_head_);
    Acquire();
  }

  // ---- endpoint: pick or hold ---------------------------------------------------------------

  void Acquire() {
    std::vector<const Endpoint*> avoid;
    avoid.reserve(tried_.size());
    for (const auto& e : tried_) avoid.push_back(e.get());
    auto self = shared_from_this();
    const uint64_t seq = request_seq_;
    Revision::Resume resume = [self, seq](std::shared_ptr<Endpoint> endpoint) {
      // The release comes from the controller's thread: continue on this session's loop.
      asio::post(self->socket_.get_executor(),
                 [self, seq, endpoint = std::move(endpoint)] { self->OnReleased(seq, endpoint); });
    };
    Revision::Acquired a = revision_->Acquire(avoid, std::move(resume));
    switch (a.outcome) {
      case Revision::Outcome::kEndpoint:
        endpoint_ = std::move(a.endpoint);
        return Connect();
      case Revision::Outcome::kHeld:
        phase_ = Phase::kHeld;
        ticket_ = a.ticket;
        timer_.expires_after(gw_.options().activator.hold_timeout);
        timer_.async_wait([self, seq](beast::error_code ec) {
          if (!ec) self->OnHoldTimeout(seq);
        });
        return;
      case Revision::Outcome::kQueueFull:
        return SendLocal(503, "Revision \"" + revision_->name() +
                                  "\" has no ready endpoint and its activator queue is full.");
      case Revision::Outcome::kGone:
        return SendLocal(503, "Revision \"" + revision_->name() + "\" was removed.");
    }
  }

  void OnHoldTimeout(uint64_t seq) {
    if (seq != request_seq_ || phase_ != Phase::kHeld) return;
    // False: an endpoint was assigned concurrently and OnReleased is on its way.
    if (!revision_->CancelHold(ticket_)) return;
    SendLocal(504, "Revision \"" + revision_->name() + "\" had no ready endpoint within " +
                       Seconds(gw_.options().activator.hold_timeout) + ".");
  }

  // The request is done with `e`: its revision gives the slot to a waiting request, if any.
  void ReturnEndpoint(Endpoint& e) {
    if (revision_ != nullptr) {
      revision_->Release(e);
    } else {
      e.outstanding.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void OnReleased(uint64_t seq, std::shared_ptr<Endpoint> endpoint) {
    if (seq != request_seq_ || phase_ != Phase::kHeld) {
      // Cannot happen (a held request is only answered after CancelHold succeeded), but an
      // endpoint handed over must not leak an outstanding count.
      if (endpoint) ReturnEndpoint(*endpoint);
      return;
    }
    timer_.cancel();
    if (!endpoint) return SendLocal(503, "Revision \"" + revision_->name() + "\" was removed.");
    endpoint_ = std::move(endpoint);
    // The hold replaced the request timer (a retry can land in the activator again when the
    // endpoints vanished meanwhile): the route's timeout starts (again) from here.
    deadline_armed_ = false;
    Connect();
  }

  // ---- upstream: connect, send, read the head -----------------------------------------------

  void Connect() {
    phase_ = Phase::kConnecting;
    const uint64_t seq = request_seq_;
    if (!deadline_armed_) {
      // The route's timeout starts once the request leaves the activator.
      deadline_armed_ = true;
      timer_.expires_after(route_->timeout());
      timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
        if (!ec) self->OnRequestTimeout(seq);
      });
    }
    if (!force_new_connection_) {
      if (auto idle = loop_.pool.Take(*endpoint_)) {
        upstream_.emplace(std::move(*idle));
        reused_ = true;
        return SendRequest();
      }
    }
    force_new_connection_ = false;
    reused_ = false;
    connect_timed_out_ = false;
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint_->address.ip, ec);
    if (ec) return UpstreamFailure(UpstreamError::kConnect);
    upstream_.emplace(loop_.io);
    gw_.counters().upstream_connections_opened.fetch_add(1, std::memory_order_relaxed);
    const uint64_t attempt = ++attempt_seq_;
    connect_timer_.expires_after(gw_.options().connect_timeout);
    connect_timer_.async_wait([self = shared_from_this(), attempt](beast::error_code ec) {
      if (ec || attempt != self->attempt_seq_ || self->phase_ != Phase::kConnecting) return;
      self->connect_timed_out_ = true;
      beast::error_code ignored;
      if (self->upstream_) self->upstream_->close(ignored);
    });
    upstream_->async_connect(
        tcp::endpoint(address, endpoint_->address.port),
        [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
  }

  void OnConnect(beast::error_code ec) {
    connect_timer_.cancel();
    if (timed_out_) return OnTimedOut();
    if (ec) {
      return UpstreamFailure(connect_timed_out_ ? UpstreamError::kTimeout
                                                : UpstreamError::kConnect);
    }
    upstream_->set_option(tcp::no_delay(true), ec);
    SendRequest();
  }

  void SendRequest() {
    phase_ = Phase::kSending;
    const std::string& body = parser_->get().body();
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(upstream_head_), asio::buffer(body)};
    asio::async_write(*upstream_, buffers,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (self->timed_out_) return self->OnTimedOut();
                        if (ec) return self->UpstreamFailure(UpstreamError::kReset);
                        self->ReadResponseHead();
                      });
  }

  void ReadResponseHead() {
    phase_ = Phase::kAwaiting;
    response_parser_.emplace();
    response_parser_->header_limit(static_cast<uint32_t>(gw_.options().max_header_bytes));
    // Streamed through, never held whole. Not boost::none: Beast 1.74 compares a content
    // length against a disengaged optional as "over the limit".
    response_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head_request_) response_parser_->skip(true);
    http::async_read_header(
        *upstream_, upstream_buffer_, *response_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnResponseHead(ec); });
  }

  void OnResponseHead(beast::error_code ec) {
    if (timed_out_) return OnTimedOut();
    if (ec) {
      // Nothing of a response yet: the connection failed (refused, reset, or a pooled one
      // the endpoint had closed), so another attempt cannot duplicate a response.
      if (!response_parser_->got_some()) return UpstreamFailure(UpstreamError::kReset);
      revision_->metrics().RecordUpstreamError(UpstreamError::kProtocol);
      DropUpstream();
      return SendLocal(502, "Upstream sent an invalid response: " + ec.message());
    }
    auto& res = response_parser_->get();
    const int code = res.result_int();
    if (code >= 100 && code < 200) {
      if (code == 101) {
        // Upgrade is hop-by-hop and never forwarded, so a switch cannot be relayed.
        revision_->metrics().RecordUpstreamError(UpstreamError::kProtocol);
        DropUpstream();
        return SendLocal(502, "Upstream switched protocols, which the gateway does not relay.");
      }
      return ReadResponseHead();  // interim response (100 Continue): wait for the real one
    }
    response_code_ = code;
    const bool no_body = head_request_ || code == 204 || code == 304;
    DownstreamFraming framing =
        WriteDownstreamHead(res, response_parser_->content_length().has_value(), no_body, http10_,
                            keep_alive_, down_head_);
    chunked_out_ = framing.chunked;
    keep_alive_ = framing.keep_alive;
    phase_ = Phase::kStreaming;
    head_pending_ = true;
    if (response_parser_->is_done()) return WriteDown(0, true);
    // Body bytes already buffered: read them first so head and body leave in one write.
    if (upstream_buffer_.size() > 0) return RelayBody();
    WriteDown(0, false);
  }

  // ---- relaying the body --------------------------------------------------------------------

  void RelayBody() {
    auto& body = response_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    http::async_read_some(
        *upstream_, upstream_buffer_, *response_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (timed_out_) return OnTimedOut();
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      revision_->metrics().RecordUpstreamError(UpstreamError::kReset);
      DropUpstream();
      if (head_pending_) return SendLocal(502, "Upstream closed the response early.");
      return Abort();
    }
    const size_t got = chunk_.size() - response_parser_->get().body().size;
    const bool done = response_parser_->is_done();
    if (got == 0 && !done && !head_pending_) return RelayBody();  // framing only so far
    WriteDown(got, done);
  }

  // Writes the pending head (if any), `n` body bytes from chunk_ (chunk-framed when the
  // client gets chunked encoding), and the last chunk when `done`.
  void WriteDown(size_t n, bool done) {
    response_started_ = true;
    auto& out = down_buffers_;
    size_t k = 0;
    if (head_pending_) {
      out[k++] = asio::buffer(down_head_);
      head_pending_ = false;
    }
    frame_.clear();
    if (chunked_out_ && n > 0) {
      AppendHex(frame_, n);
      frame_.append("\r\n");
      out[k++] = asio::buffer(frame_);
    }
    if (n > 0) out[k++] = asio::buffer(chunk_.data(), n);
    if (chunked_out_ && n > 0) out[k++] = asio::buffer("\r\n", 2);
    if (chunked_out_ && done) out[k++] = asio::buffer("0\r\n\r\n", 5);
    asio::async_write(socket_, std::span(out.data(), k),
                      [self = shared_from_this(), done](beast::error_code ec, size_t) {
                        if (ec) {
                          // The client went away mid-response.
                          self->DropUpstream();
                          return self->Abort();
                        }
                        if (done) return self->FinishProxied();
                        if (self->timed_out_) return self->OnTimedOut();
                        self->RelayBody();
                      });
  }

  // ---- outcomes -----------------------------------------------------------------------------

  void UpstreamFailure(UpstreamError reason) {
    DropUpstream();
    if (reused_) {
      // A pooled connection the endpoint had closed: not the endpoint's fault, try a fresh
      // connection to it once without spending a retry.
      reused_ = false;
      force_new_connection_ = true;
      return Connect();
    }
    revision_->metrics().RecordUpstreamError(reason);
    ReturnEndpoint(*endpoint_);
    tried_.push_back(std::move(endpoint_));
    endpoint_.reset();
    if (attempts_ < route_->retries()) {
      ++attempts_;
      revision_->metrics().RecordRetry();
      return Acquire();
    }
    SendLocal(502,
              std::string("Upstream connect error or disconnect/reset before headers (") +
                  (reason == UpstreamError::kTimeout ? "connect timeout" : "connection failure") +
                  ") after " + std::to_string(attempts_ + 1) + " attempt(s).");
  }

  void OnRequestTimeout(uint64_t seq) {
    if (seq != request_seq_) return;
    if (phase_ == Phase::kIdle || phase_ == Phase::kHeld || phase_ == Phase::kLocal) return;
    timed_out_ = true;
    beast::error_code ignored;
    // Cancels the pending upstream operation, whose handler sees timed_out_. A client write
    // stuck on a slow reader is cut as well once the response has started.
    if (upstream_) upstream_->close(ignored);
    if (response_started_) socket_.close(ignored);
  }

  void OnTimedOut() {
    revision_->metrics().RecordUpstreamError(UpstreamError::kTimeout);
    DropUpstream();
    if (!response_started_) {
      return SendLocal(504, "Upstream request timeout after " + Seconds(route_->timeout()) + ".");
    }
    Abort();
  }

  void DropUpstream() {
    if (upstream_) {
      beast::error_code ignored;
      upstream_->close(ignored);
      upstream_.reset();
    }
    upstream_buffer_.clear();
  }

  // The gateway's own answer (errors): KServe's JSON body.
  void SendLocal(int code, std::string message) {
    if (code >= 500) {
      spdlog::debug("component=gateway revision={} code={} {}",
                    revision_ != nullptr ? revision_->name() : "", code, message);
    }
    phase_ = Phase::kLocal;
    response_code_ = code;
    timer_.cancel();
    local_body_ = ErrorJson(message);
    std::string& h = down_head_;
    h.clear();
    h.append("HTTP/1.1 ");
    AppendDecimal(h, static_cast<uint64_t>(code));
    h.push_back(' ');
    h.append(Reason(code));
    h.append("\r\nContent-Type: application/json\r\nContent-Length: ");
    AppendDecimal(h, local_body_.size());
    h.append(keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    response_started_ = true;
    std::array<asio::const_buffer, 2> out = {asio::buffer(down_head_), asio::buffer(local_body_)};
    asio::async_write(socket_, out, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->FinishRequest();
      if (ec || !self->keep_alive_) return self->Close();
      self->ReadRequest();
    });
  }

  void FinishProxied() {
    timer_.cancel();
    if (upstream_ && response_parser_->keep_alive() && upstream_buffer_.size() == 0) {
      loop_.pool.Put(*endpoint_, std::move(*upstream_));
      upstream_.reset();
    } else {
      DropUpstream();
    }
    FinishRequest();
    if (!keep_alive_) return Close();
    ReadRequest();
  }

  // Counts the answer and lets go of the endpoint and the revision.
  void FinishRequest() {
    if (response_code_ != 0) gw_.counters().requests.Add(response_code_);
    if (revision_ != nullptr) {
      const double seconds = std::chrono::duration<double>(gw_.clock().Steady() - start_).count();
      revision_->metrics().RecordResponse(response_code_, seconds);
      revision_->metrics().AddInflight(-1);
    }
    if (endpoint_) {
      ReturnEndpoint(*endpoint_);
      endpoint_.reset();
    }
    revision_ = nullptr;
    tried_.clear();
    route_ = nullptr;
    table_.reset();
    phase_ = Phase::kIdle;
  }

  void Abort() {
    timer_.cancel();
    FinishRequest();
    Close();
  }

  // Lingering close: send FIN after what was written, then read and discard until the client
  // closes (bounded by kLinger). Closing with unread input would make the kernel send a reset
  // that can destroy the error response still in flight (413, 431 and 400 leave input unread).
  void Close() {
    if (closing_) return;
    closing_ = true;
    phase_ = Phase::kLocal;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    timer_.expires_after(kLinger);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
    Drain();
  }

  void Drain() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) return self->Drain();
                              self->timer_.cancel();
                              beast::error_code ignored;
                              self->socket_.close(ignored);
                            });
  }

  tcp::socket socket_;
  Loop& loop_;
  Gateway::Impl& gw_;
  std::string client_ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;          // hold timeout, then the route's request timeout
  asio::steady_timer connect_timer_;  // one connect attempt
  Phase phase_ = Phase::kIdle;
  uint64_t request_seq_ = 0;  // guards timer and release callbacks against later requests
  uint64_t attempt_seq_ = 0;  // guards the connect timer against later attempts

  // The request being proxied.
  std::chrono::steady_clock::time_point start_;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_request_ = false;
  std::shared_ptr<const RouteTable> table_;  // keeps route_ and revision_ alive
  const CompiledRoute* route_ = nullptr;
  Revision* revision_ = nullptr;
  std::shared_ptr<Endpoint> endpoint_;  // counted in its outstanding requests while set
  std::vector<std::shared_ptr<Endpoint>> tried_;
  uint64_t ticket_ = 0;
  int attempts_ = 0;
  bool deadline_armed_ = false;
  bool timed_out_ = false;
  bool connect_timed_out_ = false;
  bool reused_ = false;
  bool force_new_connection_ = false;
  bool closing_ = false;
  std::string upstream_head_;

  // Upstream side.
  std::optional<tcp::socket> upstream_;
  beast::flat_buffer upstream_buffer_;
  std::optional<http::response_parser<http::buffer_body>> response_parser_;
  std::array<char, kBodyChunk> chunk_;

  // Downstream response.
  int response_code_ = 0;
  bool response_started_ = false;
  bool head_pending_ = false;
  bool chunked_out_ = false;
  std::string down_head_;
  std::string frame_;
  std::array<asio::const_buffer, 5> down_buffers_;  // WriteDown's sequence, alive until done
  std::string local_body_;
};

}  // namespace

void StartProxySession(tcp::socket socket, Loop& loop, Gateway::Impl& gateway) {
  std::make_shared<ProxySession>(std::move(socket), loop, gateway)->Start();
}

}  // namespace skiff::gateway
