// Test helpers (fake_upstream_testonly.h): in-process upstream servers and a blocking client.
// The client uses plain sockets with poll() deadlines, so a broken gateway fails a test rather
// than hanging it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <limits>
#include <thread>

#include "gateway/fake_upstream_testonly.h"

namespace skiff::gateway::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void Gate::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = true;
  cv_.notify_all();
}

bool Gate::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, kTestDeadline, [this] { return open_; });
}

bool Gate::is_open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

bool WaitUntil(const std::function<bool()>& predicate) {
  auto deadline = std::chrono::steady_clock::now() + kTestDeadline;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

std::string UpstreamRequest::Get(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string ClientResponse::Get(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Hex(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%zx", n);
  return buf;
}

class Writer : public ResponseWriter {
 public:
  explicit Writer(tcp::socket& socket) : socket_(socket) {}

  void Send(int status, std::string body, std::string content_type,
            std::vector<std::pair<std::string, std::string>> headers) override {
    std::string out = Head(status, content_type);
    for (auto& [k, v] : headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    Raw(out);
  }
  void StartStream(int status, std::string content_type, bool chunked,
                   size_t content_length) override {
    chunked_ = chunked;
    std::string out = Head(status, content_type);
    out += chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                   : "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
    Raw(out);
  }
  void Write(std::string_view data) override {
    Raw(chunked_ ? Hex(data.size()) + "\r\n" + std::string(data) + "\r\n" : std::string(data));
  }
  void End() override {
    if (chunked_) Raw("0\r\n\r\n");
  }
  void Close() override {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }
  bool closed() const { return closed_; }

 private:
  static std::string Head(int status, const std::string& content_type) {
    return "HTTP/1.1 " + std::to_string(status) + " " +
           std::string(http::obsolete_reason(static_cast<http::status>(status))) +
           "\r\nContent-Type: " + content_type + "\r\n";
  }
  void Raw(const std::string& s) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(s), ec);
  }
  tcp::socket& socket_;
  bool chunked_ = false;
  bool closed_ = false;
};

}  // namespace

struct FakeUpstream::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex mu;
  std::vector<std::thread> threads;   // guarded by mu
  std::vector<int> fds;               // guarded by mu
  std::vector<UpstreamRequest> seen;  // guarded by mu
  bool stopping = false;              // guarded by mu
};

FakeUpstream::FakeUpstream(UpstreamHandler handler)
    : handler_(std::move(handler)), impl_(std::make_unique<Impl>()) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  // The accept thread, and a thread per connection: simple blocking code is enough here.
  impl_->accept_thread = std::thread([this] {
    while (true) {
      boost::system::error_code ec;
      tcp::socket socket(impl_->io);
      impl_->acceptor.accept(socket, ec);
      if (ec) return;
      std::lock_guard<std::mutex> lock(impl_->mu);
      if (impl_->stopping) return;
      connections_++;
      socket.set_option(tcp::no_delay(true), ec);
      impl_->fds.push_back(socket.native_handle());
      impl_->threads.emplace_back([this, s = std::move(socket)]() mutable {
        beast::flat_buffer buffer;
        while (true) {
          http::request<http::string_body> req;
          boost::system::error_code ec;
          http::read(s, buffer, req, ec);
          if (ec) break;
          UpstreamRequest r;
          r.method = std::string(req.method_string());
          r.target = std::string(req.target());
          r.body = req.body();
          for (const auto& f : req) r.headers[Lower(f.name_string())] = std::string(f.value());
          {
            std::lock_guard<std::mutex> lock(impl_->mu);
            impl_->seen.push_back(r);
          }
          requests_++;
          Writer w(s);
          handler_(r, w);
          if (w.closed() || !req.keep_alive()) break;
        }
        boost::system::error_code ignored;
        s.shutdown(tcp::socket::shutdown_both, ignored);
      });
    }
  });
}

FakeUpstream::~FakeUpstream() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  }
  // Wakes the blocked accept.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) t.join();
}

std::vector<UpstreamRequest> FakeUpstream::seen() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->seen;
}

UpstreamHandler Reply(std::string body) {
  return [body](const UpstreamRequest&, ResponseWriter& w) { w.Send(200, body); };
}

int RefusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // bound, never listened: the port refuses connections
  return ntohs(a.sin_port);
}

struct TestClient::Impl {
  int fd = -1;
  std::string pending;  // bytes read and not yet parsed
  std::chrono::steady_clock::time_point deadline;

  // Appends what arrives next; false on EOF, error or deadline.
  bool RecvSome(std::string& out) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    out.append(buf, static_cast<size_t>(n));
    return true;
  }
};

TestClient::TestClient(int port) : impl_(std::make_unique<Impl>()) {
  impl_->fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::connect(impl_->fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  int one = 1;
  ::setsockopt(impl_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

TestClient::~TestClient() { ::close(impl_->fd); }

bool TestClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(impl_->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool TestClient::ReadUntil(std::string_view needle) {
  impl_->deadline = std::chrono::steady_clock::now() + kTestDeadline;
  while (raw_.find(needle) == std::string::npos) {
    if (!impl_->RecvSome(raw_)) return false;
  }
  return true;
}

ClientResponse TestClient::ReadResponse() {
  ClientResponse out;
  impl_->deadline = std::chrono::steady_clock::now() + kTestDeadline;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.header_limit(1 << 20);
  while (true) {
    if (!impl_->pending.empty()) {
      boost::system::error_code ec;
      size_t used = parser.put(asio::buffer(impl_->pending), ec);
      impl_->pending.erase(0, used);
      if (ec && ec != http::error::need_more) return out;
      if (parser.is_done()) break;
      if (used > 0 && !ec) continue;
    }
    if (!impl_->RecvSome(impl_->pending)) {
      boost::system::error_code ec;
      parser.put_eof(ec);
      if (ec || !parser.is_done()) return out;
      break;
    }
  }
  auto& res = parser.get();
  out.ok = true;
  out.status = res.result_int();
  for (const auto& f : res) out.headers[Lower(f.name_string())] = std::string(f.value());
  out.body = res.body();
  return out;
}

ClientResponse TestClient::Request(std::string_view method, std::string_view target,
                                   std::string_view host, std::string_view body,
                                   std::vector<std::pair<std::string, std::string>> headers) {
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  if (!host.empty()) req += "Host: " + std::string(host) + "\r\n";
  for (auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  if (!SendRaw(req)) return {};
  return ReadResponse();
}

}  // namespace skiff::gateway::testing
