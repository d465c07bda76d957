// Turning Consul HTTP answers into Status values and query metadata.
#include "consul/http_errors.h"

#include <string>
#include <utility>

#include "common/numbers.h"
#include "consul/url.h"

namespace shardgate::consul {
namespace {

// Long bodies (an HTML error page from a proxy) are cut so a log line stays a line.
constexpr size_t kMaxBodyInMessage = 300;

std::string BodyForMessage(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kMaxBodyInMessage)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > kMaxBodyInMessage) out += "...";
  if (out.empty()) out = "(empty body)";
  return out;
}

std::string Prefix(std::string_view method, std::string_view path) {
  std::string out = "consul ";
  out += method;
  out += ' ';
  out += PathWithoutQuery(path);
  out += ": ";
  return out;
}

}  // namespace

Code CodeForHttpStatus(int http_status) {
  if (http_status == 401 || http_status == 403) return Code::kPermissionDenied;
  if (http_status == 404) return Code::kNotFound;
  if (http_status == 409) return Code::kConflict;
  if (http_status == 429 || (http_status >= 500 && http_status <= 599)) return Code::kUnavailable;
  if (http_status >= 400 && http_status <= 499) return Code::kInvalidArgument;
  return Code::kProtocol;
}

Status HttpError(std::string_view method, std::string_view path, const HttpResponse& response) {
  return Status(CodeForHttpStatus(response.status), Prefix(method, path) +
                                                        std::to_string(response.status) + " " +
                                                        BodyForMessage(response.body));
}

std::optional<Status> DatacenterError(std::string_view method, std::string_view path,
                                      std::string_view datacenter, const HttpResponse& response) {
  // Consul's texts (structs.ErrNoDCPath, structs.ErrDCNotAvailable), sent as 500 bodies.
  static constexpr std::pair<std::string_view, std::string_view> kProblems[] = {
      {"No path to datacenter", "Consul has no datacenter"},
      {"Remote DC has no server currently reachable", "Consul cannot reach datacenter"},
  };
  if (response.status != 500) return std::nullopt;
  for (const auto& [text, problem] : kProblems) {
    if (response.body.find(text) == std::string::npos) continue;
    return Status(Code::kUnavailable, Prefix(method, path) + std::string(problem) + " \"" +
                                          std::string(datacenter) + "\" (" + std::string(text) +
                                          ")");
  }
  return std::nullopt;
}

Status DecodeError(std::string_view method, std::string_view path, const Status& reason) {
  return ProtocolError(Prefix(method, path) + "bad response: " + reason.message());
}

Result<QueryMeta> ParseQueryMeta(const HttpHeaders& headers) {
  QueryMeta meta;
  std::optional<std::string> index = FindHeader(headers, "X-Consul-Index");
  if (!index) return ProtocolError("missing X-Consul-Index header");
  if (!ParseInteger(*index, &meta.index)) {
    return ProtocolError("X-Consul-Index is not an unsigned integer: " + BodyForMessage(*index));
  }
  if (meta.index < 1) meta.index = 1;  // Consul: an index below 1 counts as 1
  meta.known_leader = FindHeader(headers, "X-Consul-KnownLeader").value_or("") == "true";
  uint64_t contact_ms = 0;
  if (ParseInteger(FindHeader(headers, "X-Consul-LastContact").value_or(""), &contact_ms)) {
    meta.last_contact = std::chrono::milliseconds(contact_ms);
  }
  return meta;
}

}  // namespace shardgate::consul
