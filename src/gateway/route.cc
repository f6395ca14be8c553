// Validation of routes and the parsing of the user-facing strings in them: Host headers and
// endpoint addresses.
#include "gateway/route.h"

#include <arpa/inet.h>

#include <charconv>
#include <set>
#include <utility>

namespace skiff::gateway {

namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

StatusOr<uint16_t> ParsePort(std::string_view s) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || value == 0 || value > 65535) {
    return InvalidArgument("invalid port \"" + std::string(s) + "\"");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

StatusOr<std::string> NormalizeHost(std::string_view host) {
  if (host.size() > 1024) return InvalidArgument("host is too long");
  std::string out;
  if (!host.empty() && host.front() == '[') {
    // IPv6 literal: "[" hex, ':' and '.' "]" then an optional ":port".
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 2) return InvalidArgument("invalid IPv6 host");
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !AllDigits(rest.substr(1)))) {
      return InvalidArgument("invalid port in host");
    }
    out.push_back('[');
    for (char c : host.substr(1, close - 1)) {
      c = Lower(c);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) {
        return InvalidArgument("invalid IPv6 host");
      }
      out.push_back(c);
    }
    out.push_back(']');
    return out;
  }
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    if (!AllDigits(host.substr(colon + 1))) return InvalidArgument("invalid port in host");
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return InvalidArgument("empty host");
  if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos) {
    return InvalidArgument("empty label in host");
  }
  if (host.size() > 253) return InvalidArgument("host is too long");
  out.reserve(host.size());
  for (char c : host) {
    c = Lower(c);
    if (!IsHostChar(c)) return InvalidArgument("invalid character in host");
    out.push_back(c);
  }
  return out;
}

StatusOr<EndpointAddress> ParseEndpointAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid endpoint \"" + std::string(text.substr(0, 100)) +
                           "\": " + std::string(why));
  };
  std::string_view host, port;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("want [ip]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    v6 = true;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("want ip:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto parsed_port = ParsePort(port);
  if (!parsed_port.ok()) return bad("port must be 1..65535");
  EndpointAddress a;
  a.port = *parsed_port;
  if (!v6 && host == "localhost") host = "127.0.0.1";
  std::string ip(host);
  unsigned char buf[16];
  if (v6) {
    if (inet_pton(AF_INET6, ip.c_str(), buf) != 1) return bad("not an IPv6 address");
    char canon[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, buf, canon, sizeof(canon));
    a.ip = canon;
    a.address = "[" + a.ip + "]:" + std::to_string(a.port);
  } else {
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1) {
      return bad("not a numeric IPv4 address (host names are not resolved)");
    }
    a.ip = ip;
    a.address = a.ip + ":" + std::to_string(a.port);
  }
  return a;
}

Status ValidateRoutes(const std::vector<Route>& routes) {
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < routes.size(); ++i) {
    const Route& r = routes[i];
    const std::string at = "routes[" + std::to_string(i) + "]";
    if (r.hosts.empty()) return InvalidArgument(at + ".hosts: at least one host is required");
    if (!r.path_prefix.empty()) {
      if (r.path_prefix.front() != '/') {
        return InvalidArgument(at + ".pathPrefix: must start with '/'");
      }
      for (unsigned char c : r.path_prefix) {
        if (c <= ' ' || c == 0x7f || c == '?' || c == '#') {
          return InvalidArgument(at + ".pathPrefix: invalid character");
        }
      }
    }
    for (size_t h = 0; h < r.hosts.size(); ++h) {
      auto host = NormalizeHost(r.hosts[h]);
      const std::string hat = at + ".hosts[" + std::to_string(h) + "]";
      if (!host.ok()) return InvalidArgument(hat + ": " + host.status().message());
      if (!seen.emplace(*host, r.path_prefix).second) {
        return InvalidArgument(hat + ": host \"" + *host + "\" with path prefix \"" +
                               r.path_prefix + "\" is already routed");
      }
    }
    if (r.backends.empty()) return InvalidArgument(at + ".backends: at least one is required");
    if (r.timeout.count() <= 0) return InvalidArgument(at + ".timeoutSeconds: must be > 0");
    if (r.retries < 0 || r.retries > 10) return InvalidArgument(at + ".retries: must be 0..10");
    std::set<std::string> revisions;
    for (size_t b = 0; b < r.backends.size(); ++b) {
      const Backend& be = r.backends[b];
      const std::string bat = at + ".backends[" + std::to_string(b) + "]";
      if (be.revision.empty()) return InvalidArgument(bat + ".revision: required");
      if (!revisions.insert(be.revision).second) {
        return InvalidArgument(bat + ".revision: \"" + be.revision + "\" appears twice");
      }
      if (be.weight < 0 || be.weight > 100) {
        return InvalidArgument(bat + ".weight: must be 0..100");
      }
      if (be.container_concurrency < 0 || be.container_concurrency > 1000) {
        return InvalidArgument(bat + ".containerConcurrency: must be 0..1000");
      }
      if (be.endpoints) {
        for (size_t e = 0; e < be.endpoints->size(); ++e) {
          auto a = ParseEndpointAddress((*be.endpoints)[e]);
          if (!a.ok()) {
            return InvalidArgument(bat + ".endpoints[" + std::to_string(e) +
                                   "]: " + a.status().message());
          }
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace skiff::gateway
