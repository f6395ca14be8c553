// RestClient: a synchronous HTTP/1.1 client for the Kubernetes REST API, with keep-alive
// connection reuse over TLS (or plain HTTP), bearer/basic/cert auth, and line streaming for
// watches and followed logs. Non-2xx replies become a skiff::Status carrying the Kubernetes
// Status reason, code and causes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "client/api_status.h"
#include "client/kubeconfig.h"

namespace skiff::client {

using Params = std::vector<std::pair<std::string, std::string>>;

// Ends a Stream() from another thread (an informer stopping its watch). Thread-safe; Cancel() is
// idempotent, and a Stream() started after Cancel() returns at once.
class Canceler {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class RestClient;
  // Registers the hook that aborts the active stream; returns false if already cancelled.
  bool Attach(std::function<void()> hook);
  void Detach();

  mutable std::mutex mu_;
  bool cancelled_ = false;       // guarded by mu_
  std::function<void()> hook_;  // guarded by mu_
};

struct Request {
  std::string method = "GET";
  std::string path{};  // already-escaped path, e.g. "/api/v1/namespaces/default/pods"
  Params query{};      // raw values; percent-encoded when sent, in this order
  Params headers{};    // extra request headers
  std::string body{};  // sent when non-empty (or for POST/PUT/PATCH)
  std::string content_type = "application/json";  // for the body
  std::string accept = "application/json";
  // Whole-request deadline. 0 = 60 s for Do(), unlimited for Stream().
  std::chrono::milliseconds timeout{0};
  // Stream() only: lets another thread end the stream (Stream() then returns Cancelled).
  std::shared_ptr<Canceler> canceler{};
};

struct Response {
  int status = 0;
  std::string content_type{};
  std::vector<std::string> warnings{};  // text of each `Warning: 299 - "..."` header
  std::string body{};
};

struct RestClientOptions {
  // Sent as User-Agent; the server derives the default fieldManager from the text before '/'.
  std::string user_agent = "skiff/v0.1.0 (linux/amd64)";
  // Called with each server warning text (kubectl prints "Warning: <text>" to stderr). May be
  // empty. Called on the thread that issued the request.
  std::function<void(std::string_view)> on_warning{};
  // Called after each reply header arrives (kubectl -v=6 style request logging). May be empty.
  std::function<void(const Request&, int http_status)> on_response{};
  // Idle connections kept per client for reuse.
  int max_idle_connections = 8;
};

// Thread-safe: any number of threads may call Do()/Stream() at once; each call borrows its own
// connection from a small idle pool (or dials a new one), so calls never share a socket. Calls
// block the calling thread. Never throws.
class RestClient {
 public:
  // Validates the config (URL scheme, PEM data) and builds the TLS context. Does not dial.
  static StatusOr<std::unique_ptr<RestClient>> Create(const RestConfig& config,
                                                      RestClientOptions options = {});
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Sends one request and reads the whole reply. A 2xx reply is returned; any other reply is
  // converted with StatusFromResponse(). Transport failures are Unavailable; deadline expiry is
  // DeadlineExceeded.
  StatusOr<Response> Do(const Request& request);

  // Sends one request and calls `on_line` for every '\n'-terminated line of the (chunked) reply
  // body, without the newline; a final unterminated line is delivered too. Returns OK when the
  // server ends the body or `on_line` returns false (the connection is then dropped). Non-2xx
  // replies are converted like Do().
  Status Stream(const Request& request, const std::function<bool(std::string_view line)>& on_line);

  const RestConfig& config() const;

 private:
  struct Impl;
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986 unreserved characters (so '=' ',' '/' ' ' are
// escaped), as Go's url.QueryEscape does except that space becomes %20.
std::string QueryEscape(std::string_view s);
// Escapes one path segment (object names are DNS names; this guards odd input).
std::string PathEscape(std::string_view s);
// "a=1&b=x%3Dy" from ordered params.
std::string EncodeQuery(const Params& params);

}  // namespace skiff::client
