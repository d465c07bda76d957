// Admin API requests over cpp-httplib (see admin_client.h).
#include "bench/admin_client.h"

#include <httplib.h>

namespace shardgate::bench {

Result<AdminReply> AdminRequest(int port, const std::string& method, const std::string& path,
                                const std::string& body, std::chrono::milliseconds timeout) {
  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(std::chrono::seconds(2));
  http.set_read_timeout(timeout);
  http.set_write_timeout(timeout);
  httplib::Result reply = method == "POST"  ? http.Post(path, body, "application/json")
                          : method == "PUT" ? http.Put(path, body, "application/json")
                                            : http.Get(path);
  if (!reply) {
    return Unavailable(method + " " + path + ": " + httplib::to_string(reply.error()));
  }
  AdminReply out;
  out.status = reply->status;
  out.body = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

Result<AppliedView> ReadApplied(const AdminReply& reply) {
  const nlohmann::json& body = reply.body;
  if (!body.is_object() || !body.contains("applied") || !body["applied"].is_object()) {
    std::string code = "no applied object";
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      code = body["error"].value("code", "") + ": " + body["error"].value("message", "");
    }
    return ProtocolError("HTTP " + std::to_string(reply.status) + " (" + code + ")");
  }
  const nlohmann::json& applied = body["applied"];
  AppliedView view;
  try {
    view.done = applied.value("done", false);
    view.map_version = applied.value("map_version", uint64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return ProtocolError(std::string("applied: ") + e.what());
  }
  if (applied.contains("instances") && applied["instances"].is_array()) {
    view.instances = applied["instances"].size();
  }
  if (applied.contains("pending") && applied["pending"].is_array()) {
    view.pending = applied["pending"].size();
  }
  return view;
}

}  // namespace shardgate::bench
