// Status and StatusOr<T>: Skiff's error flow. OK carries no allocation; an
// error carries a canonical code, a message, and optional API details that the
// apiserver turns into a Kubernetes `Status` (reason, field causes).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace skiff {

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,  // optimistic-concurrency conflicts
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
};

std::string_view StatusCodeName(StatusCode code);

// One field-level cause, as in Kubernetes `details.causes[]`.
struct StatusCause {
  std::string reason;   // e.g. "FieldValueInvalid", "FieldValueRequired"
  std::string message;  // e.g. "Invalid value: \"x\": must be an integer"
  std::string field;    // e.g. "spec.size"
};

// Extra information for API errors. Optional: most errors don't need it.
struct StatusDetails {
  std::string reason;  // Kubernetes reason ("Invalid", "Conflict", ...); empty = from code
  int http_code = 0;   // 0 = derived from reason/code
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);
  Status(StatusCode code, std::string message, StatusDetails details);

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // Null when the error carries no API details.
  const StatusDetails* details() const { return rep_ ? rep_->details.get() : nullptr; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::shared_ptr<const StatusDetails> details;
  };
  std::shared_ptr<const Rep> rep_;
};

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status Aborted(std::string message);
Status FailedPrecondition(std::string message);
Status Internal(std::string message);
Status Unavailable(std::string message);
Status Unimplemented(std::string message);
Status OutOfRange(std::string message);
Status ResourceExhausted(std::string message);
Status DeadlineExceeded(std::string message);
Status Cancelled(std::string message);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& s) : v_(s) {}  // NOLINT: implicit by design
  StatusOr(Status&& s) : v_(std::move(s)) {}
  StatusOr(const T& v) : v_(v) {}  // NOLINT
  StatusOr(T&& v) : v_(std::move(v)) {}
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status>>>
  StatusOr(U&& v) : v_(T(std::forward<U>(v))) {}  // NOLINT

  bool ok() const { return v_.index() == 1; }
  Status status() const { return ok() ? Status() : std::get<0>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T& value() & { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace skiff

#define SKIFF_CONCAT_INNER_(a, b) a##b
#define SKIFF_CONCAT_(a, b) SKIFF_CONCAT_INNER_(a, b)

#define SKIFF_RETURN_IF_ERROR(expr)         \
  do {                                      \
    ::skiff::Status skiff_status_ = (expr); \
    if (!skiff_status_.ok()) {              \
      return skiff_status_;                 \
    }                                       \
  } while (0)

#define SKIFF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) {                                   \
    return tmp.status();                             \
  }                                                  \
  lhs = std::move(tmp).value()

#define SKIFF_ASSIGN_OR_RETURN(lhs, expr) \
  SKIFF_ASSIGN_OR_RETURN_IMPL_(SKIFF_CONCAT_(skiff_statusor_, __LINE__), lhs, expr)

// Programmer errors only: aborts with a message.
#define SKIFF_CHECK(cond)                                       \
  do {                                                          \
    if (!(cond)) {                                              \
      ::skiff::internal::CheckFailed(#cond, __FILE__, __LINE__); \
    }                                                           \
  } while (0)

namespace skiff::internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}
