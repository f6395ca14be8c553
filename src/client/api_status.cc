// Kubernetes Status → skiff::Status conversion (see api_status.h).
#include "client/api_status.h"

#include <nlohmann/json.hpp>

#include "base/json.h"

namespace skiff::client {
namespace {

StatusCode CodeForHttp(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 405:
    case 406:
    case 415:
      return StatusCode::kUnimplemented;
    case 409:
      return StatusCode::kAborted;
    case 410:
      return StatusCode::kOutOfRange;
    case 413:
    case 429:
      return StatusCode::kResourceExhausted;
    case 422:
      return StatusCode::kInvalidArgument;
    case 503:
      return StatusCode::kUnavailable;
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

std::string_view ReasonForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return http_status >= 500 ? "InternalError" : "Unknown";
  }
}

StatusCode CodeForReason(std::string_view reason, int http_status) {
  struct Entry {
    std::string_view reason;
    StatusCode code;
  };
  static constexpr Entry kTable[] = {
      {"NotFound", StatusCode::kNotFound},
      {"AlreadyExists", StatusCode::kAlreadyExists},
      {"Conflict", StatusCode::kAborted},
      {"Invalid", StatusCode::kInvalidArgument},
      {"BadRequest", StatusCode::kInvalidArgument},
      {"Unauthorized", StatusCode::kUnauthenticated},
      {"Forbidden", StatusCode::kPermissionDenied},
      {"Gone", StatusCode::kOutOfRange},
      {"Expired", StatusCode::kOutOfRange},
      {"MethodNotAllowed", StatusCode::kUnimplemented},
      {"NotAcceptable", StatusCode::kUnimplemented},
      {"UnsupportedMediaType", StatusCode::kUnimplemented},
      {"RequestEntityTooLarge", StatusCode::kResourceExhausted},
      {"TooManyRequests", StatusCode::kResourceExhausted},
      {"Timeout", StatusCode::kDeadlineExceeded},
      {"ServerTimeout", StatusCode::kDeadlineExceeded},
      {"ServiceUnavailable", StatusCode::kUnavailable},
      {"InternalError", StatusCode::kInternal},
  };
  for (const Entry& e : kTable) {
    if (e.reason == reason) {
      return e.code;
    }
  }
  return CodeForHttp(http_status);
}

Status StatusFromResponse(int http_status, std::string_view body) {
  StatusDetails details;
  details.http_code = http_status;
  std::string message;
  auto parsed = ParseJson(body);
  if (parsed.ok() && parsed->is_object() && parsed->value("kind", "") == "Status") {
    const Json& s = *parsed;
    details.reason = s.value("reason", "");
    message = s.value("message", "");
    if (s.contains("code") && s["code"].is_number_integer()) {
      details.http_code = s["code"].get<int>();
    }
    if (s.contains("details") && s["details"].is_object()) {
      const Json& d = s["details"];
      details.name = d.value("name", "");
      details.group = d.value("group", "");
      details.kind = d.value("kind", "");
      if (d.contains("causes") && d["causes"].is_array()) {
        for (const Json& c : d["causes"]) {
          if (c.is_object()) {
            details.causes.push_back(
                {c.value("reason", ""), c.value("message", ""), c.value("field", "")});
          }
        }
      }
    }
  }
  if (details.reason.empty()) {
    details.reason = std::string(ReasonForHttpStatus(details.http_code));
  }
  if (message.empty()) {
    // client-go's NewGenericServerResponse wording for bodies that are not a Status.
    std::string text(body.substr(0, 1024));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
      text.pop_back();
    }
    switch (http_status) {
      case 404:
        message = "the server could not find the requested resource";
        break;
      case 401:
        message = "the server has asked for the client to provide credentials";
        break;
      case 403:
        message = text.empty() ? "forbidden" : text;
        break;
      default:
        message = text.empty() ? "the server returned HTTP " + std::to_string(http_status)
                               : "an error on the server (\"" + text +
                                     "\") has prevented the request from succeeding";
    }
  }
  StatusCode code = CodeForReason(details.reason, details.http_code);
  return Status(code, std::move(message), std::move(details));
}

}  // namespace skiff::client
