// Unit tests of the heads the proxy writes (RFC 7230 §6.1 in both directions, framing).
#include <gtest/gtest.h>

#include "gateway/proxy_heads_impl.h"

namespace skiff::gateway {
namespace {

namespace http = boost::beast::http;

TEST(ProxyHeadsTest, UpstreamHeadDropsHopByHopAndAddsForwarding) {
  http::request<http::string_body> req{http::verb::post, "/ignored", 11};
  req.set(http::field::host, "iris.example.com:8080");
  req.set(http::field::connection, "keep-alive, X-Hop");
  req.set("X-Hop", "1");
  req.set(http::field::te, "trailers");
  req.set(http::field::expect, "100-continue");
  req.set(http::field::transfer_encoding, "chunked");
  req.set("X-Forwarded-Proto", "https");
  req.set("X-Custom", "kept");
  req.body() = "{}";
  std::string out;
  WriteUpstreamHead(req, "/v1/models/iris:predict", "iris.example.com:8080", "10.0.0.9", out);
  EXPECT_EQ(out,
            "POST /v1/models/iris:predict HTTP/1.1\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Custom: kept\r\n"
            "Host: iris.example.com:8080\r\n"
            "X-Forwarded-For: 10.0.0.9\r\n"
            "X-Forwarded-Host: iris.example.com:8080\r\n"
            "Content-Length: 2\r\n\r\n");
  http::request<http::string_body> get{http::verb::get, "/", 10};
  WriteUpstreamHead(get, "/", "", "::1", out);
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nX-Forwarded-For: ::1\r\nX-Forwarded-Proto: http\r\n\r\n");
}

TEST(ProxyHeadsTest, DownstreamHeadReframesBodies) {
  http::response<http::buffer_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::transfer_encoding, "chunked");
  res.set(http::field::connection, "X-Hop");
  res.set("X-Hop", "1");
  std::string out;
  // Chunked upstream to an HTTP/1.1 client: chunked again.
  auto f = WriteDownstreamHead(res, false, false, false, true, out);
  EXPECT_TRUE(f.chunked);
  EXPECT_TRUE(f.keep_alive);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  // To an HTTP/1.0 client: unframed, ended by the close.
  f = WriteDownstreamHead(res, false, false, true, true, out);
  EXPECT_FALSE(f.chunked);
  EXPECT_FALSE(f.keep_alive);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
  // Content-Length passes through; an HTTP/1.0 keep-alive client is told so.
  http::response<http::buffer_body> sized{http::status::not_found, 11};
  sized.set(http::field::content_length, "5");
  f = WriteDownstreamHead(sized, true, false, true, true, out);
  EXPECT_FALSE(f.chunked);
  EXPECT_TRUE(f.keep_alive);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n");
  // No body (HEAD, 204, 304): no framing added, whatever the upstream's was.
  http::response<http::buffer_body> empty{http::status::no_content, 11};
  f = WriteDownstreamHead(empty, false, true, false, true, out);
  EXPECT_FALSE(f.chunked);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
}

}  // namespace
}  // namespace skiff::gateway
