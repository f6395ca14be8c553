// The scikit-learn runtime: loads exactly one model.joblib / .pkl / .pickle with joblib (as
// KServe's sklearnserver) into an embedded CPython and calls predict (or predict_proba) once
// per batch. Only the batcher thread takes the GIL; decoding, batching and encoding stay in
// C++ on the HTTP loops.
#pragma once

#include <memory>

#include "serving/runtime.h"

namespace skiff::runtimes::sklearn {

struct SklearnOptions {
  // Answer with predict_proba instead of predict (KServe: env PREDICT_PROBA=true). A V2
  // request may also ask for the output named "predict_proba" (MLServer's way).
  bool predict_proba = false;
  // Rows per Python call by default (--max_batch_size overrides).
  int default_max_batch_size = 64;
};

std::unique_ptr<serving::Runtime> NewSklearnRuntime(const SklearnOptions& options);

}  // namespace skiff::runtimes::sklearn
