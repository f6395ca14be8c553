// The HTTP seam between the network layer (http_server, Beast) and the protocol handlers
// (rest_api): a parsed request, a response, and the callback interfaces. No Beast here, so
// handlers build and test without the network.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "serving/loop_scheduler.h"

namespace skiff::serving {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string body;
  std::string content_type;
  // Raw value of Inference-Header-Content-Length, when the header was sent.
  std::optional<std::string> inference_header_length;
  std::string ce_id;  // incoming Ce-Id header (CloudEvents), if any
  // When the last byte of the request was read (request-latency start).
  std::chrono::steady_clock::time_point received;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Set for binary-extension bodies: sent as Inference-Header-Content-Length.
  std::optional<size_t> inference_header_length;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// One request's way back to its connection. Thread-safe; may outlive the connection (Send is
// then dropped). As a LoopScheduler, Defer runs work on the connection's loop.
class HttpResponder : public LoopScheduler {
 public:
  // Runs `fn` on the connection's loop thread: inline when already there, else posted.
  virtual void Dispatch(std::function<void()> fn) = 0;
  // The HTTP server posts `fn` to the connection's loop. This default, for responders with
  // no loop of their own (test doubles), runs it through Dispatch.
  void Defer(std::function<void()> fn) override { Dispatch(std::move(fn)); }
  // Sends the response. Call exactly once, on the connection's loop thread.
  virtual void Send(HttpResponse response) = 0;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on a loop thread for each complete request; must not block. Must make sure
  // responder->Send is called exactly once, now or later.
  virtual void Handle(HttpRequest&& request, std::shared_ptr<HttpResponder> responder) = 0;
};

}  // namespace skiff::serving
