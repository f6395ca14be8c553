// The reason → HTTP code table and Status rendering.
#include "apiserver/errors.h"

#include <nlohmann/json.hpp>

#include "api/registry.h"
#include "base/json.h"

namespace skiff::apiserver {
namespace {

struct ReasonCode {
  const char* reason;
  int code;
};
constexpr ReasonCode kReasons[] = {
    {"BadRequest", 400},        {"Unauthorized", 401},         {"Forbidden", 403},
    {"NotFound", 404},          {"MethodNotAllowed", 405},     {"NotAcceptable", 406},
    {"AlreadyExists", 409},     {"Conflict", 409},             {"Gone", 410},
    {"Expired", 410},           {"RequestEntityTooLarge", 413}, {"UnsupportedMediaType", 415},
    {"Invalid", 422},           {"TooManyRequests", 429},      {"InternalError", 500},
    {"ServiceUnavailable", 503}, {"Timeout", 504},
};

int CodeForReason(std::string_view reason) {
  for (const auto& r : kReasons) {
    if (reason == r.reason) return r.code;
  }
  return 500;
}

const char* ReasonForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "BadRequest";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kAborted: return "Conflict";
    case StatusCode::kPermissionDenied: return "Forbidden";
    case StatusCode::kUnauthenticated: return "Unauthorized";
    case StatusCode::kOutOfRange: return "Expired";
    case StatusCode::kResourceExhausted: return "TooManyRequests";
    case StatusCode::kUnimplemented: return "MethodNotAllowed";
    case StatusCode::kUnavailable: return "ServiceUnavailable";
    case StatusCode::kDeadlineExceeded: return "Timeout";
    case StatusCode::kFailedPrecondition: return "Invalid";
    default: return "InternalError";
  }
}

Status Make(StatusCode code, std::string message, StatusDetails d) {
  return Status(code, std::move(message), std::move(d));
}

}  // namespace

std::string QualifiedResource(const api::KindInfo& kind) { return kind.ResourceId(); }

Status NotFoundError(const api::KindInfo& kind, std::string_view name) {
  return Make(StatusCode::kNotFound,
              QualifiedResource(kind) + " \"" + std::string(name) + "\" not found",
              StatusDetails{"NotFound", 404, std::string(name), kind.group, kind.plural, {}});
}

Status AlreadyExistsError(const api::KindInfo& kind, std::string_view name) {
  return Make(StatusCode::kAlreadyExists,
              QualifiedResource(kind) + " \"" + std::string(name) + "\" already exists",
              StatusDetails{"AlreadyExists", 409, std::string(name), kind.group, kind.plural, {}});
}

Status ConflictError(const api::KindInfo& kind, std::string_view name, std::string_view why) {
  std::string msg = "Operation cannot be fulfilled on " + QualifiedResource(kind) + " \"" +
                    std::string(name) + "\": " +
                    (why.empty() ? "the object has been modified; please apply your changes to "
                                   "the latest version and try again"
                                 : std::string(why));
  return Make(StatusCode::kAborted, std::move(msg),
              StatusDetails{"Conflict", 409, std::string(name), kind.group, kind.plural, {}});
}

Status InvalidError(const api::KindInfo& kind, std::string_view name,
                    std::vector<StatusCause> causes) {
  std::string qualified = kind.group.empty() ? kind.kind : kind.kind + "." + kind.group;
  std::string msg = qualified + " \"" + std::string(name) + "\" is invalid: ";
  if (causes.size() == 1) {
    msg += (causes[0].field.empty() ? "" : causes[0].field + ": ") + causes[0].message;
  } else {
    msg += "[";
    for (size_t i = 0; i < causes.size(); ++i) {
      if (i) msg += ", ";
      msg += (causes[i].field.empty() ? "" : causes[i].field + ": ") + causes[i].message;
    }
    msg += "]";
  }
  return Make(StatusCode::kInvalidArgument, std::move(msg),
              StatusDetails{"Invalid", 422, std::string(name), kind.group, kind.kind,
                            std::move(causes)});
}

Status BadRequestError(std::string message, std::vector<StatusCause> causes) {
  StatusDetails d;
  d.reason = "BadRequest";
  d.http_code = 400;
  d.causes = std::move(causes);
  return Make(StatusCode::kInvalidArgument, std::move(message), std::move(d));
}

Status ReasonError(int http_code, std::string reason, std::string message) {
  StatusDetails d;
  d.reason = std::move(reason);
  d.http_code = http_code;
  StatusCode code = StatusCode::kUnknown;
  switch (http_code) {
    case 400: code = StatusCode::kInvalidArgument; break;
    case 401: code = StatusCode::kUnauthenticated; break;
    case 403: code = StatusCode::kPermissionDenied; break;
    case 404: code = StatusCode::kNotFound; break;
    case 405: code = StatusCode::kUnimplemented; break;
    case 409: code = StatusCode::kAborted; break;
    case 410: code = StatusCode::kOutOfRange; break;
    case 415: code = StatusCode::kInvalidArgument; break;
    case 422: code = StatusCode::kInvalidArgument; break;
    default: code = StatusCode::kInternal; break;
  }
  return Make(code, std::move(message), std::move(d));
}

Response ErrorResponse(const Status& status) {
  const StatusDetails* d = status.details();
  std::string reason = d && !d->reason.empty() ? d->reason : ReasonForCode(status.code());
  int code = d && d->http_code ? d->http_code : CodeForReason(reason);
  Json body = {{"kind", "Status"},     {"apiVersion", "v1"}, {"metadata", Json::object()},
               {"status", "Failure"},  {"message", status.message()},
               {"reason", reason},     {"code", code}};
  if (d) {
    Json details = Json::object();
    if (!d->name.empty()) details["name"] = d->name;
    if (!d->group.empty()) details["group"] = d->group;
    if (!d->kind.empty()) details["kind"] = d->kind;
    if (!d->causes.empty()) {
      Json causes = Json::array();
      for (const auto& c : d->causes) {
        Json cj = {{"reason", c.reason}, {"message", c.message}};
        if (!c.field.empty()) cj["field"] = c.field;
        causes.push_back(std::move(cj));
      }
      details["causes"] = std::move(causes);
    }
    if (!details.empty()) body["details"] = std::move(details);
  }
  return Response{code, "application/json", DumpJson(body), {}};
}

std::string SuccessStatusBody(const api::KindInfo& kind, std::string_view name,
                              std::string_view uid) {
  Json details = {{"name", name}, {"kind", kind.plural}, {"uid", uid}};
  if (!kind.group.empty()) details["group"] = kind.group;
  return DumpJson(Json{{"kind", "Status"},
                       {"apiVersion", "v1"},
                       {"metadata", Json::object()},
                       {"status", "Success"},
                       {"details", details}});
}

}  // namespace skiff::apiserver
