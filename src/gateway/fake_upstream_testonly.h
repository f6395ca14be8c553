// Test-only: real HTTP upstream servers started in-process (a thread per connection, blocking
// sockets, scripted by a handler that can stream, stall on a Gate, or drop the connection) and
// a blocking HTTP client for driving the gateway. Implemented in fake_upstream_test.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::gateway::testing {

// Bounds every wait in these tests: reached only when the code under test is broken.
inline constexpr std::chrono::seconds kTestDeadline{30};

// A one-shot latch. Wait returns false when the test deadline passes first.
class Gate {
 public:
  void Open();
  bool Wait();
  bool is_open() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Waits for `predicate` by polling it (yielding, no sleeps); false at the test deadline.
bool WaitUntil(const std::function<bool()>& predicate);

struct UpstreamRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool Has(const std::string& name) const { return headers.count(name) > 0; }
  std::string Get(const std::string& name) const;
};

// How the handler answers; one method per response (or Close).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response with Content-Length.
  virtual void Send(int status, std::string body, std::string content_type = "text/plain",
                    std::vector<std::pair<std::string, std::string>> headers = {}) = 0;
  // A streamed response: the head, then raw writes, flushed each time. `chunked` frames each
  // Write as a chunk (End writes the last chunk); otherwise `content_length` is sent.
  virtual void StartStream(int status, std::string content_type, bool chunked,
                           size_t content_length = 0) = 0;
  virtual void Write(std::string_view data) = 0;
  virtual void End() = 0;
  // Closes the connection now, without a response (reset before the response).
  virtual void Close() = 0;
};

using UpstreamHandler = std::function<void(const UpstreamRequest&, ResponseWriter&)>;

// An HTTP/1.1 keep-alive server on 127.0.0.1:<free port>.
class FakeUpstream {
 public:
  explicit FakeUpstream(UpstreamHandler handler);
  ~FakeUpstream();  // closes the listener and every connection, joins its threads
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }
  // Requests seen, in the order they were read.
  std::vector<UpstreamRequest> seen() const;

  struct Impl;

 private:
  UpstreamHandler handler_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::unique_ptr<Impl> impl_;
};

// Answers every request with 200 and `body`.
UpstreamHandler Reply(std::string body);

// A port with nothing listening (connections are refused).
int RefusedPort();

struct ClientResponse {
  bool ok = false;  // a complete response was read
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string Get(const std::string& name) const;
};

// A blocking HTTP/1.1 client on one keep-alive connection (reads time out at the deadline).
class TestClient {
 public:
  explicit TestClient(int port);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  ClientResponse Request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view body = {},
                         std::vector<std::pair<std::string, std::string>> headers = {});
  ClientResponse Get(std::string_view target, std::string_view host) {
    return Request("GET", target, host);
  }
  // Raw access for malformed input and streaming.
  bool SendRaw(std::string_view bytes);
  // Reads until `needle` is among the bytes read so far (kept in raw()); false on EOF/deadline.
  bool ReadUntil(std::string_view needle);
  const std::string& raw() const { return raw_; }
  ClientResponse ReadResponse();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::string raw_;
};

}  // namespace skiff::gateway::testing
