// gRPC V2 message <-> tensor conversion. Raw contents are already in the tensor layout
// (little-endian, BYTES length-prefixed) and are copied as-is after validation.
#include <cstring>
#include <utility>

#include "serving/binary_tensor.h"
#include "serving/json_writer.h"
#include "serving/server/grpc_codec_impl.h"

namespace skiff::serving {

namespace {

using inference::InferParameter;
using inference::InferTensorContents;

Parameters ParamsFromProto(const google::protobuf::Map<std::string, InferParameter>& map) {
  Parameters out;
  for (const auto& [key, p] : map) {
    switch (p.parameter_choice_case()) {
      case InferParameter::kBoolParam:
        out.Set(key, p.bool_param());
        break;
      case InferParameter::kInt64Param:
        out.Set(key, p.int64_param());
        break;
      case InferParameter::kStringParam:
        out.Set(key, p.string_param());
        break;
      case InferParameter::kDoubleParam:
        out.Set(key, p.double_param());
        break;
      case InferParameter::kUint64Param:
        if (std::in_range<int64_t>(p.uint64_param())) {
          out.Set(key, static_cast<int64_t>(p.uint64_param()));
        } else {
          out.Set(key, static_cast<double>(p.uint64_param()));
        }
        break;
      default:
        break;
    }
  }
  return out;
}

void ParamsToProto(const Parameters& params,
                   google::protobuf::Map<std::string, InferParameter>& map) {
  for (const auto& [key, value] : params) {
    InferParameter& p = map[key];
    if (const bool* b = std::get_if<bool>(&value)) {
      p.set_bool_param(*b);
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      p.set_int64_param(*i);
    } else if (const double* d = std::get_if<double>(&value)) {
      p.set_double_param(*d);
    } else {
      p.set_string_param(std::get<std::string>(value));
    }
  }
}

Status CountMismatch(const Tensor& t, int64_t expected, int64_t got, std::string_view model) {
  return InvalidArgument("unexpected number of elements for input '" + t.name + "'" +
                         ForModel(model) + ": shape expects " + std::to_string(expected) +
                         ", contents hold " + std::to_string(got));
}

// Typed contents into the tensor's raw buffer, checking each value fits the datatype.
template <typename Out, typename Field>
Status FillFrom(const Field& src, Tensor& t, int64_t expected, std::string_view model) {
  if (src.size() != expected) return CountMismatch(t, expected, src.size(), model);
  t.data.resize(static_cast<size_t>(expected) * sizeof(Out));
  char* p = t.data.data();
  for (const auto& v : src) {
    if constexpr (std::is_integral_v<Out> && !std::is_same_v<Out, bool>) {
      if (!std::in_range<Out>(v)) {
        return InvalidArgument("value " + std::to_string(v) + " of input '" + t.name +
                               "' is out of range for " + std::string(DataTypeName(t.datatype)));
      }
    }
    Out o = static_cast<Out>(v);
    std::memcpy(p, &o, sizeof(Out));
    p += sizeof(Out);
  }
  return Status::Ok();
}

Status FromContents(const InferTensorContents& c, Tensor& t, int64_t n, std::string_view model) {
  switch (t.datatype) {
    case DataType::kBool: {
      if (c.bool_contents_size() != n) return CountMismatch(t, n, c.bool_contents_size(), model);
      t.data.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) t.data[i] = c.bool_contents(i) ? 1 : 0;
      return Status::Ok();
    }
    case DataType::kUint8:
      return FillFrom<uint8_t>(c.uint_contents(), t, n, model);
    case DataType::kUint16:
      return FillFrom<uint16_t>(c.uint_contents(), t, n, model);
    case DataType::kUint32:
      return FillFrom<uint32_t>(c.uint_contents(), t, n, model);
    case DataType::kUint64:
      return FillFrom<uint64_t>(c.uint64_contents(), t, n, model);
    case DataType::kInt8:
      return FillFrom<int8_t>(c.int_contents(), t, n, model);
    case DataType::kInt16:
      return FillFrom<int16_t>(c.int_contents(), t, n, model);
    case DataType::kInt32:
      return FillFrom<int32_t>(c.int_contents(), t, n, model);
    case DataType::kInt64:
      return FillFrom<int64_t>(c.int64_contents(), t, n, model);
    case DataType::kFp32:
      return FillFrom<float>(c.fp32_contents(), t, n, model);
    case DataType::kFp64:
      return FillFrom<double>(c.fp64_contents(), t, n, model);
    case DataType::kFp16:
      return InvalidArgument("FP16 input '" + t.name + "'" + ForModel(model) +
                             " must be sent in raw_input_contents");
    case DataType::kBytes: {
      if (c.bytes_contents_size() != n) return CountMismatch(t, n, c.bytes_contents_size(), model);
      for (const std::string& e : c.bytes_contents()) {
        if (e.size() > UINT32_MAX) return InvalidArgument("BYTES element too large");
        t.AppendBytes(e);
      }
      return Status::Ok();
    }
  }
  return Internal("unknown datatype");
}

bool HasContents(const InferTensorContents& c) {
  return c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
             c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
             c.fp64_contents_size() + c.bytes_contents_size() >
         0;
}

template <typename In, typename Field>
void AppendTo(const Tensor& t, Field* dst) {
  const char* p = t.data.data();
  size_t n = t.data.size() / sizeof(In);
  dst->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    In v;
    std::memcpy(&v, p + i * sizeof(In), sizeof(In));
    dst->Add(v);
  }
}

