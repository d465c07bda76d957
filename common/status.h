// Status and Result<T>: expected failures as values, never exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shardgate {

// A small, stable set of codes. Each has a short name used identically in logs, API replies,
// metrics and tests (see CodeName).
enum class Code {
  kOk,
  kInvalidArgument,   // the caller's input is wrong (bad config key, bad request body)
  kNotFound,          // the thing named does not exist
  kConflict,          // a CAS/version check failed; retry with fresh state
  kUnavailable,       // the peer is down or unreachable; retry later
  kTimeout,           // a deadline passed
  kPermissionDenied,  // an ACL/token was refused
  kProtocol,          // the peer answered something we could not understand
  kInternal,          // anything else
};

// Short, stable name of a code: "ok", "invalid_argument", "not_found", "conflict",
// "unavailable", "timeout", "permission_denied", "protocol", "internal".
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", or "ok".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status ProtocolError(std::string m) { return {Code::kProtocol, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// "<context>: <message>" with the same code; an ok status stays ok. For adding what the caller
// was doing to an error it passes on, e.g. Annotate(s, "map " + path).
Status Annotate(const Status& status, std::string_view context);

namespace internal {
// Prints "Result::value() on error: <status>" to stderr and aborts: reading the value of an
// error Result is a broken invariant, not an expected failure.
[[noreturn]] void DieOnErrorValue(const Status& status);
}  // namespace internal

// Result<T>: a value or a non-ok Status.
// REQUIRES: a Result built from a Status is built from a non-ok one.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Internal("Result built from an ok Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok(). On an error Result these abort the program, naming the status.
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    if (!value_.has_value()) internal::DieOnErrorValue(status_);
    return *value_;
  }
  const T& Checked() const {
    if (!value_.has_value()) internal::DieOnErrorValue(status_);
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

// The same Result with its error annotated as above; a value passes through untouched.
template <typename T>
Result<T> Annotate(Result<T> result, std::string_view context) {
  if (result.ok()) return result;
  return Annotate(result.status(), context);
}

namespace internal {
inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}
}  // namespace internal

// Early return on error. These are macros because a function cannot return from its caller;
// everything else about errors is plain functions and values.
//
// RETURN_IF_ERROR(expr): evaluates expr (a Status or a Result<T>) once; if it is an error,
// returns its Status from the enclosing function (which returns Status or some Result<U>). The
// value is held by copy: `expr` may be a reference into a temporary (`Query(...).status()`).
#define RETURN_IF_ERROR(expr)                                                   \
  do {                                                                          \
    if (const auto shardgate_status_or_ = (expr); !shardgate_status_or_.ok()) { \
      return ::shardgate::internal::StatusOf(shardgate_status_or_);             \
    }                                                                           \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): evaluates expr (a Result<T>) once; on error returns its Status
// from the enclosing function, otherwise moves the value into lhs, which is a declaration
// (`auto x`, `const Foo& f`) or an existing variable. It expands to several statements, so it
// cannot be the unbraced body of an if or a loop. A lhs with a comma needs a type alias.
#define ASSIGN_OR_RETURN(lhs, ...)                                                       \
  SHARDGATE_ASSIGN_OR_RETURN_IMPL(SHARDGATE_CONCAT(shardgate_result_, __COUNTER__), lhs, \
                                  __VA_ARGS__)

#define SHARDGATE_ASSIGN_OR_RETURN_IMPL(result, lhs, ...) \
  auto result = (__VA_ARGS__);                            \
  if (!result.ok()) return result.status();               \
  lhs = std::move(result).value()

#define SHARDGATE_CONCAT(a, b) SHARDGATE_CONCAT_INNER(a, b)
#define SHARDGATE_CONCAT_INNER(a, b) a##b

}  // namespace shardgate
