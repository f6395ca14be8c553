// Concatenation and splitting of tensors along dimension 0. Fixed-size types are byte
// ranges; BYTES rows are found by walking the element length prefixes.
#include "serving/batch.h"

#include <cstring>

#include "serving/json_writer.h"

namespace skiff::serving {

namespace {

void AppendKeyPart(std::string& key, std::string_view part) {
  key.append(std::to_string(part.size())).push_back(':');
  key.append(part);
}

// Byte offset of each row boundary of a BYTES tensor with `rows` rows.
std::vector<size_t> BytesRowOffsets(const Tensor& t, int64_t rows) {
  std::vector<size_t> offsets = {0};
  int64_t per_row = rows == 0 ? 0 : t.ElementCount() / rows;
  size_t pos = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t e = 0; e < per_row; ++e) {
      uint32_t len;
      std::memcpy(&len, t.data.data() + pos, 4);
      pos += 4 + len;
    }
    offsets.push_back(pos);
  }
  return offsets;
}

}  // namespace

std::optional<std::string> BatchKey(const PredictRequest& request) {
  if (request.inputs.empty()) return std::nullopt;
  int64_t rows = -1;
  std::string key;
  for (const Tensor& t : request.inputs) {
    if (t.shape.empty()) return std::nullopt;
    if (rows >= 0 && t.shape[0] != rows) return std::nullopt;
    rows = t.shape[0];
    AppendKeyPart(key, t.name);
    AppendKeyPart(key, DataTypeName(t.datatype));
    for (size_t i = 1; i < t.shape.size(); ++i)
      key.append(std::to_string(t.shape[i])).push_back(',');
    key.push_back(';');
    std::string params;
    if (!t.parameters.empty()) AppendJsonParameters(params, t.parameters);
    AppendKeyPart(key, params);
  }
  key.push_back('|');
  for (const std::string& name : request.output_names) AppendKeyPart(key, name);
  key.push_back('|');
  std::string params;
  if (!request.parameters.empty()) AppendJsonParameters(params, request.parameters);
  AppendKeyPart(key, params);
  key.push_back(request.v1 ? '1' : '2');
  return key;
}

int64_t BatchRows(const PredictRequest& request) { return request.inputs[0].shape[0]; }

PredictRequest ConcatRows(std::span<const PredictRequest* const> requests) {
  PredictRequest out;
  const PredictRequest& first = *requests[0];
  out.output_names = first.output_names;
  out.parameters = first.parameters;
  out.v1 = first.v1;
  for (size_t i = 0; i < first.inputs.size(); ++i) {
    Tensor t;
    t.name = first.inputs[i].name;
    t.datatype = first.inputs[i].datatype;
    t.shape = first.inputs[i].shape;
    t.parameters = first.inputs[i].parameters;
    size_t bytes = 0;
    int64_t rows = 0;
    for (const PredictRequest* r : requests) {
      bytes += r->inputs[i].data.size();
      rows += r->inputs[i].shape[0];
    }
    t.shape[0] = rows;
    t.data.reserve(bytes);
    for (const PredictRequest* r : requests) t.data.append(r->inputs[i].data);
    out.inputs.push_back(std::move(t));
  }
  return out;
}

StatusOr<std::vector<std::vector<Tensor>>> SplitRows(const std::vector<Tensor>& outputs,
                                                     std::span<const int64_t> rows) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  std::vector<std::vector<Tensor>> out(rows.size());
  for (const Tensor& t : outputs) {
    if (t.shape.empty() || t.shape[0] != total) {
      return Internal("batched output '" + t.name + "' has " +
                      (t.shape.empty() ? std::string("no rows") : std::to_string(t.shape[0])) +
                      " rows for " + std::to_string(total) + " input rows");
    }
    SKIFF_RETURN_IF_ERROR(CheckTensorData(t));
    std::vector<size_t> offsets;
    if (t.datatype == DataType::kBytes) {
      offsets = BytesRowOffsets(t, total);
    } else {
      size_t row_bytes = total == 0 ? 0 : t.data.size() / static_cast<size_t>(total);
      for (int64_t r = 0; r <= total; ++r) offsets.push_back(static_cast<size_t>(r) * row_bytes);
    }
    int64_t row = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      Tensor part;
      part.name = t.name;
      part.datatype = t.datatype;
      part.shape = t.shape;
      part.shape[0] = rows[i];
      part.parameters = t.parameters;
      part.data.assign(t.data, offsets[row], offsets[row + rows[i]] - offsets[row]);
      row += rows[i];
      out[i].push_back(std::move(part));
    }
  }
  return out;
}

}  // namespace skiff::serving