Status ToContents(const Tensor& t, InferTensorContents& c) {
  switch (t.datatype) {
    case DataType::kBool:
      for (char b : t.data) c.add_bool_contents(b != 0);
      return Status::Ok();
    case DataType::kUint8:
      AppendTo<uint8_t>(t, c.mutable_uint_contents());
      return Status::Ok();
    case DataType::kUint16:
      AppendTo<uint16_t>(t, c.mutable_uint_contents());
      return Status::Ok();
    case DataType::kUint32:
      AppendTo<uint32_t>(t, c.mutable_uint_contents());
      return Status::Ok();
    case DataType::kUint64:
      AppendTo<uint64_t>(t, c.mutable_uint64_contents());
      return Status::Ok();
    case DataType::kInt8:
      AppendTo<int8_t>(t, c.mutable_int_contents());
      return Status::Ok();
    case DataType::kInt16:
      AppendTo<int16_t>(t, c.mutable_int_contents());
      return Status::Ok();
    case DataType::kInt32:
      AppendTo<int32_t>(t, c.mutable_int_contents());
      return Status::Ok();
    case DataType::kInt64:
      AppendTo<int64_t>(t, c.mutable_int64_contents());
      return Status::Ok();
    case DataType::kFp32:
      AppendTo<float>(t, c.mutable_fp32_contents());
      return Status::Ok();
    case DataType::kFp64:
      AppendTo<double>(t, c.mutable_fp64_contents());
      return Status::Ok();
    case DataType::kFp16:
      return InvalidArgument("FP16 output '" + t.name +
                             "' has no typed form; send inputs as raw_input_contents");
    case DataType::kBytes:
      for (std::string_view e : t.BytesElements()) c.add_bytes_contents(std::string(e));
      return Status::Ok();
  }
  return Internal("unknown datatype");
}

}  // namespace

