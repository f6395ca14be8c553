// V2 encoding: JSON written straight into the body buffer, binary tensors appended after it.
#include <string>
#include <vector>

#include "serving/binary_tensor.h"
#include "serving/json_writer.h"
#include "serving/v2_codec.h"

namespace skiff::serving {

namespace {

void AppendShape(std::string& out, const std::vector<int64_t>& shape) {
  out.push_back('[');
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonInt(out, shape[i]);
  }
  out.push_back(']');
}

// Writes one tensor object. Binary tensors get `parameters.binary_data_size` and no `data`;
// their bytes are queued in `tail`.
Status AppendTensor(std::string& out, const Tensor& t, bool binary,
                    std::vector<const Tensor*>& tail) {
  out.append("{\"name\":");
  AppendJsonString(out, t.name);
  out.append(",\"datatype\":");
  AppendJsonString(out, DataTypeName(t.datatype));
  out.append(",\"shape\":");
  AppendShape(out, t.shape);
  if (binary) {
    SKIFF_RETURN_IF_ERROR(CheckTensorData(t));
    Parameters params = t.parameters;
    params.Set("binary_data_size", static_cast<int64_t>(t.data.size()));
    out.append(",\"parameters\":");
    AppendJsonParameters(out, params);
    tail.push_back(&t);
  } else {
    if (!t.parameters.empty()) {
      out.append(",\"parameters\":");
      AppendJsonParameters(out, t.parameters);
    }
    out.append(",\"data\":");
    SKIFF_RETURN_IF_ERROR(AppendTensorJson(out, t, /*nested=*/false));
  }
  out.push_back('}');
  return Status::Ok();
}

// Closes the JSON and appends the binary tail, if any.
V2Body Finish(std::string out, const std::vector<const Tensor*>& tail) {
  V2Body body;
  if (!tail.empty()) {
    body.json_header_length = out.size();
    size_t total = out.size();
    for (const Tensor* t : tail) total += t->data.size();
    out.reserve(total);
    for (const Tensor* t : tail) out.append(t->data);
  }
  body.bytes = std::move(out);
  return body;
}

Status Fp16AsJson(const Tensor& t) {
  return InvalidArgument(
      "Sending FP16 data via JSON is not supported. Please use the binary data format for "
      "output " +
      t.name);
}

}  // namespace

V2ResponseOptions ResponseOptionsFor(const InferRequest& request) {
  return {.binary_data_output = request.binary_data_output, .requested_outputs = request.outputs};
}

StatusOr<V2Body> EncodeV2Response(const InferResponse& response, const V2ResponseOptions& options) {
  // Pick the outputs and their format first, so the body is sized once for the JSON parts.
  struct Selected {
    const Tensor* tensor;
    bool binary;
  };
  std::vector<Selected> selected;
  if (options.requested_outputs.empty()) {
    for (const Tensor& t : response.outputs) selected.push_back({&t, options.binary_data_output});
  } else {
    for (const RequestedOutput& want : options.requested_outputs) {
      const Tensor* found = nullptr;
      for (const Tensor& t : response.outputs) {
        if (t.name == want.name) found = &t;
      }
      if (found == nullptr) {
        return InvalidArgument("Unexpected inference output '" + want.name + "' for model '" +
                               response.model_name + "'");
      }
      selected.push_back({found, want.binary_data.value_or(options.binary_data_output)});
    }
  }
  size_t estimate = 256;
  for (const Selected& s : selected) {
    if (!s.binary && s.tensor->datatype == DataType::kFp16) return Fp16AsJson(*s.tensor);
    estimate += 128 + (s.binary ? 0 : EstimateTensorJsonSize(*s.tensor));
  }
  std::string out;
  out.reserve(estimate);
  std::vector<const Tensor*> tail;
  out.append("{\"model_name\":");
  AppendJsonString(out, response.model_name);
  if (!response.model_version.empty()) {
    out.append(",\"model_version\":");
    AppendJsonString(out, response.model_version);
  }
  if (!response.id.empty()) {
    out.append(",\"id\":");
    AppendJsonString(out, response.id);
  }
  if (!response.parameters.empty()) {
    out.append(",\"parameters\":");
    AppendJsonParameters(out, response.parameters);
  }
  out.append(",\"outputs\":[");
  for (size_t i = 0; i < selected.size(); ++i) {
    if (i > 0) out.push_back(',');
    SKIFF_RETURN_IF_ERROR(AppendTensor(out, *selected[i].tensor, selected[i].binary, tail));
  }
  out.append("]}");
  return Finish(std::move(out), tail);
}

StatusOr<V2Body> EncodeV2Request(const InferRequest& request, bool binary_inputs) {
  std::string out;
  size_t estimate = 256;
  for (const Tensor& t : request.inputs) {
    estimate += 128 + (binary_inputs ? 0 : EstimateTensorJsonSize(t));
  }
  out.reserve(estimate);
  std::vector<const Tensor*> tail;
  out.push_back('{');
  if (!request.id.empty()) {
    out.append("\"id\":");
    AppendJsonString(out, request.id);
    out.push_back(',');
  }
  if (!request.parameters.empty() || request.binary_data_output) {
    Parameters params = request.parameters;
    if (request.binary_data_output) params.Set("binary_data_output", true);
    out.append("\"parameters\":");
    AppendJsonParameters(out, params);
    out.push_back(',');
  }
  out.append("\"inputs\":[");
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const Tensor& t = request.inputs[i];
    if (!binary_inputs && t.datatype == DataType::kFp16) {
      return InvalidArgument(
          "Sending FP16 data via JSON is not supported. Please use the binary data format for "
          "input " +
          t.name);
    }
    if (i > 0) out.push_back(',');
    SKIFF_RETURN_IF_ERROR(AppendTensor(out, t, binary_inputs, tail));
  }
  out.push_back(']');
  if (!request.outputs.empty()) {
    out.append(",\"outputs\":[");
    for (size_t i = 0; i < request.outputs.size(); ++i) {
      const RequestedOutput& o = request.outputs[i];
      if (i > 0) out.push_back(',');
      out.append("{\"name\":");
      AppendJsonString(out, o.name);
      if (!o.parameters.empty() || o.binary_data) {
        Parameters params = o.parameters;
        if (o.binary_data) params.Set("binary_data", *o.binary_data);
        out.append(",\"parameters\":");
        AppendJsonParameters(out, params);
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return Finish(std::move(out), tail);
}

}  // namespace skiff::serving
