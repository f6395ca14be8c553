// Model file discovery (std::filesystem with error_code overloads: no exceptions).
#include "serving/model_file.h"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace skiff::serving {

StatusOr<std::string> FindModelFile(const std::string& dir,
                                    std::span<const std::string_view> extensions) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return NotFound("Cannot read model directory " + dir + ": " + ec.message());
  std::vector<std::string> found;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    std::string name = it->path().filename().string();
    for (std::string_view ext : extensions) {
      if (name.size() > ext.size() && name.ends_with(ext)) {
        found.push_back(it->path().string());
        break;
      }
    }
  }
  std::string want;
  for (std::string_view ext : extensions) want += (want.empty() ? "*" : ", *") + std::string(ext);
  if (found.empty())
    return NotFound("Missing model file in " + dir + " (want one of " + want + ")");
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    std::string list;
    for (const std::string& f : found) list += (list.empty() ? "" : ", ") + f;
    return FailedPrecondition(
        "More than one model file is detected, Only one is allowed within "
        "model_dir: " +
        list);
  }
  return found[0];
}

}  // namespace skiff::serving
