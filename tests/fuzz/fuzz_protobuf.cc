// Fuzzes the Kubernetes protobuf body decoder (kubectl's application/vnd.kubernetes.protobuf).
// Seeds are real kubectl 1.32 request bodies.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/protobuf.h"
#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto decoded = skiff::api::DecodeKubernetesProtobuf(in);
  if (decoded.ok()) {
    // Success always means an object that names its kind and serializes to parseable JSON.
    if (!decoded->is_object() || !decoded->contains("kind") || !(*decoded)["kind"].is_string()) {
      __builtin_trap();
    }
    if (!skiff::ParseJson(skiff::DumpJson(*decoded)).ok()) __builtin_trap();
  } else if (decoded.status().code() != skiff::StatusCode::kInvalidArgument &&
             decoded.status().code() != skiff::StatusCode::kUnimplemented) {
    __builtin_trap();
  }
  return 0;
}
