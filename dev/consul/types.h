// Value types of the dev server's state machine: KV entries, sessions, services and checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"

namespace shardgate::consul::dev {

using Nanos = std::chrono::nanoseconds;

struct KvEntry {
  std::string key;
  std::string value;  // raw bytes; empty reads back as JSON null
  uint64_t flags = 0;
  uint64_t lock_index = 0;
  std::string session;  // holder of the advisory lock, empty when free
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
};

enum class Behavior { kRelease, kDelete };

struct Session {
  std::string id;
  std::string name;
  std::string node;
  Nanos lock_delay{0};
  Behavior behavior = Behavior::kRelease;
  std::string ttl_text;  // as the client sent it ("" = no TTL)
  Nanos ttl{0};
  std::vector<std::string> node_checks;
  std::vector<std::string> service_checks;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
  SteadyTime expires_at{};  // only meaningful when ttl > 0: last renew + 2 x TTL
};

inline constexpr const char* kPassing = "passing";
inline constexpr const char* kWarning = "warning";
inline constexpr const char* kCritical = "critical";

struct Check {
  std::string id;
  std::string name;
  std::string status = kCritical;
  std::string notes;
  std::string output;
  std::string service_id;  // empty for node checks
  std::string service_name;
  std::string type;  // "ttl", "maintenance" or "" (serfHealth)
  Nanos ttl{0};
  Nanos deregister_after{0};  // DeregisterCriticalServiceAfter, 0 = never
  SteadyTime ttl_deadline{};  // when ttl > 0: last update + TTL
  bool ttl_expired = false;   // the deadline fired and no update came since
  SteadyTime critical_since{};
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
};

struct Service {
  std::string id;
  std::string name;
  std::vector<std::string> tags;
  std::string address;
  int port = 0;
  std::map<std::string, std::string> meta;
  std::string tagged_addresses_json;  // the TaggedAddresses object as sent, "" when absent
  int weight_passing = 1;
  int weight_warning = 1;
  bool enable_tag_override = false;
  std::string kind;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
};

}  // namespace shardgate::consul::dev
