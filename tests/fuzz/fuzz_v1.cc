// Fuzzes the KServe V1 decoder (`instances` / `inputs`) and the predictions encoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "serving/errors.h"
#include "serving/json_writer.h"
#include "serving/v1_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  skiff::serving::V1DecodeOptions options;
  options.max_elements = 1 << 20;
  auto req = skiff::serving::DecodeV1Request(in, options);
  if (!req.ok()) {
    int code = skiff::serving::ToHttpError(req.status()).status;
    if (code != 400 && code != 413) __builtin_trap();
    return 0;
  }
  if (req->tensor) {
    if (!skiff::serving::CheckTensorData(*req->tensor).ok()) __builtin_trap();
    // Predictions written from the matrix read back as the same matrix.
    auto out = skiff::serving::EncodeV1Predictions(*req->tensor);
    if (!out.ok()) __builtin_trap();
    std::string_view predictions(*out);
    constexpr std::string_view kPrefix = "{\"predictions\":";
    if (!predictions.starts_with(kPrefix)) __builtin_trap();
    std::string again = "{\"" + req->key + "\":" + std::string(predictions.substr(kPrefix.size()));
    auto back = skiff::serving::DecodeV1Request(again, options);
    if (!back.ok() || !back->tensor || !(*back->tensor == *req->tensor)) __builtin_trap();
  } else {
    // Each generic row is JSON that decodes again as a one-row request.
    for (const std::string& row : req->rows) {
      auto back = skiff::serving::DecodeV1Request("{\"instances\":[" + row + "]}", options);
      if (!back.ok()) __builtin_trap();
    }
  }
  return 0;
}
