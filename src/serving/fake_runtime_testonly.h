// Test-only Runtime: output "output-0" = input * 2 (FP64), recording the rows of every call.
// Included by the serving tests only.
#pragma once

#include <mutex>
#include <vector>

#include "serving/runtime.h"

namespace skiff::serving {

class FakeRuntime : public Runtime {
 public:
  FakeRuntime(bool thread_safe, bool can_batch, Status load_result = Status::Ok())
      : thread_safe_(thread_safe), can_batch_(can_batch), load_result_(std::move(load_result)) {}

  ExecutionPolicy policy() const override {
    return {.thread_safe = thread_safe_, .can_batch = can_batch_, .default_max_batch_size = 1};
  }
  Status Load(const std::string&) override { return load_result_; }
  ModelMetadata Metadata() const override {
    return {.platform = "fake",
            .inputs = {{.name = "input-0", .datatype = DataType::kFp64, .shape = {-1, 2}}},
            .outputs = {{.name = "output-0", .datatype = DataType::kFp64, .shape = {-1, 2}}}};
  }
  StatusOr<std::vector<Tensor>> Predict(const PredictRequest& request) override {
    if (request.inputs.size() != 1) return InvalidArgument("one input please");
    const Tensor& in = request.inputs[0];
    StatusOr<std::vector<double>> values = in.ToDoubles();
    if (!values.ok()) return values.status();
    if (!in.shape.empty() && in.shape[0] == 99) return Internal("boom");
    for (double& v : *values) v *= 2;
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(in.shape.empty() ? 1 : in.shape[0]);
    }
    std::vector<Tensor> out;
    out.push_back(MakeTensor<double>("output-0", in.shape, *values));
    return out;
  }
  std::vector<int64_t> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  const bool thread_safe_;
  const bool can_batch_;
  const Status load_result_;
  std::mutex mu_;
  std::vector<int64_t> calls_;
};

}  // namespace skiff::serving
