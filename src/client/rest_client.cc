// RestClient over Boost.Beast. Each connection owns a private io_context; synchronous calls run
// one async operation at a time on it, which lets beast::tcp_stream enforce per-call deadlines
// (its expiry applies only to async operations).
#include "client/rest_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/base64.h"
#include "base/json.h"

namespace skiff::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::chrono::seconds kDefaultTimeout{60};
constexpr uint64_t kMaxBodyBytes = 1ull << 30;  // lists of large objects can be big

struct ServerUrl {
  bool tls = true;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string base_path;  // prefix before every request path, no trailing '/'
};

StatusOr<ServerUrl> ParseServerUrl(std::string_view url) {
  ServerUrl out;
  if (url.rfind("https://", 0) == 0) {
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    url.remove_prefix(7);
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgument("unsupported server URL scheme: " + std::string(url));
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.base_path = std::string(url.substr(slash));
    while (!out.base_path.empty() && out.base_path.back() == '/') {
      out.base_path.pop_back();
    }
  }
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("invalid server URL: " + std::string(url));
    }
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') {
      out.port = std::string(authority.substr(1));
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.port = std::string(authority.substr(colon + 1));
    }
  }
  if (out.host.empty()) {
    return InvalidArgument("invalid server URL: no host");
  }
  if (out.port.empty()) {
    out.port = out.tls ? "443" : "80";
  }
  return out;
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// `299 - "text"` → text (RFC 7234 warn-text, with \" unescaped).
std::string WarningText(std::string_view value) {
  size_t q = value.find('"');
  if (q == std::string_view::npos) {
    return std::string(value);
  }
  std::string out;
  for (size_t i = q + 1; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out += value[++i];
    } else if (value[i] == '"') {
      break;
    } else {
      out += value[i];
    }
  }
  return out;
}

struct Connection {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the async operation begun by `start(handler)` to completion, bounded by `deadline`
  // (nullopt = none). Returns the operation's error (beast::error::timeout on expiry).
  template <class Start>
  beast::error_code Run(std::optional<SteadyTime> deadline, Start&& start) {
    if (deadline) {
      Lowest().expires_at(*deadline);
    } else {
      Lowest().expires_never();
    }
    beast::error_code result;
    bool done = false;
    start([&result, &done](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
    return result;
  }

  template <class F>
  beast::error_code Visit(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }
};

// Errors that mean a reused keep-alive connection was closed by the server while idle.
bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

}  // namespace

std::string QueryEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PathEscape(std::string_view s) { return QueryEscape(s); }

std::string EncodeQuery(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) {
      out += '&';
    }
    out += QueryEscape(k);
    out += '=';
    out += QueryEscape(v);
  }
  return out;
}

struct RestClient::Impl {
  RestConfig config;
  RestClientOptions options;
  ServerUrl url;
  std::string host_header;
  std::string authorization;
  std::optional<ssl::context> ssl_ctx;

  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mu

