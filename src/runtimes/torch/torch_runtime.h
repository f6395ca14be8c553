// The TorchScript runtime: loads exactly one model.pt with torch::jit::load and calls
// forward() with the request's input tensors, in order, on CPU or (when available) CUDA.
#pragma once

#include <memory>
#include <string>

#include "serving/runtime.h"

namespace skiff::runtimes::torch {

struct TorchOptions {
  // "auto" (CUDA when available, else CPU), "cpu" or "cuda".
  std::string device = "auto";
  // Rows per forward() call by default; 1 because a TorchScript module need not treat rows
  // independently. --max_batch_size turns batching on for models that do.
  int default_max_batch_size = 1;
};

std::unique_ptr<serving::Runtime> NewTorchRuntime(const TorchOptions& options);

}  // namespace skiff::runtimes::torch
