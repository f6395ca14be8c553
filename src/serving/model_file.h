// Finds the one model file of a format in a model directory, as KServe's Python runtimes do:
// no match is an error (ModelMissingError), more than one is an error too.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::serving {

// The path of the only regular file in `dir` whose name ends with one of `extensions`
// (".joblib", ...). NotFound when there is none (or `dir` is unreadable); FailedPrecondition
// when there are several. Blocks on the filesystem.
StatusOr<std::string> FindModelFile(const std::string& dir,
                                    std::span<const std::string_view> extensions);

}  // namespace skiff::serving
