// libtorch adapter: the only place c10::Error is caught and turned into a Status. Inputs are
// wrapped with from_blob (no copy) for the duration of forward(); outputs are copied out of
// contiguous CPU tensors.
#include "runtimes/torch/torch_runtime.h"

#include <torch/script.h>

#include <optional>

#include "serving/model_file.h"

namespace skiff::runtimes::torch {

namespace {

using serving::DataType;
using serving::ExecutionPolicy;
using serving::ModelMetadata;
using serving::PredictRequest;
using serving::Tensor;

constexpr std::string_view kExtensions[] = {".pt"};

std::optional<c10::ScalarType> TorchType(DataType type) {
  switch (type) {
    case DataType::kBool:
      return c10::kBool;
    case DataType::kUint8:
      return c10::kByte;
    case DataType::kInt8:
      return c10::kChar;
    case DataType::kInt16:
      return c10::kShort;
    case DataType::kInt32:
      return c10::kInt;
    case DataType::kInt64:
      return c10::kLong;
    case DataType::kFp16:
      return c10::kHalf;
    case DataType::kFp32:
      return c10::kFloat;
    case DataType::kFp64:
      return c10::kDouble;
    default:
      return std::nullopt;  // UINT16/32/64 and BYTES have no torch tensor type here
  }
}

std::optional<DataType> FromTorchType(c10::ScalarType type) {
  switch (type) {
    case c10::kBool:
      return DataType::kBool;
    case c10::kByte:
      return DataType::kUint8;
    case c10::kChar:
      return DataType::kInt8;
    case c10::kShort:
      return DataType::kInt16;
    case c10::kInt:
      return DataType::kInt32;
    case c10::kLong:
      return DataType::kInt64;
    case c10::kHalf:
      return DataType::kFp16;
    case c10::kFloat:
      return DataType::kFp32;
    case c10::kDouble:
      return DataType::kFp64;
    default:
      return std::nullopt;
  }
}

class TorchRuntime : public serving::Runtime {
 public:
  explicit TorchRuntime(const TorchOptions& options) : options_(options) {}

  ExecutionPolicy policy() const override {
    // forward() may be heavy: it runs on the batcher thread, never on the HTTP loops.
    return {.thread_safe = false,
            .can_batch = true,
            .default_max_batch_size = options_.default_max_batch_size};
  }

  Status Load(const std::string& model_dir) override {
    SKIFF_ASSIGN_OR_RETURN(std::string path, serving::FindModelFile(model_dir, kExtensions));
    try {
      bool cuda = options_.device == "cuda" ||
                  (options_.device == "auto" && at::hasCUDA());
      device_ = cuda ? c10::Device(c10::kCUDA) : c10::Device(c10::kCPU);
      module_.emplace(::torch::jit::load(path, device_));
      module_->eval();
    } catch (const std::exception& e) {
      module_.reset();
      return FailedPrecondition("Failed to load " + path + ": " + FirstLine(e.what()));
    }
    return Status::Ok();
  }

  void Unload() override { module_.reset(); }

  ModelMetadata Metadata() const override {
    // TorchScript keeps no tensor signature; clients follow the model's documentation.
    return {.platform = "pytorch_torchscript", .inputs = {}, .outputs = {}};
  }

  StatusOr<std::vector<Tensor>> Predict(const PredictRequest& request) override {
    std::vector<c10::IValue> inputs;
    std::vector<std::vector<float>> converted;  // V1 rows, narrowed to float32
    try {
      for (const Tensor& t : request.inputs) {
        std::optional<c10::ScalarType> type = TorchType(t.datatype);
        if (!type) {
          return InvalidArgument("input '" + t.name + "' has datatype " +
                                 std::string(serving::DataTypeName(t.datatype)) +
                                 ", which TorchScript models do not take");
        }
        void* data = const_cast<char*>(t.data.data());
        if (request.v1 && t.datatype == DataType::kFp64) {
          // V1 JSON numbers decode as float64; TorchScript models nearly always take float32.
          SKIFF_ASSIGN_OR_RETURN(std::vector<float> f, t.ToFloats());
          converted.push_back(std::move(f));
          data = converted.back().data();
          type = c10::kFloat;
        }
        at::Tensor x = ::torch::from_blob(data, t.shape, ::torch::TensorOptions().dtype(*type));
        inputs.emplace_back(device_.is_cpu() ? x : x.to(device_));
      }
      c10::InferenceMode guard;
      c10::IValue out = module_->forward(inputs);
      std::vector<at::Tensor> tensors;
      if (out.isTensor()) {
        tensors.push_back(out.toTensor());
      } else if (out.isTuple()) {
        for (const c10::IValue& v : out.toTupleRef().elements()) {
          if (!v.isTensor()) return Internal("model returned a tuple holding a non-tensor");
          tensors.push_back(v.toTensor());
        }
      } else if (out.isTensorList()) {
        for (const at::Tensor& v : out.toTensorVector()) tensors.push_back(v);
      } else {
        return Internal("model returned " + out.tagKind() + ", not tensors");
      }
      std::vector<Tensor> outputs;
      for (size_t i = 0; i < tensors.size(); ++i) {
        at::Tensor c = tensors[i].to(c10::kCPU).contiguous();
        std::optional<DataType> type = FromTorchType(c.scalar_type());
        if (!type) return Internal("model output has an unsupported dtype");
        Tensor t;
        t.name = "output-" + std::to_string(i);
        t.datatype = *type;
        t.shape.assign(c.sizes().begin(), c.sizes().end());
        t.data.assign(static_cast<const char*>(c.data_ptr()), c.nbytes());
        outputs.push_back(std::move(t));
      }
      return outputs;
    } catch (const std::exception& e) {
      // Shape and dtype mismatches surface here (RuntimeError inside TorchScript).
      return InvalidArgument("forward() failed: " + FirstLine(e.what()));
    }
  }

 private:
  static std::string FirstLine(std::string_view s) {
    return std::string(s.substr(0, s.find('\n')));
  }

  const TorchOptions options_;
  std::optional<::torch::jit::Module> module_;
  c10::Device device_ = c10::Device(c10::kCPU);
};

}  // namespace

std::unique_ptr<serving::Runtime> NewTorchRuntime(const TorchOptions& options) {
  return std::make_unique<TorchRuntime>(options);
}

}  // namespace skiff::runtimes::torch
