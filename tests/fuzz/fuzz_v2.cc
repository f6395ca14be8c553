// Fuzzes the Open Inference Protocol V2 REST decoder on JSON bodies and binary-extension
// bodies. An input starting with 'B' carries a 2-byte little-endian JSON header length
// (Inference-Header-Content-Length) before the body; anything else is a plain JSON body.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "serving/errors.h"
#include "serving/json_writer.h"
#include "serving/v2_codec.h"

namespace {

using skiff::serving::DataType;

template <typename T>
bool AllFinite(const skiff::serving::Tensor& t) {
  for (T v : t.Values<T>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// Whether the JSON form can carry the request exactly: FP16 has no JSON form, binary BYTES
// need not be UTF-8, and NaN or infinities are written as null.
bool JsonEncodable(const skiff::serving::InferRequest& req) {
  for (const auto& t : req.inputs) {
    if (t.datatype == DataType::kFp16 || t.datatype == DataType::kBytes) return false;
    if (t.datatype == DataType::kFp32 && !AllFinite<float>(t)) return false;
    if (t.datatype == DataType::kFp64 && !AllFinite<double>(t)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::optional<size_t> header;
  if (size >= 3 && data[0] == 'B') {
    header = static_cast<size_t>(data[1]) | (static_cast<size_t>(data[2]) << 8);
    in.remove_prefix(3);
  }
  skiff::serving::V2DecodeOptions options;
  options.model_name = "m";
  options.max_elements = 1 << 20;
  options.max_bytes = 1 << 24;
  auto req = skiff::serving::DecodeV2Request(in, header, options);
  if (!req.ok()) {
    // Every decode failure is the client's: 400, 413 or 422, never a 500.
    int code = skiff::serving::ToHttpError(req.status()).status;
    if (code != 400 && code != 413 && code != 422) __builtin_trap();
    return 0;
  }
  for (const auto& t : req->inputs) {
    if (!skiff::serving::CheckTensorData(t).ok()) __builtin_trap();
  }
  // Whatever decodes must encode and decode back to the same request.
  for (bool binary : {false, true}) {
    auto body = skiff::serving::EncodeV2Request(*req, binary);
    if (!body.ok()) {
      if (binary || JsonEncodable(*req)) __builtin_trap();
      continue;
    }
    if (!binary && !JsonEncodable(*req)) continue;
    auto again = skiff::serving::DecodeV2Request(body->bytes, body->json_header_length, options);
    if (!again.ok() || !(*again == *req)) __builtin_trap();
  }
  // The inputs, echoed as binary outputs, survive the response codec too.
  skiff::serving::InferResponse resp;
  resp.model_name = "m";
  resp.id = req->id;
  resp.outputs = req->inputs;
  skiff::serving::V2ResponseOptions out_options;
  out_options.binary_data_output = true;
  auto encoded = skiff::serving::EncodeV2Response(resp, out_options);
  if (!encoded.ok()) __builtin_trap();
  auto decoded =
      skiff::serving::DecodeV2Response(encoded->bytes, encoded->json_header_length, options);
  if (!decoded.ok() || !(*decoded == resp)) __builtin_trap();
  return 0;
}
