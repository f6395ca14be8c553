// KServe's data-plane errors: constructors worded as KServe's Python server words them
// (kserve/errors.py), and the one table mapping a Status to an HTTP code, a gRPC code and
// the body (`{"error": "..."}`, or FastAPI's 422 `{"detail": [...]}` for schema failures).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::serving {

// 404 "Model with name X does not exist."
Status ModelNotFoundError(std::string_view model);
// 503 "Model with name X is not ready." + " detail" when given.
Status ModelNotReadyError(std::string_view model, std::string_view detail = {});
// 503 "Server is not ready." / "Server is not live." + " detail" when given.
Status ServerNotReadyError(std::string_view detail = {});
Status ServerNotLiveError(std::string_view detail = {});
// 400, the message as given (KServe InvalidInput).
Status InvalidInputError(std::string reason);
// 500, "[status] reason" when `status` is non-empty (KServe InferenceError).
Status InferenceError(std::string reason, std::string_view status = {});
// 501 "Unsupported protocol X."
Status UnsupportedProtocolError(std::string_view protocol);
// 422 in FastAPI/pydantic form: `type` ("missing", "list_type", ...), `msg` ("Field required"),
// `loc` dotted from the body root ("body.inputs.0.shape"; numeric parts become integers).
Status RequestValidationError(std::string type, std::string msg, std::string loc);

struct HttpError {
  int status = 500;
  std::string body;  // JSON
};

// The HTTP answer for a failed Status. An explicit StatusDetails::http_code wins; otherwise
// the code table decides. REQUIRES: !status.ok().
HttpError ToHttpError(const Status& status);

// gRPC status code for `code` (Skiff's codes are gRPC's canonical codes).
int GrpcStatusCode(StatusCode code);

// `{"error":"<message>"}`.
std::string ErrorBody(std::string_view message);

}  // namespace skiff::serving