  StatusOr<std::unique_ptr<Connection>> Dial(std::optional<SteadyTime> deadline) {
    auto conn = std::make_unique<Connection>();
    tcp::resolver resolver(conn->ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    std::string where = url.host + ":" + url.port;
    if (ec) {
      return Unavailable("dial tcp: lookup " + url.host + ": " + ec.message());
    }
    if (ssl_ctx) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(conn->ioc, *ssl_ctx);
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(conn->ioc);
    }
    ec = conn->Run(deadline,
                   [&](auto handler) { conn->Lowest().async_connect(endpoints, handler); });
    if (ec) {
      if (ec == beast::error::timeout) {
        return DeadlineExceeded("dial tcp " + where + ": i/o timeout");
      }
      return Unavailable("dial tcp " + where + ": connect: " + ec.message());
    }
    conn->Lowest().socket().set_option(tcp::no_delay(true), ec);
    if (conn->tls) {
      SSL* ssl = conn->tls->native_handle();
      const std::string& name = config.tls_server_name.empty() ? url.host : config.tls_server_name;
      // RFC 6066: SNI carries DNS names only.
      if (!IsIpAddress(name)) {
        SSL_set_tlsext_host_name(ssl, name.c_str());
      }
      if (!config.insecure) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (IsIpAddress(name)) {
          X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        }
      }
      ec = conn->Run(deadline, [&](auto handler) {
        conn->tls->async_handshake(ssl::stream_base::client, handler);
      });
      if (ec) {
        std::string why = ec.message();
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
          why = std::string("x509: ") + X509_verify_cert_error_string(verify);
        }
        return Unavailable("tls: handshake with " + where + " failed: " + why);
      }
    }
    return conn;
  }

  StatusOr<std::unique_ptr<Connection>> Acquire(std::optional<SteadyTime> deadline,
                                                bool allow_reuse, bool* reused) {
    while (allow_reuse) {
      std::unique_ptr<Connection> conn;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (idle.empty()) {
          break;
        }
        conn = std::move(idle.back());
        idle.pop_back();
      }
      // An idle connection with something to read was closed by the server (EOF, TLS
      // close_notify) or is out of sync; Go's transport drops these in its background reader.
      pollfd pfd{.fd = conn->Lowest().socket().native_handle(), .events = POLLIN, .revents = 0};
      if (::poll(&pfd, 1, 0) != 0) {
        continue;
      }
      *reused = true;
      return conn;
    }
    *reused = false;
    return Dial(deadline);
  }

  void Release(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu);
    if (static_cast<int>(idle.size()) < options.max_idle_connections) {
      idle.push_back(std::move(conn));
    }
  }

  StatusOr<http::request<http::string_body>> BuildMessage(const Request& req) {
    http::verb verb = http::string_to_verb(req.method);
    if (verb == http::verb::unknown) {
      return InvalidArgument("unknown HTTP method " + req.method);
    }
    std::string target = url.base_path + req.path;
    if (!req.query.empty()) {
      target += '?';
      target += EncodeQuery(req.query);
    }
    http::request<http::string_body> msg{verb, target, 11};
    msg.set(http::field::host, host_header);
    msg.set(http::field::user_agent, options.user_agent);
    msg.set(http::field::accept, req.accept);
    if (!authorization.empty()) {
      msg.set(http::field::authorization, authorization);
    }
    bool has_body = !req.body.empty() || verb == http::verb::post || verb == http::verb::put ||
                    verb == http::verb::patch;
    if (has_body) {
      msg.set(http::field::content_type, req.content_type);
      msg.body() = req.body;
    }
    for (const auto& [k, v] : req.headers) {
      msg.set(k, v);
    }
    msg.keep_alive(true);
    msg.prepare_payload();
    return msg;
  }

  // Sends `msg` on a pooled or new connection. When a reused connection fails before any reply
  // byte arrives, retries once on a fresh connection if the request cannot have been processed
  // (the write failed) or is safe to repeat (GET/HEAD/OPTIONS), the rule Go's net/http applies.
  // Leaves the reply header (at least) parsed in `parser`.
  template <class Parser, class ReadOp>
  StatusOr<std::unique_ptr<Connection>> SendAndRead(const http::request<http::string_body>& msg,
                                                    std::optional<SteadyTime> deadline,
                                                    Parser& parser_slot, ReadOp read) {
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      SKIFF_ASSIGN_OR_RETURN(auto conn, Acquire(deadline, attempt == 0, &reused));
      parser_slot.emplace();
      parser_slot->body_limit(kMaxBodyBytes);
      beast::error_code ec = conn->Run(deadline, [&](auto handler) {
        conn->Visit([&](auto& stream) {
          http::async_write(stream, msg, handler);
          return beast::error_code();
        });
      });
      bool write_failed = static_cast<bool>(ec);
      if (!ec) {
        ec = read(*conn, *parser_slot);
      }
      if (!ec) {
        return conn;
      }
      if (ec == beast::error::timeout) {
        return DeadlineExceeded("request to " + host_header + " timed out");
      }
      bool replayable = msg.method() == http::verb::get || msg.method() == http::verb::head ||
                        msg.method() == http::verb::options;
      if (reused && !parser_slot->got_some() && IsStaleConnectionError(ec) &&
          (write_failed || replayable)) {
        continue;
      }
      return Unavailable("request to " + host_header + " failed: " + ec.message());
    }
  }

  void ReportWarnings(const http::response_header<>& header, std::vector<std::string>* out) {
    for (const auto& field : header) {
      if (field.name() == http::field::warning) {
        std::string text = WarningText(field.value());
        if (options.on_warning) {
          options.on_warning(text);
        }
        if (out) {
          out->push_back(std::move(text));
        }
      }
    }
  }
};

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

