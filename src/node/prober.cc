// Probe implementations: HTTP GET and TCP connect against the pod IP, exec inside the
// container's namespaces, and grpc.health.v1 Check over cleartext HTTP/2.
#include "node/prober.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "node/launcher.h"

namespace skiff::node {
namespace {

using Clock = std::chrono::steady_clock;

int ResolvePort(const std::string& port, const std::vector<ContainerPort>& ports) {
  if (!port.empty() && std::all_of(port.begin(), port.end(), ::isdigit)) return std::stoi(port);
  for (const auto& p : ports) {
    if (p.name == port) return p.container_port;
  }
  return -1;
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// A connected TCP socket or -1 with `err` set.
int Connect(const std::string& host, int port, Clock::time_point deadline, std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    *err = "cannot resolve " + host;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) {
    *err = std::string("dial tcp ") + host + ":" + std::to_string(port) + ": " + strerror(errno);
    close(fd);
    return -1;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0) {
      *err = "dial tcp " + host + ":" + std::to_string(port) + ": i/o timeout";
      close(fd);
      return -1;
    }
    int so = 0;
    socklen_t len = sizeof(so);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
    if (so != 0) {
      *err = "dial tcp " + host + ":" + std::to_string(port) + ": " + strerror(so);
      close(fd);
      return -1;
    }
  }
  return fd;
}

bool SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0) return false;
  }
  return true;
}

// Reads until `done(buffer)` or EOF/timeout; returns false on timeout.
bool ReadUntil(int fd, std::string* buf, Clock::time_point deadline,
               const std::function<bool(const std::string&)>& done) {
  char tmp[4096];
  while (!done(*buf)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0) return false;
    ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return true;
    buf->append(tmp, static_cast<size_t>(n));
    if (buf->size() > (1 << 20)) return true;
  }
  return true;
}

ProbeOutcome HttpGet(const Probe& probe, const std::string& host, int port,
                     Clock::time_point deadline) {
  if (probe.scheme == "HTTPS") {
    return {false, "HTTPS probes are not supported by the local node agent (docs/node.md)"};
  }
  std::string err;
  int fd = Connect(host, port, deadline, &err);
  if (fd < 0)
    return {false, "Get \"http://" + host + ":" + std::to_string(port) + probe.path + "\": " + err};
  std::string path = probe.path.empty() ? "/" : probe.path;
  if (path[0] != '/') path = "/" + path;
  std::string req = "GET " + path + " HTTP/1.1\r\n";
  bool has_host = false, has_ua = false, has_accept = false;
  std::string extra;
  for (const auto& [k, v] : probe.http_headers) {
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(::tolower(ch));
    has_host |= lower == "host";
    has_ua |= lower == "user-agent";
    has_accept |= lower == "accept";
    extra += k + ": " + v + "\r\n";
  }
  if (!has_host) req += "Host: " + host + ":" + std::to_string(port) + "\r\n";
  if (!has_ua) req += "User-Agent: kube-probe/1.32\r\n";
  if (!has_accept) req += "Accept: */*\r\n";
  req += extra + "Connection: close\r\n\r\n";
  std::string resp;
  bool ok = SendAll(fd, req, deadline) && ReadUntil(fd, &resp, deadline, [](const std::string& b) {
              return b.find("\r\n") != std::string::npos;
            });
  close(fd);
  if (!ok)
    return {false,
            "Get \"http://" + host + ":" + std::to_string(port) + path +
                "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"};
  int code = 0;
  if (resp.rfind("HTTP/", 0) == 0) {
    size_t sp = resp.find(' ');
    if (sp != std::string::npos) code = std::atoi(resp.c_str() + sp + 1);
  }
  if (code >= 200 && code < 400) return {true, ""};
  if (code == 0) return {false, "HTTP probe failed: malformed response"};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(code)};
}