StatusOr<InferRequest> InferRequestFromProto(const inference::ModelInferRequest& proto,
                                             const V2DecodeOptions& options) {
  InferRequest req;
  req.id = proto.id();
  req.parameters = ParamsFromProto(proto.parameters());
  bool raw = proto.raw_input_contents_size() > 0;
  if (raw && proto.raw_input_contents_size() != proto.inputs_size()) {
    return InvalidArgument("expected " + std::to_string(proto.inputs_size()) +
                           " raw_input_contents (one per input), got " +
                           std::to_string(proto.raw_input_contents_size()));
  }
  if (proto.inputs_size() == 0) return InvalidArgument("request has no inputs");
  for (int i = 0; i < proto.inputs_size(); ++i) {
    const auto& in = proto.inputs(i);
    Tensor t;
    t.name = in.name();
    std::optional<DataType> type = DataTypeFromName(in.datatype());
    if (!type) {
      return InvalidArgument("invalid datatype '" + in.datatype() + "' for input '" + t.name + "'" +
                             ForModel(options.model_name));
    }
    t.datatype = *type;
    if (static_cast<size_t>(in.shape_size()) > options.max_rank) {
      return InvalidArgument("input '" + t.name + "' has too many dimensions");
    }
    t.shape.assign(in.shape().begin(), in.shape().end());
    std::optional<int64_t> count = CheckedElementCount(t.shape, options.max_elements);
    if (!count) {
      for (int64_t d : t.shape) {
        if (d < 0) return InvalidArgument("input '" + t.name + "' has a negative dimension");
      }
      return ResourceExhausted("input '" + t.name + "' has more than " +
                               std::to_string(options.max_elements) + " elements");
    }
    t.parameters = ParamsFromProto(in.parameters());
    if (raw) {
      if (HasContents(in.contents())) {
        return InvalidArgument("input '" + t.name + "' has both contents and raw_input_contents");
      }
      const std::string& bytes = proto.raw_input_contents(i);
      if (t.datatype == DataType::kBytes) {
        SKIFF_RETURN_IF_ERROR(ValidateBytesTensor(bytes, *count, t.name, options.model_name));
      } else if (bytes.size() != static_cast<size_t>(*count) * DataTypeSize(t.datatype)) {
        return InvalidArgument("unexpected size " + std::to_string(bytes.size()) +
                               " of raw input '" + t.name + "'" + ForModel(options.model_name) +
                               ", expecting " + std::to_string(*count * DataTypeSize(t.datatype)));
      }
      if (static_cast<int64_t>(bytes.size()) > options.max_bytes) {
        return ResourceExhausted("input '" + t.name + "' is too large");
      }
      t.data = bytes;
    } else {
      SKIFF_RETURN_IF_ERROR(FromContents(in.contents(), t, *count, options.model_name));
    }
    req.inputs.push_back(std::move(t));
  }
  for (const auto& o : proto.outputs()) {
    RequestedOutput ro;
    ro.name = o.name();
    ro.parameters = ParamsFromProto(o.parameters());
    req.outputs.push_back(std::move(ro));
  }
  return req;
}

Status InferResponseToProto(InferResponse&& response, const V2ResponseOptions& requested, bool raw,
                            inference::ModelInferResponse& out) {
  out.set_model_name(response.model_name);
  out.set_model_version(response.model_version);
  out.set_id(response.id);
  ParamsToProto(response.parameters, *out.mutable_parameters());
  std::vector<Tensor*> selected;
  if (requested.requested_outputs.empty()) {
    for (Tensor& t : response.outputs) selected.push_back(&t);
  } else {
    for (const RequestedOutput& r : requested.requested_outputs) {
      Tensor* found = nullptr;
      for (Tensor& t : response.outputs) {
        if (t.name == r.name) found = &t;
      }
      if (found == nullptr) {
        return InvalidArgument("unexpected inference output '" + r.name + "' for model '" +
                               response.model_name + "'");
      }
      selected.push_back(found);
    }
  }
  for (Tensor* t : selected) {
    SKIFF_RETURN_IF_ERROR(CheckTensorData(*t));
    auto* o = out.add_outputs();
    o->set_name(t->name);
    o->set_datatype(std::string(DataTypeName(t->datatype)));
    for (int64_t d : t->shape) o->add_shape(d);
    ParamsToProto(t->parameters, *o->mutable_parameters());
    if (raw || t->datatype == DataType::kFp16) {
      // Moved: raw data is already the wire layout.
      *out.add_raw_output_contents() = std::move(t->data);
    } else {
      SKIFF_RETURN_IF_ERROR(ToContents(*t, *o->mutable_contents()));
    }
  }
  // Raw and typed outputs cannot mix: when any output went raw, all must.
  if (out.raw_output_contents_size() > 0 && out.raw_output_contents_size() != out.outputs_size()) {
    return InvalidArgument("FP16 outputs need raw contents for every output; send raw inputs");
  }
  return Status::Ok();
}

}  // namespace skiff::serving
