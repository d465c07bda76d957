// Client::Call: one Consul request as the Client builds it (internal to consul/client*.cc).
#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include "consul/client.h"

namespace shardgate::consul {

struct Client::Call {
  std::string method;
  std::string path;  // with query string
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0 = the config's request_timeout
  std::stop_token cancel;
};

}  // namespace shardgate::consul
