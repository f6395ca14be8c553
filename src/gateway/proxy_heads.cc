// The heads the proxy writes: the request sent upstream and the response sent to the client,
// with RFC 7230 §6.1's hop-by-hop rules applied in both directions.
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <vector>

#include "gateway/http_head.h"
#include "gateway/proxy_heads_impl.h"

namespace skiff::gateway {

namespace {

namespace http = boost::beast::http;

template <typename Fields>
std::vector<std::string> TokensOf(const Fields& fields) {
  if (auto it = fields.find(http::field::connection); it != fields.end()) {
    return ConnectionTokens(it->value());
  }
  return {};
}

bool Drop(std::string_view name, const std::vector<std::string>& tokens) {
  return IsHopByHop(name) || (!tokens.empty() && HasToken(tokens, name));
}

}  // namespace

void WriteUpstreamHead(const http::request<http::string_body>& req, std::string_view target,
                       std::string_view host, std::string_view client_ip, std::string& out) {
  const std::vector<std::string> tokens = TokensOf(req);
  out.clear();
  out.append(req.method_string()).append(" ").append(target).append(" HTTP/1.1\r\n");
  std::string_view forwarded_for, forwarded_host, forwarded_proto;
  for (const auto& f : req) {
    const http::field name = f.name();
    // Written below from what the gateway knows; Expect was answered by the gateway.
    if (name == http::field::host || name == http::field::content_length ||
        name == http::field::expect) {
      continue;
    }
    std::string_view n = f.name_string();
    if (Drop(n, tokens)) continue;
    if (EqualsNoCase(n, "x-forwarded-for")) {
      forwarded_for = f.value();
      continue;
    }
    if (EqualsNoCase(n, "x-forwarded-host")) forwarded_host = f.value();
    if (EqualsNoCase(n, "x-forwarded-proto")) forwarded_proto = f.value();
    out.append(n).append(": ").append(f.value()).append("\r\n");
  }
  if (!host.empty()) out.append("Host: ").append(host).append("\r\n");
  out.append("X-Forwarded-For: ");
  if (!forwarded_for.empty()) out.append(forwarded_for).append(", ");
  out.append(client_ip).append("\r\n");
  if (forwarded_host.empty() && !host.empty()) {
    out.append("X-Forwarded-Host: ").append(host).append("\r\n");
  }
  if (forwarded_proto.empty()) out.append("X-Forwarded-Proto: http\r\n");
  const auto& body = req.body();
  const http::verb m = req.method();
  if (!body.empty() || m == http::verb::post || m == http::verb::put || m == http::verb::patch) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n");
}

DownstreamFraming WriteDownstreamHead(const http::response<http::buffer_body>& res, bool has_length,
                                      bool no_body, bool http10, bool keep_alive,
                                      std::string& out) {
  const std::vector<std::string> tokens = TokensOf(res);
  const int code = res.result_int();
  out.clear();
  out.append("HTTP/1.1 ").append(std::to_string(code)).append(" ");
  std::string_view reason = res.reason();
  if (reason.empty()) reason = http::obsolete_reason(static_cast<http::status>(code));
  out.append(reason.empty() ? std::string_view("Unknown") : reason).append("\r\n");
  for (const auto& f : res) {
    std::string_view n = f.name_string();
    if (Drop(n, tokens)) continue;
    out.append(n).append(": ").append(f.value()).append("\r\n");
  }
  DownstreamFraming framing;
  framing.keep_alive = keep_alive;
  if (!has_length && !no_body) {
    if (http10) {
      framing.keep_alive = false;  // HTTP/1.0 has no chunks: the close ends the body
    } else {
      out.append("Transfer-Encoding: chunked\r\n");
      framing.chunked = true;
    }
  }
  if (!framing.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  return framing;
}

}  // namespace skiff::gateway
