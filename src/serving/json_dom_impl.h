// Folder-private simdjson adapter shared by the V1 and V2 decoders: one reusable DOM parser
// per thread, and names for JSON kinds in messages. Only serving/*.cc include this.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "base/status.h"

namespace skiff::serving::internal {

// Nesting accepted from clients; matches skiff::kMaxJsonDepth.
inline constexpr size_t kMaxDomDepth = 256;

// Parses `text` with this thread's parser. The element (and every string_view taken from it)
// is valid until the next ParseDom on the same thread. Errors are InvalidArgument
// "Unrecognized request format: ..." as KServe answers unparsable bodies.
StatusOr<simdjson::dom::element> ParseDom(std::string_view text);

// "an array", "an object", "a string", "a number", "a boolean", "null".
std::string_view KindName(simdjson::dom::element_type type);

inline bool IsNumber(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  return type == element_type::INT64 || type == element_type::UINT64 ||
         type == element_type::DOUBLE;
}

}  // namespace skiff::serving::internal
