// Fuzzes schema compilation (user CRDs) and validation/pruning of objects against it.
// Input: a schema and an object separated by a NUL byte.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/schema.h"
#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find('\0');
  if (split == std::string_view::npos) return 0;
  auto schema = skiff::ParseJson(in.substr(0, split));
  auto obj = skiff::ParseJson(in.substr(split + 1));
  if (!schema.ok() || !obj.ok()) return 0;
  auto compiled = skiff::api::CompileSchema(*schema);
  if (!compiled.ok() || !obj->is_object()) return 0;
  skiff::Json o = *obj;
  (void)skiff::api::Prune(**compiled, o);
  skiff::api::ApplyDefaults(**compiled, o);
  (void)skiff::api::Validate(**compiled, o);
  return 0;
}
