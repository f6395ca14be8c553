// Folder-private: the heads the proxy writes, one per direction of a hop. Beast types appear
// in the signatures, so only src/gateway/*.cc include this.
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

namespace skiff::gateway {

// Request line and headers sent upstream into `out`: `target` as the request target, hop-by-hop
// headers dropped (and those the client's Connection header names), Host set to `host` (empty:
// none), X-Forwarded-For/-Host/-Proto added, and the body (read whole, chunked or not) framed
// with Content-Length.
void WriteUpstreamHead(const boost::beast::http::request<boost::beast::http::string_body>& req,
                       std::string_view target, std::string_view host, std::string_view client_ip,
                       std::string& out);

// How the response body goes to the client.
struct DownstreamFraming {
  bool chunked = false;    // re-frame the body as chunks
  bool keep_alive = true;  // false: an HTTP/1.0 client reads an unframed body to the close
};

// Status line and headers sent to the client into `out`. `has_length`: the upstream sent
// Content-Length (passed through as is). `no_body`: a response that has none whatever its
// headers say (to HEAD, 204, 304). Any other body (chunked or read to the close, even an empty
// one) goes chunked to HTTP/1.1 clients and unframed, ended by the close, to HTTP/1.0 ones.
// `keep_alive` is the client's wish.
DownstreamFraming WriteDownstreamHead(
    const boost::beast::http::response<boost::beast::http::buffer_body>& res, bool has_length,
    bool no_body, bool http10, bool keep_alive, std::string& out);

}  // namespace skiff::gateway