const RestConfig& RestClient::config() const { return impl_->config; }

StatusOr<std::unique_ptr<RestClient>> RestClient::Create(const RestConfig& config,
                                                         RestClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = std::move(options);
  SKIFF_ASSIGN_OR_RETURN(impl->url, ParseServerUrl(config.server));
  const ServerUrl& url = impl->url;
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  bool default_port = (url.tls && url.port == "443") || (!url.tls && url.port == "80");
  impl->host_header = default_port ? host : host + ":" + url.port;
  if (!config.token.empty()) {
    impl->authorization = "Bearer " + config.token;
  } else if (!config.username.empty()) {
    impl->authorization = "Basic " + Base64Encode(config.username + ":" + config.password);
  }
  if (url.tls) {
    impl->ssl_ctx.emplace(ssl::context::tls_client);
    ssl::context& ctx = *impl->ssl_ctx;
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                    ec);
    if (config.insecure) {
      ctx.set_verify_mode(ssl::verify_none, ec);
    } else {
      ctx.set_verify_mode(ssl::verify_peer, ec);
      if (!config.ca_data.empty()) {
        ctx.add_certificate_authority(asio::buffer(config.ca_data), ec);
        if (ec) {
          return InvalidArgument("invalid certificate-authority data: " + ec.message());
        }
      } else {
        ctx.set_default_verify_paths(ec);
      }
    }
    if (!config.client_cert_pem.empty()) {
      ctx.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
      if (ec) {
        return InvalidArgument("invalid client certificate: " + ec.message());
      }
      ctx.use_private_key(asio::buffer(config.client_key_pem), ssl::context::pem, ec);
      if (ec) {
        return InvalidArgument("invalid client key: " + ec.message());
      }
    }
  }
  return std::unique_ptr<RestClient>(new RestClient(std::move(impl)));
}

StatusOr<Response> RestClient::Do(const Request& request) {
  auto deadline = std::chrono::steady_clock::now() +
                  (request.timeout.count() > 0 ? std::chrono::milliseconds(request.timeout)
                                               : std::chrono::milliseconds(kDefaultTimeout));
  SKIFF_ASSIGN_OR_RETURN(auto msg, impl_->BuildMessage(request));
  std::optional<http::response_parser<http::string_body>> parser;
  auto read = [&](Connection& conn, http::response_parser<http::string_body>& p) {
    return conn.Run(deadline, [&](auto handler) {
      conn.Visit([&](auto& stream) {
        http::async_read(stream, conn.buffer, p, handler);
        return beast::error_code();
      });
    });
  };
  SKIFF_ASSIGN_OR_RETURN(auto conn, impl_->SendAndRead(msg, deadline, parser, read));
  bool keep_alive = parser->keep_alive();
  auto res = parser->release();
  if (keep_alive) {
    impl_->Release(std::move(conn));
  }
  Response out;
  out.status = static_cast<int>(res.result_int());
  if (impl_->options.on_response) {
    impl_->options.on_response(request, out.status);
  }
  out.content_type = std::string(res[http::field::content_type]);
  impl_->ReportWarnings(res.base(), &out.warnings);
  out.body = std::move(res.body());
  if (out.status < 200 || out.status >= 300) {
    return StatusFromResponse(out.status, out.body);
  }
  return out;
}

