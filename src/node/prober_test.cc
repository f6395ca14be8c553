// Tests for probes against a real local listener, and threshold bookkeeping.
#include "node/prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace skiff::node {
namespace {

// Accepts one connection, reads the request and answers `response`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this] {
      int c = accept(fd_, nullptr, nullptr);
      char buf[4096];
      ssize_t n = recv(c, buf, sizeof(buf), 0);
      if (n > 0) request_.assign(buf, static_cast<size_t>(n));
      send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
      close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  std::string response_;
  std::string request_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

Probe Http(int port, const std::string& path = "/healthz") {
  Probe p;
  p.kind = Probe::Kind::kHttpGet;
  p.port = std::to_string(port);
  p.path = path;
  p.timeout_seconds = 5;
  return p;
}

TEST(RunProbe, HttpSuccessAndFailure) {
  {
    OneShotServer server("HTTP/1.1 204 No Content\r\n\r\n");
    ProbeOutcome o = RunProbe(Http(server.port()), {.pod_ip = "127.0.0.1"});
    EXPECT_TRUE(o.success) << o.message;
    EXPECT_EQ(server.request().rfind("GET /healthz HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(server.request().find("User-Agent: kube-probe/1.32"), std::string::npos);
  }
  {
    OneShotServer server("HTTP/1.1 500 Internal Server Error\r\n\r\n");
    ProbeOutcome o = RunProbe(Http(server.port()), {.pod_ip = "127.0.0.1"});
    EXPECT_FALSE(o.success);
    EXPECT_EQ(o.message, "HTTP probe failed with statuscode: 500");
  }
  {
    // A named port resolves through the container's ports.
    OneShotServer server("HTTP/1.1 200 OK\r\n\r\n");
    Probe p = Http(0);
    p.port = "web";
    ProbeOutcome o = RunProbe(
        p, {.pod_ip = "127.0.0.1", .ports = {{.name = "web", .container_port = server.port()}}});
    EXPECT_TRUE(o.success) << o.message;
  }
}

TEST(RunProbe, TcpAndExec) {
  Probe tcp;
  tcp.kind = Probe::Kind::kTcpSocket;
  {
    OneShotServer server("");
    tcp.port = std::to_string(server.port());
    EXPECT_TRUE(RunProbe(tcp, {.pod_ip = "127.0.0.1"}).success);
  }
  tcp.port = "1";  // nothing listens on port 1
  ProbeOutcome o = RunProbe(tcp, {.pod_ip = "127.0.0.1"});
  EXPECT_FALSE(o.success);
  EXPECT_NE(o.message.find("dial tcp 127.0.0.1:1"), std::string::npos);
  Probe exec;
  exec.kind = Probe::Kind::kExec;
  exec.timeout_seconds = 10;
  exec.command = {"sh", "-c", "test \"$MODE\" = ok"};
  EXPECT_TRUE(RunProbe(exec, {.env = {{"MODE", "ok"}}}).success);
  EXPECT_FALSE(RunProbe(exec, {.env = {{"MODE", "bad"}}}).success);
}

TEST(ProbeTracker, Thresholds) {
  Probe p;
  p.success_threshold = 2;
  p.failure_threshold = 3;
  ProbeTracker t;
  EXPECT_FALSE(t.Record(p, true));
  EXPECT_TRUE(t.Record(p, true));
  EXPECT_EQ(t.result(), ProbeTracker::Result::kSuccess);
  EXPECT_FALSE(t.Record(p, false));
  EXPECT_FALSE(t.Record(p, false));
  EXPECT_EQ(t.result(), ProbeTracker::Result::kSuccess);
  EXPECT_FALSE(t.Record(p, true));  // resets the failure run
  t.Record(p, false);
  t.Record(p, false);
  EXPECT_TRUE(t.Record(p, false));
  EXPECT_EQ(t.result(), ProbeTracker::Result::kFailure);
}

}  // namespace
}  // namespace skiff::node
