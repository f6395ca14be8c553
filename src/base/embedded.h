// A file compiled into the binary (see cmake/embed.cmake).
#pragma once

#include <span>
#include <string_view>

namespace skiff {

struct EmbeddedFile {
  std::string_view name;  // base file name, e.g. "pod.yaml"
  std::string_view data;
};

}  // namespace skiff
