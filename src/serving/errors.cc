// KServe error constructors and the Status -> HTTP/gRPC table.
#include "serving/errors.h"

#include <array>
#include <charconv>

#include "base/json.h"
#include "serving/json_writer.h"

namespace skiff::serving {

namespace {

struct CodeRow {
  StatusCode code;
  int http;
};

// The one wire table. KServe: InvalidInput 400, ModelNotFound 404, ModelNotReady /
// ServerNotReady / ServerNotLive 503, InferenceError and anything unexpected 500,
// NotImplementedError / UnsupportedProtocol 501 (kserve.md §6). The rest follow HTTP usage
// (Triton maps the same canonical codes the same way).
constexpr std::array<CodeRow, 16> kHttpCodes = {{
    {StatusCode::kCancelled, 499},
    {StatusCode::kUnknown, 500},
    {StatusCode::kInvalidArgument, 400},
    {StatusCode::kDeadlineExceeded, 504},
    {StatusCode::kNotFound, 404},
    {StatusCode::kAlreadyExists, 409},
    {StatusCode::kPermissionDenied, 403},
    {StatusCode::kResourceExhausted, 413},  // body or tensor beyond the configured limits
    {StatusCode::kFailedPrecondition, 400},
    {StatusCode::kAborted, 409},
    {StatusCode::kOutOfRange, 400},
    {StatusCode::kUnimplemented, 501},
    {StatusCode::kInternal, 500},
    {StatusCode::kUnavailable, 503},
    {StatusCode::kDataLoss, 500},
    {StatusCode::kUnauthenticated, 401},
}};

std::string WithDetail(std::string message, std::string_view detail) {
  if (!detail.empty()) {
    message.push_back(' ');
    message.append(detail);
  }
  return message;
}

// {"detail":[{"type":..,"loc":["body","inputs",0],"msg":..}]}, as FastAPI answers a body that
// fails its pydantic model.
std::string ValidationBody(const StatusDetails& details) {
  std::string out = "{\"detail\":[";
  bool first = true;
  for (const StatusCause& cause : details.causes) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"type\":");
    AppendJsonString(out, cause.reason);
    out.append(",\"loc\":[");
    std::string_view rest = cause.field;
    bool first_part = true;
    while (!rest.empty()) {
      size_t dot = rest.find('.');
      std::string_view part = rest.substr(0, dot);
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      if (!first_part) out.push_back(',');
      first_part = false;
      int64_t index;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (!part.empty() && ec == std::errc() && ptr == part.data() + part.size()) {
        AppendJsonInt(out, index);
      } else {
        AppendJsonString(out, part);
      }
    }
    out.append("],\"msg\":");
    AppendJsonString(out, cause.message);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace

Status ModelNotFoundError(std::string_view model) {
  return NotFound("Model with name " + std::string(model) + " does not exist.");
}

Status ModelNotReadyError(std::string_view model, std::string_view detail) {
  return Unavailable(
      WithDetail("Model with name " + std::string(model) + " is not ready.", detail));
}

Status ServerNotReadyError(std::string_view detail) {
  return Unavailable(WithDetail("Server is not ready.", detail));
}

Status ServerNotLiveError(std::string_view detail) {
  return Unavailable(WithDetail("Server is not live.", detail));
}

Status InvalidInputError(std::string reason) { return InvalidArgument(std::move(reason)); }

Status InferenceError(std::string reason, std::string_view status) {
  if (status.empty()) return Internal(std::move(reason));
  return Internal("[" + std::string(status) + "] " + reason);
}

Status UnsupportedProtocolError(std::string_view protocol) {
  return Unimplemented("Unsupported protocol " + std::string(protocol) + ".");
}

Status RequestValidationError(std::string type, std::string msg, std::string loc) {
  StatusDetails details;
  details.reason = "RequestValidation";
  details.http_code = 422;
  std::string message = loc + ": " + msg;
  details.causes.push_back(
      StatusCause{.reason = std::move(type), .message = std::move(msg), .field = std::move(loc)});
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(details));
}

HttpError ToHttpError(const Status& status) {
  const StatusDetails* details = status.details();
  if (details != nullptr && details->http_code == 422 && !details->causes.empty()) {
    return {422, ValidationBody(*details)};
  }
  int http = 500;
  if (details != nullptr && details->http_code != 0) {
    http = details->http_code;
  } else {
    for (const CodeRow& row : kHttpCodes) {
      if (row.code == status.code()) http = row.http;
    }
  }
  return {http, ErrorBody(status.message())};
}

int GrpcStatusCode(StatusCode code) { return static_cast<int>(code); }

std::string ErrorBody(std::string_view message) {
  std::string out = "{\"error\":";
  if (IsValidUtf8(message)) {
    AppendJsonString(out, message);
  } else {
    // Messages may quote client bytes (a header value); keep the body valid JSON.
    std::string clean(message);
    for (char& c : clean) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    AppendJsonString(out, clean);
  }
  out.push_back('}');
  return out;
}

}  // namespace skiff::serving
