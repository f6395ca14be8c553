// V2 decoding: walks the simdjson DOM once and writes tensor data straight into each
// tensor's raw buffer, with no per-element allocation.
#include <cmath>
#include <cstring>
#include <limits>

#include "serving/binary_tensor.h"
#include "serving/errors.h"
#include "serving/json_dom_impl.h"
#include "serving/v2_codec.h"

namespace skiff::serving {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// pydantic v2 wording, as KServe's FastAPI layer reports schema failures.
Status Missing(const std::string& loc) {
  return RequestValidationError("missing", "Field required", loc);
}
Status NotList(const std::string& loc) {
  return RequestValidationError("list_type", "Input should be a valid list", loc);
}
Status NotString(const std::string& loc) {
  return RequestValidationError("string_type", "Input should be a valid string", loc);
}
Status NotDict(const std::string& loc) {
  return RequestValidationError("dict_type", "Input should be a valid dictionary", loc);
}
Status NotModel(const std::string& loc) {
  return RequestValidationError("model_attributes_type",
                                "Input should be a valid dictionary or object to extract "
                                "fields from",
                                loc);
}

const char kShapeMismatch[] =
    "Unable to parse 'data': Shape does not match true shape of 'data' field";

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Typed reads after the kind was checked (value_unsafe: simdjson cannot fail, nor throw).
int64_t AsInt64(element el) { return el.get_int64().value_unsafe(); }
uint64_t AsUint64(element el) { return el.get_uint64().value_unsafe(); }
double AsDouble(element el) { return el.get_double().value_unsafe(); }
bool AsBool(element el) { return el.get_bool().value_unsafe(); }

std::string NumberText(element el) {
  switch (el.type()) {
    case element_type::INT64:
      return std::to_string(AsInt64(el));
    case element_type::UINT64:
      return std::to_string(AsUint64(el));
    default:
      return std::to_string(AsDouble(el));
  }
}

std::string ShapeText(std::span<const int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(shape[i]);
  }
  out.push_back(']');
  return out;
}

// Decoding context for one tensor's JSON data.
struct DataCtx {
  const std::string& name;
  DataType type;
  const V2DecodeOptions& options;
};

Status TypeError(const DataCtx& c, std::string_view want, element el) {
  return InvalidArgument("Unable to parse 'data': expected " + std::string(want) + " for " +
                         std::string(DataTypeName(c.type)) + " input " + Quote(c.name) + ", got " +
                         std::string(internal::KindName(el.type())));
}

Status RangeError(const DataCtx& c, element el) {
  return InvalidArgument("Unable to parse 'data': value " + NumberText(el) +
                         " is out of range for " + std::string(DataTypeName(c.type)) + " input " +
                         Quote(c.name));
}

// Reads one JSON scalar as T, checking the JSON kind and T's range.
template <typename T>
Status ReadScalar(const DataCtx& c, element el, T* out) {
  const element_type type = el.type();
  if constexpr (std::is_same_v<T, bool>) {
    if (type != element_type::BOOL) return TypeError(c, "a boolean", el);
    *out = AsBool(el);
  } else if constexpr (std::is_integral_v<T>) {
    if (type == element_type::INT64) {
      const int64_t v = AsInt64(el);
      if constexpr (std::is_unsigned_v<T>) {
        if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) {
          return RangeError(c, el);
        }
      } else {
        if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
          return RangeError(c, el);
        }
      }
      *out = static_cast<T>(v);
    } else if (type == element_type::UINT64) {  // only values above INT64_MAX land here
      if constexpr (!std::is_same_v<T, uint64_t>) return RangeError(c, el);
      *out = static_cast<T>(AsUint64(el));
    } else {
      return TypeError(c, "an integer", el);
    }
  } else {  // float, double, Fp16
    if (!internal::IsNumber(type)) return TypeError(c, "a number", el);
    const double v = AsDouble(el);
    if constexpr (std::is_same_v<T, double>) {
      *out = v;
    } else {
      const float f = static_cast<float>(v);
      if (std::isinf(f) && std::isfinite(v)) return RangeError(c, el);
      if constexpr (std::is_same_v<T, float>) {
        *out = f;
      } else {
        *out = FloatToFp16(f);
        if (std::isfinite(f) && (out->bits & 0x7C00) == 0x7C00) return RangeError(c, el);
      }
    }
  }
  return Status::Ok();
}

