// Fuzzes the YAML decoder (manifests, apply patches) and the YAML encoder round trip.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto docs = skiff::api::ParseYamlDocuments(in);
  if (docs.ok()) {
    for (const auto& d : *docs) {
      auto back = skiff::api::ParseYamlOrJson(skiff::api::ToYaml(d));
      // Float formatting may differ; structure and strings must survive.
      if (!back.ok()) __builtin_trap();
    }
  }
  return 0;
}
