// HTTPS/1.1 server: one io_context thread per core, connections pinned to a loop,
// each request handed to a coroutine handler. Beast stays inside server.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "apiserver/http.h"
#include "base/status.h"

namespace skiff::apiserver {

using Handler = std::function<Awaitable<void>(Request&, ResponseWriter&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:6443";  // host:port; port 0 picks a free one
  std::string cert_pem;                   // empty = plain HTTP
  std::string key_pem;
  int threads = 0;                             // 0 = hardware concurrency
  size_t max_body_bytes = 3 * 1024 * 1024;     // kube-apiserver's MaxRequestBodyBytes
};

class HttpServer {
 public:
  // Binds and starts serving. `handler` must outlive the server.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler);
  virtual ~HttpServer() = default;
  virtual int port() const = 0;
  // Stops accepting, closes connections, joins the loop threads.
  virtual void Stop() = 0;
  // Runs `fn` on one of the loops (for timers owned by handlers).
  virtual boost::asio::any_io_executor executor() = 0;
};

}  // namespace skiff::apiserver
