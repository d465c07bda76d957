// The admin API suites' shared pieces: a stack like the demo's (shard_1..3, primary + replica
// each, dev Consul, agents, the controller), and curl calls to the admin API as an operator makes
// them, answers parsed as JSON.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/harness/curl_client.h"
#include "tests/harness/stack.h"

namespace shardgate::integration {

// shard_1 and shard_2 hold 0..4999 and 5000..9999, shard_3 has no range (the demo's layout);
// the controller also listens on 8080 when that port is free.
harness::StackOptions AdminStackOptions();

// One answer: status, headers, and the body parsed as JSON (null when it is not JSON).
struct ApiReply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string text;
  nlohmann::json json;
};

// curl `args` (after `curl`); a failed REQUIRE when curl gets no HTTP answer.
ApiReply Call(const std::vector<std::string>& args);

// GET/POST/PUT/DELETE on `base_url` + `path` (path may carry a query); JSON bodies with
// Content-Type: application/json, plus `headers` ("Name: value").
ApiReply Get(const std::string& base_url, const std::string& path,
             const std::vector<std::string>& headers = {});
ApiReply Send(const std::string& method, const std::string& base_url, const std::string& path,
              const std::string& body, const std::vector<std::string>& headers = {});

// The current rules version (GET /api/v1/routing-map); a failed REQUIRE unless it answers 200.
uint64_t RulesVersion(const std::string& base_url);

}  // namespace shardgate::integration
