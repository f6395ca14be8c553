// Hop-by-hop header rules, forwarded targets and error bodies.
#include "gateway/http_head.h"

#include "gateway/route_table.h"

namespace skiff::gateway {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::string_view kHopByHop[] = {
    "connection",        "keep-alive",         "proxy-connection",   "te", "trailer", "upgrade",
    "transfer-encoding", "proxy-authenticate", "proxy-authorization"};

}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : kHopByHop) {
    if (EqualsNoCase(name, h)) return true;
  }
  return false;
}

std::vector<std::string> ConnectionTokens(std::string_view value) {
  std::vector<std::string> tokens;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view t = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty()) continue;
    std::string lower(t);
    for (char& c : lower) c = Lower(c);
    tokens.push_back(std::move(lower));
  }
  return tokens;
}

bool HasToken(const std::vector<std::string>& tokens, std::string_view name) {
  for (const auto& t : tokens) {
    if (EqualsNoCase(t, name)) return true;
  }
  return false;
}

std::string ForwardedTarget(std::string_view path_and_query, std::string_view prefix, bool strip) {
  std::string out;
  if (strip && !prefix.empty() &&
      PathHasPrefix(path_and_query.substr(0, path_and_query.find_first_of("?#")), prefix)) {
    path_and_query.remove_prefix(prefix.size());
  }
  if (path_and_query.empty() || path_and_query.front() != '/') out.push_back('/');
  out.append(path_and_query);
  return out;
}

std::string ErrorJson(std::string_view message) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{\"error\":\"";
  out.reserve(out.size() + message.size() + 2);
  for (char ch : message) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (c >= 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(ch);
    }
  }
  out.append("\"}");
  return out;
}

void AppendHex(std::string& out, size_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHex[value & 15];
    value >>= 4;
  } while (value != 0);
  while (n > 0) out.push_back(buf[--n]);
}

}  // namespace skiff::gateway
