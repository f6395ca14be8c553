// V1 decoding (numeric rows straight into an FP64 buffer, anything else kept as row JSON)
// and `predictions` encoding.
#include "serving/v1_codec.h"

#include <cstring>

#include "serving/binary_tensor.h"
#include "serving/json_dom_impl.h"
#include "serving/json_writer.h"

namespace skiff::serving {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

const char kNoRows[] = "Expected \"instances\" or \"inputs\" in request body";

// The shape numpy would infer from the first element at each level.
std::vector<int64_t> CandidateShape(array rows) {
  std::vector<int64_t> shape = {static_cast<int64_t>(rows.size())};
  array level = rows;
  while (level.size() > 0) {
    array next;
    if ((*level.begin()).get_array().get(next)) break;
    shape.push_back(static_cast<int64_t>(next.size()));
    level = next;
  }
  return shape;
}

// Whether every level matches `shape` and every leaf is a number.
bool Regular(array level, std::span<const int64_t> shape) {
  if (static_cast<int64_t>(level.size()) != shape[0]) return false;
  for (element child : level) {
    if (shape.size() > 1) {
      array sub;
      if (child.get_array().get(sub) || !Regular(sub, shape.subspan(1))) return false;
    } else if (!internal::IsNumber(child.type())) {
      return false;
    }
  }
  return true;
}

void Fill(array level, size_t depth, double*& out) {
  for (element child : level) {
    if (depth > 1) {
      Fill(child.get_array().value_unsafe(), depth - 1, out);
    } else {
      *out++ = child.get_double().value_unsafe();
    }
  }
}

}  // namespace

StatusOr<V1Request> DecodeV1Request(std::string_view body, const V1DecodeOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(element root, internal::ParseDom(body));
  object obj;
  if (root.get_object().get(obj)) return InvalidArgument(kNoRows);
  element instances, inputs;
  bool has_instances = false, has_inputs = false;
  for (auto field : obj) {
    if (field.key == "instances") {
      instances = field.value;
      has_instances = true;
    } else if (field.key == "inputs") {
      inputs = field.value;
      has_inputs = true;
    }
  }
  if (!has_instances && !has_inputs) return InvalidArgument(kNoRows);
  V1Request req;
  req.key = has_inputs ? "inputs" : "instances";
  array rows;
  if ((has_inputs ? inputs : instances).get_array().get(rows)) {
    return InvalidArgument("Expected \"" + req.key + "\" to be a list");
  }
  std::vector<int64_t> shape = CandidateShape(rows);
  if (Regular(rows, shape)) {
    std::optional<int64_t> count = CheckedElementCount(shape, options.max_elements);
    if (!count) {
      return ResourceExhausted("\"" + req.key + "\" holds more than " +
                               std::to_string(options.max_elements) + " numbers");
    }
    Tensor t;
    t.name = req.key;
    t.datatype = DataType::kFp64;
    t.shape = std::move(shape);
    t.data.resize(static_cast<size_t>(*count) * sizeof(double));
    // std::string storage is suitably aligned for double (see Tensor).
    double* out = reinterpret_cast<double*>(t.data.data());
    Fill(rows, t.shape.size(), out);
    req.tensor = std::move(t);
    return req;
  }
  req.rows.reserve(rows.size());
  for (element row : rows) req.rows.push_back(simdjson::to_string(row));
  return req;
}

StatusOr<std::string> EncodeV1Predictions(const Tensor& predictions) {
  std::string out;
  out.reserve(32 + EstimateTensorJsonSize(predictions));
  out.append("{\"predictions\":");
  SKIFF_RETURN_IF_ERROR(AppendTensorJson(out, predictions, /*nested=*/true));
  out.push_back('}');
  return out;
}

std::string EncodeV1PredictionsJson(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 16);
  out.append("{\"predictions\":");
  out.append(json);
  out.push_back('}');
  return out;
}

}  // namespace skiff::serving