// Calls fn(leaf) for every leaf in row-major order. `depth` levels of arrays are expected
// (1 for flat data); sizes were checked beforehand, and an array where a scalar belongs is a
// shape mismatch.
template <typename Fn>
Status ForEachLeaf(array arr, size_t depth, Fn&& fn) {
  for (element child : arr) {
    if (depth > 1) {
      array sub;
      if (child.get_array().get(sub)) return InvalidArgument(kShapeMismatch);
      SKIFF_RETURN_IF_ERROR(ForEachLeaf(sub, depth - 1, fn));
    } else {
      if (child.type() == element_type::ARRAY) return InvalidArgument(kShapeMismatch);
      SKIFF_RETURN_IF_ERROR(fn(child));
    }
  }
  return Status::Ok();
}

// Nested data must follow the shape exactly: level d has shape[d] entries.
Status CheckNesting(array arr, std::span<const int64_t> shape) {
  if (static_cast<int64_t>(arr.size()) != shape[0]) return InvalidArgument(kShapeMismatch);
  if (shape.size() == 1) return Status::Ok();
  for (element child : arr) {
    array sub;
    if (child.get_array().get(sub)) return InvalidArgument(kShapeMismatch);
    SKIFF_RETURN_IF_ERROR(CheckNesting(sub, shape.subspan(1)));
  }
  return Status::Ok();
}

template <typename T>
Status FillFixed(const DataCtx& c, array arr, size_t depth, int64_t count, std::string& out) {
  out.resize(static_cast<size_t>(count) * sizeof(T));
  char* base = out.data();
  size_t i = 0;
  return ForEachLeaf(arr, depth, [&](element el) -> Status {
    T v{};
    SKIFF_RETURN_IF_ERROR(ReadScalar<T>(c, el, &v));
    std::memcpy(base + i * sizeof(T), &v, sizeof(T));
    ++i;
    return Status::Ok();
  });
}

Status FillBytes(const DataCtx& c, array arr, size_t depth, std::string& out) {
  return ForEachLeaf(arr, depth, [&](element el) -> Status {
    std::string_view s;
    if (el.get_string().get(s)) return TypeError(c, "a string", el);
    if (out.size() + 4 + s.size() > static_cast<uint64_t>(c.options.max_bytes)) {
      return ResourceExhausted("input " + Quote(c.name) + " exceeds the limit of " +
                               std::to_string(c.options.max_bytes) + " bytes");
    }
    const uint32_t len = static_cast<uint32_t>(s.size());
    char prefix[4];
    std::memcpy(prefix, &len, sizeof(prefix));
    out.append(prefix, sizeof(prefix));
    out.append(s);
    return Status::Ok();
  });
}

// Fills tensor.data from the JSON `data` array; tensor.shape and datatype are already set.
Status ReadJsonData(element data, const std::string& loc, int64_t count,
                    const V2DecodeOptions& options, Tensor& tensor) {
  array arr;
  if (data.get_array().get(arr)) return NotList(loc);
  const std::span<const int64_t> shape = tensor.shape;
  // Flat when the top level already holds every element (a rank-0 or rank-1 shape is always
  // flat); otherwise the nesting must mirror the shape.
  size_t depth = 1;
  bool flat = shape.size() <= 1 || static_cast<int64_t>(arr.size()) == count;
  if (flat && shape.size() > 1 && count > 0 && (*arr.begin()).type() == element_type::ARRAY) {
    flat = false;  // e.g. shape [1,1] with [[5]]
  }
  if (flat) {
    if (static_cast<int64_t>(arr.size()) != count) return InvalidArgument(kShapeMismatch);
  } else {
    SKIFF_RETURN_IF_ERROR(CheckNesting(arr, shape));
    depth = shape.size();
  }
  const DataCtx c{tensor.name, tensor.datatype, options};
  switch (tensor.datatype) {
    case DataType::kBool:
      return FillFixed<bool>(c, arr, depth, count, tensor.data);
    case DataType::kUint8:
      return FillFixed<uint8_t>(c, arr, depth, count, tensor.data);
    case DataType::kUint16:
      return FillFixed<uint16_t>(c, arr, depth, count, tensor.data);
    case DataType::kUint32:
      return FillFixed<uint32_t>(c, arr, depth, count, tensor.data);
    case DataType::kUint64:
      return FillFixed<uint64_t>(c, arr, depth, count, tensor.data);
    case DataType::kInt8:
      return FillFixed<int8_t>(c, arr, depth, count, tensor.data);
    case DataType::kInt16:
      return FillFixed<int16_t>(c, arr, depth, count, tensor.data);
    case DataType::kInt32:
      return FillFixed<int32_t>(c, arr, depth, count, tensor.data);
    case DataType::kInt64:
      return FillFixed<int64_t>(c, arr, depth, count, tensor.data);
    case DataType::kFp16:
      return FillFixed<Fp16>(c, arr, depth, count, tensor.data);
    case DataType::kFp32:
      return FillFixed<float>(c, arr, depth, count, tensor.data);
    case DataType::kFp64:
      return FillFixed<double>(c, arr, depth, count, tensor.data);
    case DataType::kBytes:
      return FillBytes(c, arr, depth, tensor.data);
  }
  return Status::Ok();
}

