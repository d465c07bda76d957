// The admin API's error document (see admin_error.h).
#include "controller/admin_error.h"

#include <nlohmann/json.hpp>

namespace shardgate::controller {

nlohmann::json AdminErrorJson(const AdminError& error) {
  nlohmann::json inner = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) inner["field"] = error.field;
  return nlohmann::json{{"error", std::move(inner)}};
}

std::string AdminErrorBody(const AdminError& error) {
  // Messages quote user input, which may be invalid UTF-8: replace rather than throw.
  return AdminErrorJson(error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace shardgate::controller