// grpc.health.v1.Health/Check over h2c: preface, SETTINGS, one HEADERS frame with literal
// (non-Huffman, non-indexed) fields, one DATA frame; SERVING is the response byte pair 08 01.
ProbeOutcome Grpc(const Probe& probe, const std::string& host, int port,
                  Clock::time_point deadline) {
  std::string err;
  int fd = Connect(host, port, deadline, &err);
  if (fd < 0) {
    return {false, "timeout: failed to connect service \"" + host + ":" + std::to_string(port) +
                       "\" within " + std::to_string(probe.timeout_seconds) + "s: " + err};
  }
  auto frame = [](uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
    std::string f;
    uint32_t len = static_cast<uint32_t>(payload.size());
    f.push_back(static_cast<char>((len >> 16) & 0xff));
    f.push_back(static_cast<char>((len >> 8) & 0xff));
    f.push_back(static_cast<char>(len & 0xff));
    f.push_back(static_cast<char>(type));
    f.push_back(static_cast<char>(flags));
    for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<char>((stream >> s) & 0x7f));
    return f + payload;
  };
  auto literal = [](const std::string& name, const std::string& value) {
    std::string h;
    h.push_back(0x00);  // literal without indexing, new name
    h.push_back(static_cast<char>(name.size()));
    h += name;
    h.push_back(static_cast<char>(value.size()));
    h += value;
    return h;
  };
  std::string authority = host + ":" + std::to_string(port);
  std::string headers = literal(":method", "POST") + literal(":scheme", "http") +
                        literal(":path", "/grpc.health.v1.Health/Check") +
                        literal(":authority", authority) +
                        literal("content-type", "application/grpc") + literal("te", "trailers");
  std::string msg;
  if (!probe.grpc_service.empty()) {
    msg.push_back(0x0a);
    msg.push_back(static_cast<char>(probe.grpc_service.size()));
    msg += probe.grpc_service;
  }
  std::string grpc_msg = std::string(1, '\0');
  uint32_t mlen = static_cast<uint32_t>(msg.size());
  for (int s = 24; s >= 0; s -= 8) grpc_msg.push_back(static_cast<char>((mlen >> s) & 0xff));
  grpc_msg += msg;
  std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0, "") +
                    frame(0x1, 0x4, 1, headers) + frame(0x0, 0x1, 1, grpc_msg);
  if (!SendAll(fd, out, deadline)) {
    close(fd);
    return {false, "grpc probe: send failed"};
  }
  // Read frames until a DATA frame on stream 1 carries the response, or the stream ends.
  std::string buf;
  size_t pos = 0;
  bool serving = false, answered = false, settings_acked = false;
  while (!answered) {
    if (!ReadUntil(fd, &buf, deadline, [&](const std::string& b) {
          if (b.size() < pos + 9) return false;
          uint32_t len = (static_cast<uint8_t>(b[pos]) << 16) |
                         (static_cast<uint8_t>(b[pos + 1]) << 8) | static_cast<uint8_t>(b[pos + 2]);
          return b.size() >= pos + 9 + len;
        })) {
      break;
    }
    if (buf.size() < pos + 9) break;
    uint32_t len = (static_cast<uint8_t>(buf[pos]) << 16) |
                   (static_cast<uint8_t>(buf[pos + 1]) << 8) | static_cast<uint8_t>(buf[pos + 2]);
    if (buf.size() < pos + 9 + len) break;
    uint8_t type = static_cast<uint8_t>(buf[pos + 3]), flags = static_cast<uint8_t>(buf[pos + 4]);
    std::string payload = buf.substr(pos + 9, len);
    pos += 9 + len;
    if (type == 0x4 && !(flags & 0x1) && !settings_acked) {
      settings_acked = SendAll(fd, frame(0x4, 0x1, 0, ""), deadline);
    } else if (type == 0x0 && payload.size() >= 5) {
      std::string body = payload.substr(5);
      serving = body.size() >= 2 && body[0] == 0x08 && body[1] == 0x01;
      answered = true;
    } else if (type == 0x1 && (flags & 0x1)) {
      answered = true;  // trailers-only response: an error status
    } else if (type == 0x3 || type == 0x7) {
      break;  // RST_STREAM / GOAWAY
    }
  }
  close(fd);
  if (serving) return {true, ""};
  if (!answered)
    return {false, "timeout: health rpc did not complete within " +
                       std::to_string(probe.timeout_seconds) + "s"};
  return {false, "service unhealthy (responded with \"NOT_SERVING\")"};
}

}  // namespace

ProbeOutcome RunProbe(const Probe& probe, const ProbeTarget& target) {
  auto timeout = std::chrono::seconds(probe.timeout_seconds);
  auto deadline = Clock::now() + timeout;
  std::string host = probe.host.empty() ? target.pod_ip : probe.host;
  if (host.empty()) host = "127.0.0.1";
  switch (probe.kind) {
    case Probe::Kind::kNone:
      return {true, ""};
    case Probe::Kind::kExec: {
      auto r = RunCommand(probe.command, target.env, timeout, target.ns_pid);
      if (!r.ok()) return {false, r.status().message()};
      if (r->exit_code == -1) {
        return {false, "command timed out after " + std::to_string(probe.timeout_seconds) + "s"};
      }
      if (r->exit_code == 0) return {true, ""};
      return {false, r->output.empty() ? "command exited with " + std::to_string(r->exit_code)
                                       : r->output};
    }
    case Probe::Kind::kHttpGet:
    case Probe::Kind::kTcpSocket:
    case Probe::Kind::kGrpc: {
      int port = ResolvePort(probe.port, target.ports);
      if (port <= 0 || port > 65535) return {false, "invalid port \"" + probe.port + "\""};
      if (probe.kind == Probe::Kind::kHttpGet) return HttpGet(probe, host, port, deadline);
      if (probe.kind == Probe::Kind::kGrpc) return Grpc(probe, host, port, deadline);
      std::string err;
      int fd = Connect(host, port, deadline, &err);
      if (fd < 0) return {false, err};
      close(fd);
      return {true, ""};
    }
  }
  return {false, "unknown probe"};
}

bool ProbeTracker::Record(const Probe& probe, bool success) {
  Result before = result_;
  if (success) {
    failures_ = 0;
    if (++successes_ >= probe.success_threshold) result_ = Result::kSuccess;
  } else {
    successes_ = 0;
    if (++failures_ >= probe.failure_threshold) result_ = Result::kFailure;
  }
  return before != result_;
}

ProbeRunner::ProbeRunner(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

ProbeRunner::~ProbeRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ProbeRunner::Submit(std::function<void()> task, bool urgent) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (urgent) {
      tasks_.push_front(std::move(task));
    } else {
      tasks_.push_back(std::move(task));
    }
  }
  cv_.notify_one();
}

void ProbeRunner::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (stop_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace skiff::node
