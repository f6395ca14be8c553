// Kueue v1beta1 <-> v1beta2 conversion. (Placeholder until the field mapping lands.)
#include "api/kueue_conversion.h"

#include <nlohmann/json.hpp>

namespace skiff::api {

bool KueueKindHasConversion(std::string_view) { return false; }

Status ConvertKueue(std::string_view, std::string_view, std::string_view, Json&) {
  return Status::Ok();
}

}  // namespace skiff::api