// Parameter maps: booleans, numbers and strings; null entries are dropped.
Status ReadParameters(element el, const std::string& loc, Parameters& out) {
  object obj;
  if (el.get_object().get(obj)) return NotDict(loc);
  for (auto field : obj) {
    element v = field.value;
    std::string key(field.key);
    switch (v.type()) {
      case element_type::BOOL:
        out.Set(std::move(key), AsBool(v));
        break;
      case element_type::INT64:
        out.Set(std::move(key), AsInt64(v));
        break;
      case element_type::UINT64:
      case element_type::DOUBLE:
        out.Set(std::move(key), AsDouble(v));
        break;
      case element_type::STRING:
        out.Set(std::move(key), std::string(v.get_string().value_unsafe()));
        break;
      case element_type::NULL_VALUE:
        break;
      default:
        return InvalidArgument("Unable to parse 'parameters': value of " + Quote(key) +
                               " must be a boolean, number or string, got " +
                               std::string(internal::KindName(v.type())));
    }
  }
  return Status::Ok();
}

// A shape dimension: a JSON integer (or an integral double, which pydantic also takes).
Status ReadDim(element el, const std::string& loc, int64_t* out) {
  switch (el.type()) {
    case element_type::INT64:
      *out = AsInt64(el);
      return Status::Ok();
    case element_type::UINT64:
      break;
    case element_type::DOUBLE: {
      const double d = AsDouble(el);
      if (d != std::floor(d)) {
        return RequestValidationError(
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part", loc);
      }
      if (std::fabs(d) < 9.2e18) {
        *out = static_cast<int64_t>(d);
        return Status::Ok();
      }
      break;
    }
    default:
      return RequestValidationError("int_type", "Input should be a valid integer", loc);
  }
  return RequestValidationError("int_type", "Input should be a valid integer", loc);
}

// Decodes one entry of `inputs` (requests) or `outputs` (responses).
StatusOr<Tensor> ReadTensor(element el, const std::string& loc, BinaryTail& tail,
                            const V2DecodeOptions& options) {
  object obj;
  if (el.get_object().get(obj)) return NotModel(loc);
  element name_el, shape_el, type_el, params_el, data_el;
  bool has_name = false, has_shape = false, has_type = false, has_params = false, has_data = false;
  for (auto field : obj) {
    if (field.key == "name") {
      name_el = field.value;
      has_name = true;
    } else if (field.key == "shape") {
      shape_el = field.value;
      has_shape = true;
    } else if (field.key == "datatype") {
      type_el = field.value;
      has_type = true;
    } else if (field.key == "parameters") {
      params_el = field.value;
      has_params = field.value.type() != element_type::NULL_VALUE;
    } else if (field.key == "data") {
      data_el = field.value;
      has_data = true;
    }
  }
  Tensor t;
  std::string_view sv;
  if (!has_name) return Missing(loc + ".name");
  if (name_el.get_string().get(sv)) return NotString(loc + ".name");
  t.name = sv;
  if (!has_shape) return Missing(loc + ".shape");
  array shape_arr;
  if (shape_el.get_array().get(shape_arr)) return NotList(loc + ".shape");
  if (shape_arr.size() > options.max_rank) {
    return InvalidArgument("Unable to parse 'shape': input " + Quote(t.name) + " has rank " +
                           std::to_string(shape_arr.size()) + ", more than the limit of " +
                           std::to_string(options.max_rank));
  }
  t.shape.reserve(shape_arr.size());
  for (element d : shape_arr) {
    int64_t dim = 0;
    SKIFF_RETURN_IF_ERROR(ReadDim(d, loc + ".shape." + std::to_string(t.shape.size()), &dim));
    if (dim < 0) {
      return InvalidArgument("Unable to parse 'shape': dimension " + std::to_string(dim) +
                             " of input " + Quote(t.name) + " is negative");
    }
    t.shape.push_back(dim);
  }
  if (!has_type) return Missing(loc + ".datatype");
  if (type_el.get_string().get(sv)) return NotString(loc + ".datatype");
  std::optional<DataType> type = DataTypeFromName(sv);
  if (!type) {
    return InvalidArgument("invalid datatype '" + std::string(sv) + "' for input " + Quote(t.name));
  }
  t.datatype = *type;
  if (has_params)
    SKIFF_RETURN_IF_ERROR(ReadParameters(params_el, loc + ".parameters", t.parameters));

  std::optional<int64_t> count = CheckedElementCount(t.shape, options.max_elements);
  const size_t elem_size = DataTypeSize(t.datatype);
  if (!count || (elem_size != 0 && *count > options.max_bytes / static_cast<int64_t>(elem_size))) {
    return ResourceExhausted("input " + Quote(t.name) + " with shape " + ShapeText(t.shape) +
                             " exceeds the limit of " + std::to_string(options.max_elements) +
                             " elements or " + std::to_string(options.max_bytes) + " bytes");
  }

  if (const ParameterValue* p = t.parameters.Find("binary_data_size")) {
    const int64_t* size = std::get_if<int64_t>(p);
    if (size == nullptr || *size < 0) {
      return InvalidArgument("Unable to parse 'binary_data_size' for input " + Quote(t.name));
    }
    if (has_data) {
      return InvalidArgument("input " + Quote(t.name) +
                             " has both 'data' and 'binary_data_size'; send one of them");
    }
    const uint64_t want = static_cast<uint64_t>(*size);
    t.parameters.Erase("binary_data_size");
    SKIFF_ASSIGN_OR_RETURN(std::string_view raw, tail.Take(want, t.name, options.model_name));
    if (t.datatype == DataType::kBytes) {
      if (raw.size() > static_cast<uint64_t>(options.max_bytes)) {
        return ResourceExhausted("input " + Quote(t.name) + " exceeds the limit of " +
                                 std::to_string(options.max_bytes) + " bytes");
      }
      SKIFF_RETURN_IF_ERROR(ValidateBytesTensor(raw, *count, t.name, options.model_name));
    } else if (raw.size() != static_cast<uint64_t>(*count) * elem_size) {
      return InvalidArgument("input byte size mismatch for input " + Quote(t.name) +
                             ForModel(options.model_name) + ". Expected " +
                             std::to_string(*count * static_cast<int64_t>(elem_size)) + ", got " +
                             std::to_string(raw.size()));
    }
    t.data.assign(raw);
    if (t.datatype == DataType::kBool) {
      // Any non-zero byte is true; normalizing keeps Values<bool>() well-defined.
      for (char& b : t.data) b = b != 0 ? 1 : 0;
    }
    return t;
  }
  if (!has_data) {
    if (tail.present()) {
      return InvalidArgument("'data' field is missing for input " + Quote(t.name) +
                             ForModel(options.model_name));
    }
    return Missing(loc + ".data");
  }
  if (t.datatype == DataType::kFp16 && !options.allow_fp16_json) {
    return InvalidArgument(
        "receiving FP16 data via JSON is not supported. Please use the binary data format for "
        "input " +
        t.name);
  }
  SKIFF_RETURN_IF_ERROR(ReadJsonData(data_el, loc + ".data", *count, options, t));
  return t;
}

// Shared by requests and responses: the JSON root and the tail after it.
struct Split {
  std::string_view json;
  std::string_view tail;
};

StatusOr<Split> SplitBody(std::string_view body, std::optional<size_t> header_length) {
  if (!header_length) return Split{body, {}};
  if (*header_length > body.size()) {
    return InvalidArgument(std::string(kInferenceHeaderContentLength) + " " +
                           std::to_string(*header_length) + " exceeds the body size " +
                           std::to_string(body.size()));
  }
  return Split{body.substr(0, *header_length), body.substr(*header_length)};
}

Status ReadTensorList(element list, const std::string& loc, BinaryTail& tail,
                      const V2DecodeOptions& options, std::vector<Tensor>& out) {
  array arr;
  if (list.get_array().get(arr)) return NotList(loc);
  out.reserve(arr.size());
  for (element el : arr) {
    SKIFF_ASSIGN_OR_RETURN(Tensor t,
                           ReadTensor(el, loc + "." + std::to_string(out.size()), tail, options));
    out.push_back(std::move(t));
  }
  return tail.CheckConsumed(options.model_name);
}

Status ReadRequestedOutputs(element list, InferRequest& req) {
  array arr;
  if (list.get_array().get(arr)) return NotList("body.outputs");
  for (element el : arr) {
    const std::string loc = "body.outputs." + std::to_string(req.outputs.size());
    object obj;
    if (el.get_object().get(obj)) return NotModel(loc);
    RequestedOutput out;
    bool has_name = false;
    for (auto field : obj) {
      if (field.key == "name") {
        std::string_view sv;
        if (field.value.get_string().get(sv)) return NotString(loc + ".name");
        out.name = sv;
        has_name = true;
      } else if (field.key == "parameters") {
        SKIFF_RETURN_IF_ERROR(ReadParameters(field.value, loc + ".parameters", out.parameters));
      }
    }
    if (!has_name) return Missing(loc + ".name");
    if (const ParameterValue* p = out.parameters.Find("binary_data")) {
      const bool* b = std::get_if<bool>(p);
      if (b == nullptr) return InvalidArgument("Unable to parse 'binary_data'");
      out.binary_data = *b;
      out.parameters.Erase("binary_data");
    }
    req.outputs.push_back(std::move(out));
  }
  return Status::Ok();
}

StatusOr<std::string> ReadString(element el, const std::string& loc) {
  std::string_view sv;
  if (el.get_string().get(sv)) return NotString(loc);
  return std::string(sv);
}

}  // namespace

