// Header rules of one proxy hop (RFC 7230 §6.1) and the small pieces of HTTP the gateway
// writes itself: hop-by-hop detection, Connection tokens, the forwarded path, error bodies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::gateway {

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authenticate, Proxy-Authorization (case-insensitive).
bool IsHopByHop(std::string_view name);

// Lower-cased, trimmed tokens of a Connection header ("close, X-Trace" -> {"close", "x-trace"}).
// Headers named there are hop-by-hop too.
std::vector<std::string> ConnectionTokens(std::string_view value);
bool HasToken(const std::vector<std::string>& tokens, std::string_view name);

// The target sent upstream: `path_and_query` with `prefix` removed when `strip` (a leading '/'
// is kept or added), and "/" in front of a bare "?query".
std::string ForwardedTarget(std::string_view path_and_query, std::string_view prefix, bool strip);

// KServe's error body `{"error":"<message>"}`. Control characters are escaped and bytes outside
// ASCII become '?', so the body is valid JSON whatever the message echoes from a request.
std::string ErrorJson(std::string_view message);

// Lower-case hex, for chunk sizes.
void AppendHex(std::string& out, size_t value);

// Case-insensitive ASCII equality.
bool EqualsNoCase(std::string_view a, std::string_view b);

}  // namespace skiff::gateway
