// JSON helpers around nlohmann::json: parsing that returns Status instead of
// throwing, compact dumping, and a nesting limit so hostile input cannot
// exhaust the stack in later recursive walks.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff {

using Json = nlohmann::json;

// Deepest nesting accepted from users (objects + arrays).
inline constexpr int kMaxJsonDepth = 256;

// Parses one JSON document. Errors are InvalidArgument with a position.
StatusOr<Json> ParseJson(std::string_view text);

// Compact, single-line serialization (never contains a raw newline).
// Invalid UTF-8 is replaced rather than throwing.
std::string DumpJson(const Json& j);
// Indented serialization for humans.
std::string DumpJsonPretty(const Json& j);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Returns InvalidArgument if `text` nests deeper than `max_depth`.
Status CheckJsonDepth(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace skiff
