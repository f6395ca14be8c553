// The XGBoost runtime: loads exactly one model.bst / model.json / model.ubj (as KServe's
// xgbserver) and predicts with the thread-safe in-place prediction of libxgboost's C API.
#pragma once

#include <memory>
#include <string>

#include "serving/runtime.h"

namespace skiff::runtimes::xgboost {

struct XgboostOptions {
  int nthread = 1;  // threads per prediction call (KServe's --nthread, default 1)
};

std::unique_ptr<serving::Runtime> NewXgboostRuntime(const XgboostOptions& options);

}  // namespace skiff::runtimes::xgboost
