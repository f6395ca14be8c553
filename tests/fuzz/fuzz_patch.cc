// Fuzzes the patch decoders: JSON patch, merge patch and strategic merge patch.
// Input: a document and a patch separated by a NUL byte.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/json_patch.h"
#include "api/strategic_merge.h"
#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find('\0');
  if (split == std::string_view::npos) return 0;
  auto doc = skiff::ParseJson(in.substr(0, split));
  auto patch = skiff::ParseJson(in.substr(split + 1));
  if (!doc.ok() || !patch.ok()) return 0;
  (void)skiff::api::ApplyJsonPatch(*doc, *patch);
  (void)skiff::api::ApplyMergePatch(*doc, *patch);
  static const skiff::Json kSchema = skiff::Json::parse(R"({"type":"object","properties":{
    "spec":{"type":"object","properties":{"containers":{"type":"array",
    "x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge",
    "items":{"type":"object","properties":{"env":{"type":"array",
    "x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge",
    "items":{"type":"object"}}}}},
    "finalizers":{"type":"array","x-kubernetes-patch-strategy":"merge","items":{"type":"string"}}}}}})");
  (void)skiff::api::ApplyStrategicMergePatch(*doc, *patch, &kSchema);
  (void)skiff::api::CreateMergePatch(*doc, *patch);
  return 0;
}
