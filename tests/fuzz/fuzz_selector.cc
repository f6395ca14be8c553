// Fuzzes label and field selector parsing (query parameters from any client).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/field_selector.h"
#include "api/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto l = skiff::api::ParseLabelSelector(in);
  if (l.ok()) {
    (void)l->Matches(skiff::Json{{"app", "x"}, {"tier", "5"}});
    auto again = skiff::api::ParseLabelSelector(l->ToString());
    if (!again.ok()) __builtin_trap();
  }
  auto f = skiff::api::ParseFieldSelector(in);
  if (f.ok()) {
    (void)f->Matches([](std::string_view) { return std::optional<std::string>("v"); });
  }
  return 0;
}
