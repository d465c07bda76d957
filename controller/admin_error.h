// Admin API errors as values: the HTTP status, the stable code, a message naming what is wrong
// and the JSON field or query parameter it concerns; their JSON form; AdminResult<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json_fwd.hpp>

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
  // REQUIRES: !ok() for error(), ok() for the value accessors (std::get throws otherwise,
  // which the route table turns into a 500: a broken invariant, not an expected failure).
  const AdminError& error() const { return std::get<1>(v_); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, AdminError> v_;
};

}  // namespace shardgate::controller
