// The seam between the serving core and one model format (sklearn, XGBoost, TorchScript):
// load, describe, predict. Each runtime is its own executable that links skiff_serving and
// hands a Runtime to ServeMain (serve_main.h), so heavy libraries stay out of the core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "serving/tensor.h"

namespace skiff::serving {

// One input or output as `/v2/models/{m}` describes it; -1 marks a variable dimension.
struct TensorMetadata {
  std::string name;
  DataType datatype = DataType::kFp64;
  std::vector<int64_t> shape;
};

struct ModelMetadata {
  std::string platform;  // "sklearn", "xgboost", "pytorch_torchscript"
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

// How the core may call Predict. Declared once by the runtime; the core picks the thread.
struct ExecutionPolicy {
  // Predict may run concurrently from several threads and does bounded CPU work with no
  // waits, so the HTTP loops may call it inline. False: it runs on the model's batcher
  // thread only (e.g. anything holding the Python GIL).
  bool thread_safe = false;
  // Predict accepts several requests' inputs concatenated along dimension 0, and row r of
  // every output answers input row r. Enables cross-request batching.
  bool can_batch = false;
  // Batch size used when --max-batch-size is not given (1 = no cross-request batching).
  int default_max_batch_size = 1;
};

// One model call. When batched, `inputs` hold the rows of several requests that share the
// same input names, datatypes, trailing dimensions, requested outputs and parameters.
struct PredictRequest {
  std::vector<Tensor> inputs;
  // Outputs the client asked for by name; empty means the model's default outputs.
  std::vector<std::string> output_names;
  Parameters parameters;
  // The request came through KServe V1 (`instances`/`inputs` rows): the runtime answers with
  // its V1 prediction (e.g. sklearn's PREDICT_PROBA switch applies).
  bool v1 = false;
};

// A model format. Thread safety: Load/Unload are called from one loader thread, never while
// Predict runs; Predict follows policy(). Runtimes never throw.
class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual ExecutionPolicy policy() const = 0;

  // Loads the model from `model_dir` (files exactly as KServe's server for the format expects).
  // Blocks; errors (missing/ambiguous/corrupt file) keep the model not ready and are shown to
  // clients, so the message should say what is wrong.
  virtual Status Load(const std::string& model_dir) = 0;
  virtual void Unload() {}

  // REQUIRES: Load succeeded.
  virtual ModelMetadata Metadata() const = 0;

  // Runs the model. Errors: InvalidArgument (400) for inputs the model cannot take, Internal
  // (500) for model failures. The outputs are owned by the caller.
  virtual StatusOr<std::vector<Tensor>> Predict(const PredictRequest& request) = 0;

  // V1 `:explain`. Returns the full response JSON. Default: 501.
  virtual StatusOr<std::string> Explain(const PredictRequest& request) {
    return Unimplemented("Model does not support explain.");
  }
};

}  // namespace skiff::serving
