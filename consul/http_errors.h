// Turning Consul HTTP answers into Status values and query metadata.
#pragma once

#include <optional>
#include <string_view>

#include "common/status.h"
#include "consul/http_transport.h"
#include "consul/types.h"

namespace shardgate::consul {

// 403/401 -> kPermissionDenied, 404 -> kNotFound, 409 -> kConflict, 429 and 5xx -> kUnavailable,
// any other 4xx -> kInvalidArgument, anything else unexpected -> kProtocol.
Code CodeForHttpStatus(int http_status);

// "consul <METHOD> <path without query>: <status> <first line(s) of Consul's body>".
Status HttpError(std::string_view method, std::string_view path, const HttpResponse& response);

// When `response` is Consul's answer to a ?dc it cannot serve, the error saying so:
//   "consul <METHOD> <path>: Consul has no datacenter \"dc9\" (No path to datacenter)"
//   "consul <METHOD> <path>: Consul cannot reach datacenter \"dc2\" (Remote DC has no server
//   currently reachable)"
// with code kUnavailable (Consul answers the first too while a federated datacenter has no
// server in its WAN pool, so a retry may succeed). nullopt for any other answer.
std::optional<Status> DatacenterError(std::string_view method, std::string_view path,
                                      std::string_view datacenter, const HttpResponse& response);

// "consul <METHOD> <path without query>: bad response: <reason>" with code kProtocol.
Status DecodeError(std::string_view method, std::string_view path, const Status& reason);

// Reads X-Consul-Index (required, raised to >= 1), X-Consul-KnownLeader and
// X-Consul-LastContact (both optional). Errors: kProtocol when the index is missing or not a
// decimal uint64.
Result<QueryMeta> ParseQueryMeta(const HttpHeaders& headers);

}  // namespace shardgate::consul
