// HTTP/1.1 keep-alive server for the model server: one io_context per worker thread,
// connections handed round-robin to the loops and pinned there, requests passed to an
// HttpHandler. Bodies beyond max_body_bytes get 413 before they are read. Beast stays in
// http_server.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "serving/http_types.h"

namespace skiff::serving {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0 picks a free port (see port())
  int workers = 0;  // loop threads; 0 = one per core
  // Larger bodies are refused with 413 and a KServe-shaped error, then the connection closes.
  size_t max_body_bytes = size_t{64} << 20;
  // Larger request headers get 431.
  size_t max_header_bytes = 64 * 1024;
};

// Thread-safe. The handler must outlive the server.
class HttpServer {
 public:
  // Binds and starts the loops. Unavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler& handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // Requests read and not yet answered.
  virtual int64_t inflight() const = 0;
  // Stops accepting; every connection closes after its current response (Connection: close).
  virtual void BeginDrain() = 0;
  // Blocks until no request is in flight or `deadline` passes; returns whether idle.
  virtual bool WaitIdle(std::chrono::steady_clock::time_point deadline) = 0;
  // Closes every connection and joins the loops. Responders still held elsewhere become
  // no-ops. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace skiff::serving
