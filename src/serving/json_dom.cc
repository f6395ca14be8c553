// simdjson DOM adapter: thread-local parser with a reusable padded buffer.
#include <algorithm>
#include <cstring>
#include <string>

#include "serving/json_dom_impl.h"

namespace skiff::serving::internal {

namespace {

// Per-thread scratch, not shared state: each server loop thread decodes one body at a time,
// and reusing the parser's tape and the padded copy keeps allocation off the hot path.
struct Scratch {
  simdjson::dom::parser parser;
  std::string padded;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

StatusOr<simdjson::dom::element> ParseDom(std::string_view text) {
  Scratch& s = ThreadScratch();
  // A rare huge body should not pin its buffers to the thread for good.
  constexpr size_t kKeepBytes = size_t{16} << 20;
  if (s.padded.capacity() > kKeepBytes && text.size() + simdjson::SIMDJSON_PADDING <= kKeepBytes) {
    s.padded = std::string();
    s.parser = simdjson::dom::parser();
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; copy into a buffer we own
  // rather than let it allocate a padded copy per call.
  if (s.padded.size() < text.size() + simdjson::SIMDJSON_PADDING) {
    s.padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
  }
  if (!text.empty()) std::memcpy(s.padded.data(), text.data(), text.size());
  std::memset(s.padded.data() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
  if (s.parser.max_depth() != kMaxDomDepth) {
    if (auto err = s.parser.allocate(std::max<size_t>(text.size(), 4096), kMaxDomDepth)) {
      return ResourceExhausted(std::string("JSON parser allocation failed: ") +
                               simdjson::error_message(err));
    }
  }
  simdjson::dom::element root;
  if (auto err = s.parser.parse(s.padded.data(), text.size(), false).get(root)) {
    return InvalidArgument(std::string("Unrecognized request format: ") +
                           simdjson::error_message(err));
  }
  return root;
}

std::string_view KindName(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::STRING:
      return "a string";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

}  // namespace skiff::serving::internal
