// Fuzzes the JSON decoder used for every API request body.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = skiff::ParseJson(in);
  if (parsed.ok()) {
    // Whatever parses must serialize (no raw newlines) and parse back equal.
    std::string out = skiff::DumpJson(*parsed);
    if (out.find('\n') != std::string::npos) __builtin_trap();
    auto again = skiff::ParseJson(out);
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
