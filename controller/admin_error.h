// Admin API errors as values: the HTTP status, the stable code, a message naming what is wrong
// and the JSON field or query parameter it concerns; their JSON form; AdminResult<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"

namespace shardgate::controller {

// One refused admin request. `code` is one of the contract's stable codes ("invalid_json",
// "unknown_field", ...); `field` is empty when no field or parameter applies.
struct AdminError {
  int status = 400;
  std::string code;
  std::string message;
  std::string field;
  bool operator==(const AdminError&) const = default;
};

// A 400 with `code`, for bad input.
inline AdminError BadRequest(std::string code, std::string message, std::string field = {}) {
  return AdminError{400, std::move(code), std::move(message), std::move(field)};
}

// {"error":{"code":..,"message":..,"field":..}} with "field" left out when empty.
nlohmann::json AdminErrorJson(const AdminError& error);
// AdminErrorJson(error).dump().
std::string AdminErrorBody(const AdminError& error);

// A value or the AdminError that refused it (the admin API's Result<T>).
template <typename T>
class [[nodiscard]] AdminResult {
 public:
  AdminResult(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  AdminResult(AdminError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: !ok() for error(), ok() for the value accessors; otherwise they abort the program
  // naming the error, as Result<T> does: a broken invariant, not an expected failure.
  const AdminError& error() const {
    if (ok()) ::shardgate::internal::DieOnErrorValue(Internal("AdminResult::error() on a value"));
    return std::get<1>(v_);
  }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    if (!ok()) Die();
    return std::get<0>(v_);
  }
  const T& Checked() const {
    if (!ok()) Die();
    return std::get<0>(v_);
  }
  [[noreturn]] void Die() const {
    const AdminError& e = std::get<1>(v_);
    ::shardgate::internal::DieOnErrorValue(Internal("AdminResult::value() on error " +
                                                    std::to_string(e.status) + " " + e.code + ": " +
                                                    e.message));
  }

  std::variant<T, AdminError> v_;
};

}  // namespace shardgate::controller
