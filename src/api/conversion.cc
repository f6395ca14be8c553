// Dispatch to per-group converters; strategy None for everything else.
#include "api/conversion.h"

#include <nlohmann/json.hpp>

#include "api/autoscaling.h"
#include "api/kueue_conversion.h"

namespace skiff::api {

StatusOr<Json> ConvertToVersion(const KindInfo& kind, const Json& obj, std::string_view to_version) {
  Json out = obj;
  std::string from;
  std::string api = obj.is_object() ? obj.value("apiVersion", "") : "";
  auto slash = api.find('/');
  from = slash == std::string::npos ? api : api.substr(slash + 1);
  if (from.empty()) from = kind.StorageVersion().name;
  if (from != to_version && kind.group == "kueue.x-k8s.io" && KueueKindHasConversion(kind.kind)) {
    SKIFF_RETURN_IF_ERROR(ConvertKueue(kind.kind, from, to_version, out));
  }
  if (from != to_version && kind.group == "autoscaling" && kind.kind == "HorizontalPodAutoscaler") {
    SKIFF_RETURN_IF_ERROR(ConvertHorizontalPodAutoscaler(from, to_version, out));
  }
  out["apiVersion"] = kind.ApiVersion(to_version);
  return out;
}

}  // namespace skiff::api
