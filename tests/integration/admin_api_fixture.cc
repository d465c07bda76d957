// The admin API suites' shared pieces (see the header).
#include "tests/integration/admin_api_fixture.h"

#include <doctest/doctest.h>

#include "tests/harness/ports.h"
#include "tests/integration/controller_live_fixture.h"

namespace shardgate::integration {

harness::StackOptions AdminStackOptions() {
  harness::StackOptions o = LiveStackOptions();
  o.shards = {"shard_1", "shard_2", "shard_3"};
  if (harness::PortIsFree(8080)) o.controller_extra_ports = {8080};
  return o;
}

ApiReply Call(const std::vector<std::string>& args) {
  Result<harness::CurlReply> reply = harness::Curl(args);
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  ApiReply out{reply->status, reply->headers, reply->body, nullptr};
  out.json = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

ApiReply Get(const std::string& base_url, const std::string& path,
             const std::vector<std::string>& headers) {
  std::vector<std::string> args = {base_url + path};
  for (const std::string& h : headers) args.insert(args.end(), {"-H", h});
  return Call(args);
}

ApiReply Send(const std::string& method, const std::string& base_url, const std::string& path,
              const std::string& body, const std::vector<std::string>& headers) {
  std::vector<std::string> args = {"-X", method, base_url + path};
  if (!body.empty()) {
    args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  }
  for (const std::string& h : headers) args.insert(args.end(), {"-H", h});
  return Call(args);
}

uint64_t RulesVersion(const std::string& base_url) {
  ApiReply r = Get(base_url, "/api/v1/routing-map");
  REQUIRE_MESSAGE(r.status == 200, r.text);
  return r.json.at("version").get<uint64_t>();
}

}  // namespace shardgate::integration
