// XGBoost via the C API: XGBoosterPredictFromDense (in-place, thread-safe; the result buffer
// is thread-local to the booster), the same prediction `Booster.predict(DMatrix(x))` makes.
#include "runtimes/xgboost/xgboost_runtime.h"

#include <xgboost/c_api.h>

#include <cstdio>
#include <mutex>

#include "serving/model_file.h"

namespace skiff::runtimes::xgboost {

namespace {

using serving::DataType;
using serving::ExecutionPolicy;
using serving::ModelMetadata;
using serving::PredictRequest;
using serving::Tensor;

constexpr std::string_view kExtensions[] = {".bst", ".json", ".ubj"};

// XGBoost's message without the stack trace it appends.
Status XgbError(std::string_view what) {
  std::string message = XGBGetLastError();
  if (size_t cut = message.find("\nStack trace:"); cut != std::string::npos) message.resize(cut);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return Internal(std::string(what) + ": " + message);
}

class XgboostRuntime : public serving::Runtime {
 public:
  explicit XgboostRuntime(const XgboostOptions& options) : options_(options) {}
  ~XgboostRuntime() override { Unload(); }

  ExecutionPolicy policy() const override {
    // In-place prediction is thread-safe and bounded CPU work, so it runs on the HTTP loops
    // (inline with --max_batch_size 1, else loop batching). Each call has a fixed cost (on
    // the iris model about 30 us: libxgboost parses the array and config JSON and sets up
    // its thread block) against about 0.2 us per row, so calls are batched across requests;
    // 256 rows lets one call take a whole loop round at 64 connections of 2-row requests.
    return {.thread_safe = true, .can_batch = true, .default_max_batch_size = 256};
  }

  Status Load(const std::string& model_dir) override {
    SKIFF_ASSIGN_OR_RETURN(std::string path, serving::FindModelFile(model_dir, kExtensions));
    BoosterHandle booster = nullptr;
    if (XGBoosterCreate(nullptr, 0, &booster) != 0) return XgbError("XGBoosterCreate");
    if (XGBoosterLoadModel(booster, path.c_str()) != 0) {
      Status s = XgbError("Failed to load " + path);
      XGBoosterFree(booster);
      return s;
    }
    std::string nthread = std::to_string(options_.nthread);
    bst_ulong features = 0;
    if (XGBoosterSetParam(booster, "nthread", nthread.c_str()) != 0 ||
        XGBoosterGetNumFeature(booster, &features) != 0) {
      Status s = XgbError("Failed to configure " + path);
      XGBoosterFree(booster);
      return s;
    }
    booster_ = booster;
    features_ = static_cast<int64_t>(features);
    return Status::Ok();
  }

  void Unload() override {
    if (booster_ != nullptr) XGBoosterFree(booster_);
    booster_ = nullptr;
  }

  ModelMetadata Metadata() const override {
    return {.platform = "xgboost",
            .inputs = {{.name = "input-0", .datatype = DataType::kFp32, .shape = {-1, features_}}},
            .outputs = {{.name = "output-0", .datatype = DataType::kFp32, .shape = {-1, -1}}}};
  }

  StatusOr<std::vector<Tensor>> Predict(const PredictRequest& request) override {
    if (request.inputs.size() != 1) {
      return InvalidArgument("xgboost model takes exactly one input tensor, got " +
                             std::to_string(request.inputs.size()));
    }
    const Tensor& in = request.inputs[0];
    if (in.shape.size() != 2) {
      return InvalidArgument(
          "Expected 2-dimensional input (rows of features), got shape of "
          "rank " +
          std::to_string(in.shape.size()));
    }
    if (in.shape[1] != features_) {
      return InvalidArgument("Feature shape mismatch, expected: " + std::to_string(features_) +
                             ", got " + std::to_string(in.shape[1]));
    }
    if (in.datatype == DataType::kBytes) {
      return InvalidArgument("xgboost model takes numeric input, got BYTES");
    }
    // Values go in as float32, exactly as DMatrix(numpy float64) converts them.
    std::vector<float> converted;
    const float* values;
    if (in.datatype == DataType::kFp32) {
      values = in.Values<float>().data();
    } else {
      SKIFF_ASSIGN_OR_RETURN(converted, in.ToFloats());
      values = converted.data();
    }
    char array[160];
    std::snprintf(array, sizeof(array),
                  "{\"data\":[%llu,true],\"shape\":[%lld,%lld],\"typestr\":\"<f4\",\"version\":3}",
                  static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(values)),
                  static_cast<long long>(in.shape[0]), static_cast<long long>(in.shape[1]));
    static constexpr char kConfig[] =
        "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
        "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
    const bst_ulong* out_shape = nullptr;
    bst_ulong out_dim = 0;
    const float* out = nullptr;
    if (in.shape[0] == 0) return std::vector<Tensor>{EmptyOutput()};
    if (XGBoosterPredictFromDense(booster_, array, kConfig, nullptr, &out_shape, &out_dim, &out) !=
        0) {
      return XgbError("prediction failed");
    }
    Tensor t;
    t.name = "output-0";
    t.datatype = DataType::kFp32;
    size_t count = 1;
    for (bst_ulong d = 0; d < out_dim; ++d) {
      t.shape.push_back(static_cast<int64_t>(out_shape[d]));
      count *= out_shape[d];
    }
    t.data.assign(reinterpret_cast<const char*>(out), count * sizeof(float));
    std::vector<Tensor> outputs;
    outputs.push_back(std::move(t));
    return outputs;
  }

 private:
  Tensor EmptyOutput() const {
    Tensor t;
    t.name = "output-0";
    t.datatype = DataType::kFp32;
    t.shape = {0};
    return t;
  }

  const XgboostOptions options_;
  BoosterHandle booster_ = nullptr;
  int64_t features_ = 0;
};

}  // namespace

std::unique_ptr<serving::Runtime> NewXgboostRuntime(const XgboostOptions& options) {
  return std::make_unique<XgboostRuntime>(options);
}

}  // namespace skiff::runtimes::xgboost
