// Test-only: a tiny scripted HTTP(S) server on 127.0.0.1:0 for client tests, with a
// self-signed certificate made at startup. Implemented in test_server_test.cc so that it links
// only into skiff_client_test.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace skiff::client::testing {

struct TestRequest {
  std::string method{};
  std::string path{};                            // without the query
  std::string query{};                           // raw, still percent-encoded
  std::map<std::string, std::string> headers{};  // lower-case names
  std::string body{};
};

struct TestResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body{};
  std::vector<std::string> chunks{};  // non-empty: sent chunked, one chunk each, flushed
  std::vector<std::pair<std::string, std::string>> headers{};
  bool hang = false;  // never reply (with chunks: send them, then never end the body)
  bool drop = false;  // close the connection without replying
};

struct TestServerOptions {
  bool tls = true;
  // Close each connection after one reply without announcing it (a server dropping idle
  // keep-alive connections).
  bool one_request_per_connection = false;
};

// Serves each connection on its own thread. The handler runs on those threads.
class TestServer {
 public:
  TestServer(TestServerOptions options, std::function<TestResponse(const TestRequest&)> handler);
  ~TestServer();

  std::string url() const;     // "https://127.0.0.1:PORT" or "http://..."
  std::string ca_pem() const;  // the self-signed certificate (trust root for clients)
  int connections() const;     // accepted so far
  // Blocks until `n` connections have been closed by the server (false after 30 s).
  bool WaitForClosedConnections(int n) const;
  std::vector<TestRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fresh self-signed certificate (PEM) for 127.0.0.1/localhost, for "wrong CA" tests.
std::string OtherCaPem();

}  // namespace skiff::client::testing
