// The built-in kind definitions compiled into the binary (src/api/builtin/*.yaml).
#pragma once

#include <span>

#include "base/embedded.h"

namespace skiff {
std::span<const EmbeddedFile> BuiltinKindFiles();
}  // namespace skiff
