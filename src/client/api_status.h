// Conversion of Kubernetes API error replies (a `Status` body, or a bare HTTP code) into
// skiff::Status, following client-go's api/errors reason table.
#pragma once

#include <string_view>

#include "base/status.h"

namespace skiff::client {

// Converts a non-2xx reply to a Status. A Kubernetes `Status` body supplies message, reason,
// code and details (name, group, kind, causes); otherwise the reason comes from the HTTP code.
// Reason → code: NotFound→kNotFound, AlreadyExists→kAlreadyExists, Conflict→kAborted,
// Invalid/BadRequest→kInvalidArgument, Unauthorized→kUnauthenticated,
// Forbidden→kPermissionDenied, Gone/Expired→kOutOfRange (the requested revision is outside the
// window the server keeps; callers relist), MethodNotAllowed/NotAcceptable/
// UnsupportedMediaType→kUnimplemented, RequestEntityTooLarge/TooManyRequests→kResourceExhausted,
// Timeout/ServerTimeout→kDeadlineExceeded, ServiceUnavailable→kUnavailable, else kInternal.
// The returned Status always carries details with `reason` and `http_code` set.
Status StatusFromResponse(int http_status, std::string_view body);
StatusCode CodeForReason(std::string_view reason, int http_status);
// The Kubernetes reason kubectl assumes for a bare HTTP code ("NotFound" for 404, ...).
std::string_view ReasonForHttpStatus(int http_status);

}  // namespace skiff::client
