// The ClusterServingRuntimes Skiff installs at start-up: upstream's names, formats, priorities
// and protocols (config/runtimes), running Skiff's own model servers (docs/serving.md).
#pragma once

#include <vector>

#include "base/json.h"

namespace skiff::controllers::inferenceservice {

inline constexpr char kBuiltinLabel[] = "serving.skiff.dev/builtin";

// kserve-sklearnserver, kserve-xgbserver, kserve-torchserve (TorchScript via skiff-serve-torch).
std::vector<Json> BuiltinRuntimes();

}  // namespace skiff::controllers::inferenceservice