StatusOr<InferRequest> DecodeV2Request(std::string_view body,
                                       std::optional<size_t> json_header_length,
                                       const V2DecodeOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(Split split, SplitBody(body, json_header_length));
  SKIFF_ASSIGN_OR_RETURN(element root, internal::ParseDom(split.json));
  object obj;
  if (root.get_object().get(obj)) return NotModel("body");
  InferRequest req;
  element inputs, outputs;
  bool has_inputs = false, has_outputs = false;
  for (auto field : obj) {
    if (field.key == "id") {
      SKIFF_ASSIGN_OR_RETURN(req.id, ReadString(field.value, "body.id"));
    } else if (field.key == "inputs") {
      inputs = field.value;
      has_inputs = true;
    } else if (field.key == "outputs") {
      outputs = field.value;
      has_outputs = field.value.type() != element_type::NULL_VALUE;
    } else if (field.key == "parameters") {
      if (field.value.type() != element_type::NULL_VALUE) {
        SKIFF_RETURN_IF_ERROR(ReadParameters(field.value, "body.parameters", req.parameters));
      }
    }
  }
  if (const ParameterValue* p = req.parameters.Find("binary_data_output")) {
    const bool* b = std::get_if<bool>(p);
    if (b == nullptr) return InvalidArgument("Unable to parse 'binary_data_output'");
    req.binary_data_output = *b;
    req.parameters.Erase("binary_data_output");
  }
  if (!has_inputs) return Missing("body.inputs");
  BinaryTail tail(split.tail, json_header_length.has_value());
  SKIFF_RETURN_IF_ERROR(ReadTensorList(inputs, "body.inputs", tail, options, req.inputs));
  if (has_outputs) SKIFF_RETURN_IF_ERROR(ReadRequestedOutputs(outputs, req));
  return req;
}

