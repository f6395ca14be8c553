// Kubernetes API errors: builders for the standard reasons and the one table
// that maps a skiff::Status onto the wire `Status` object and HTTP code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apiserver/http.h"
#include "base/status.h"

namespace skiff::api {
struct KindInfo;
}

namespace skiff::apiserver {

// "<plural>.<group>" or "<plural>" for the core group (the form messages use).
std::string QualifiedResource(const api::KindInfo& kind);

Status NotFoundError(const api::KindInfo& kind, std::string_view name);
Status AlreadyExistsError(const api::KindInfo& kind, std::string_view name);
Status ConflictError(const api::KindInfo& kind, std::string_view name, std::string_view why = "");
// 422 Invalid: "<Kind>.<group> "<name>" is invalid: <causes>".
Status InvalidError(const api::KindInfo& kind, std::string_view name,
                    std::vector<StatusCause> causes);
Status BadRequestError(std::string message, std::vector<StatusCause> causes = {});
Status ReasonError(int http_code, std::string reason, std::string message);

// Renders any Status as a Kubernetes Status response.
Response ErrorResponse(const Status& status);
// Success Status body, as DELETE of an object that is gone at once returns.
std::string SuccessStatusBody(const api::KindInfo& kind, std::string_view name,
                              std::string_view uid);

}  // namespace skiff::apiserver