void Canceler::Cancel() {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    hook = hook_;
  }
  if (hook) {
    hook();
  }
}

bool Canceler::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

bool Canceler::Attach(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) {
    return false;
  }
  hook_ = std::move(hook);
  return true;
}

void Canceler::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = nullptr;
}

Status RestClient::Stream(const Request& request,
                          const std::function<bool(std::string_view line)>& on_line) {
  if (request.canceler && request.canceler->cancelled()) {
    return Cancelled("stream cancelled");
  }
  std::optional<SteadyTime> deadline;
  if (request.timeout.count() > 0) {
    deadline = std::chrono::steady_clock::now() + request.timeout;
  }
  SKIFF_ASSIGN_OR_RETURN(auto msg, impl_->BuildMessage(request));
  std::optional<http::response_parser<http::buffer_body>> parser;
  auto read_header = [&](Connection& conn, http::response_parser<http::buffer_body>& p) {
    return conn.Run(deadline, [&](auto handler) {
      conn.Visit([&](auto& stream) {
        http::async_read_header(stream, conn.buffer, p, handler);
        return beast::error_code();
      });
    });
  };
  SKIFF_ASSIGN_OR_RETURN(auto conn, impl_->SendAndRead(msg, deadline, parser, read_header));
  parser->body_limit((std::numeric_limits<std::uint64_t>::max)());
  // Cancellation closes the socket from the connection's own io_context (post is thread-safe),
  // which fails the pending read; the hook is detached before `conn` can be destroyed.
  struct Detacher {
    Canceler* c;
    ~Detacher() {
      if (c) c->Detach();
    }
  } detacher{nullptr};
  if (request.canceler) {
    Connection* raw = conn.get();
    if (!request.canceler->Attach([raw] {
          asio::post(raw->ioc, [raw] {
            beast::error_code ignored;
            raw->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
            raw->Lowest().cancel();
          });
        })) {
      return Cancelled("stream cancelled");
    }
    detacher.c = request.canceler.get();
  }
  int status = static_cast<int>(parser->get().result_int());
  if (impl_->options.on_response) {
    impl_->options.on_response(request, status);
  }
  impl_->ReportWarnings(parser->get().base(), nullptr);
  bool ok_status = status >= 200 && status < 300;
  std::string pending;
  char buf[16384];
  while (!parser->is_done()) {
    parser->get().body().data = buf;
    parser->get().body().size = sizeof(buf);
    beast::error_code ec = conn->Run(deadline, [&](auto handler) {
      conn->Visit([&](auto& stream) {
        // read_some, not read: a watch delivers each event as soon as its chunk arrives rather
        // than when the body buffer fills.
        http::async_read_some(stream, conn->buffer, *parser, handler);
        return beast::error_code();
      });
    });
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec == beast::error::timeout) {
      return DeadlineExceeded("stream from " + impl_->host_header + " timed out");
    }
    if (ec && request.canceler && request.canceler->cancelled()) {
      return Cancelled("stream cancelled");
    }
    if (ec) {
      return Unavailable("stream from " + impl_->host_header + " failed: " + ec.message());
    }
    size_t n = sizeof(buf) - parser->get().body().size;
    pending.append(buf, n);
    if (!ok_status) {
      continue;
    }
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      if (!on_line(line)) {
        return Status::Ok();  // the connection is dropped: the rest of the stream is unwanted
      }
    }
    pending.erase(0, start);
  }
  if (!ok_status) {
    return StatusFromResponse(status, pending);
  }
  if (!pending.empty()) {
    on_line(pending);
  }
  if (parser->keep_alive()) {
    impl_->Release(std::move(conn));
  }
  return Status::Ok();
}

}  // namespace skiff::client
