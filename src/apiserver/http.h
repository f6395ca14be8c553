// Folder-private HTTP types shared by the apiserver's network layer and its
// handlers. Includes Asio's coroutine support: keep out of public headers.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::apiserver {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

struct Request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // raw request-target
  std::string path;    // percent-decoded path, no query
  std::multimap<std::string, std::string> query;  // decoded ('+' = space)
  std::map<std::string, std::string> headers;     // lower-case names
  std::string body;

  // Last value of a query parameter, or empty.
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return query.count(std::string(name)) > 0; }
  // Kubernetes boolean parameter: present and not "0"/"false" (any case).
  bool QueryBool(std::string_view name) const;
  std::string Header(std::string_view lower_name) const;
};

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Builds a Response. Use this (not `Response{...}`) inside co_await expressions.
//
// GCC 12 coroutine bugs (reproduced under ASan): a co_await full-expression that holds a
// braced aggregate temporary (`Send(Response{...})`) or a class temporary made by `?:`
// (`f(c ? s : "")`) destroys that temporary twice. Build such values in a local first.
inline Response MakeResponse(int code, std::string content_type, std::string body) {
  Response r;
  r.code = code;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// Writes one response: either whole (Send) or as a chunked stream.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual Awaitable<void> Send(Response response) = 0;
  // Starts a chunked 200 response. Returns false if the client is gone.
  virtual Awaitable<bool> StartStream(std::string content_type,
                                      std::vector<std::pair<std::string, std::string>> headers) = 0;
  virtual Awaitable<bool> WriteChunk(std::string data) = 0;
  virtual Awaitable<void> EndStream() = 0;
  virtual bool sent() const = 0;
};

}  // namespace skiff::apiserver