StatusOr<InferResponse> DecodeV2Response(std::string_view body,
                                         std::optional<size_t> json_header_length,
                                         const V2DecodeOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(Split split, SplitBody(body, json_header_length));
  SKIFF_ASSIGN_OR_RETURN(element root, internal::ParseDom(split.json));
  object obj;
  if (root.get_object().get(obj)) return NotModel("body");
  InferResponse resp;
  element outputs;
  bool has_outputs = false;
  for (auto field : obj) {
    if (field.key == "id") {
      SKIFF_ASSIGN_OR_RETURN(resp.id, ReadString(field.value, "body.id"));
    } else if (field.key == "model_name") {
      SKIFF_ASSIGN_OR_RETURN(resp.model_name, ReadString(field.value, "body.model_name"));
    } else if (field.key == "model_version") {
      if (field.value.type() != element_type::NULL_VALUE) {
        SKIFF_ASSIGN_OR_RETURN(resp.model_version, ReadString(field.value, "body.model_version"));
      }
    } else if (field.key == "outputs") {
      outputs = field.value;
      has_outputs = true;
    } else if (field.key == "parameters") {
      if (field.value.type() != element_type::NULL_VALUE) {
        SKIFF_RETURN_IF_ERROR(ReadParameters(field.value, "body.parameters", resp.parameters));
      }
    }
  }
  if (!has_outputs) return Missing("body.outputs");
  BinaryTail tail(split.tail, json_header_length.has_value());
  SKIFF_RETURN_IF_ERROR(ReadTensorList(outputs, "body.outputs", tail, options, resp.outputs));
  return resp;
}

}  // namespace skiff::serving
