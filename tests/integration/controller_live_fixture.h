// The live controller suites' shared pieces: the stack they run (2 shards of primary + replica,
// the Consul dev server, agents, shardgate-controller), what a user sees through HAProxy,
// HAProxy's state reduced to what the controller sets, and the rules and reports in Consul KV.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "controller/fleet_report.h"
#include "controller/routing_rules.h"
#include "haproxy/config.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/controller_process.h"
#include "tests/harness/stack.h"

namespace shardgate::integration {

inline constexpr char kLiveCluster[] = "live";

// 0..4999 -> shard_1, 5000..9999 -> shard_2: the rules the stack is seeded with.
std::vector<model::Segment> LiveSegments();

// shard_1 and shard_2 (primary n1 + replica n2 each), two spare backend pairs, the Consul dev
// server, one agent per node probing every 250 ms, and the controller.
harness::StackOptions LiveStackOptions();

// The binary's stack: started with `options` on first use and shared by every test case after
// (starting four PostgreSQL nodes once keeps a suite short); nullptr, after a failed check saying
// why, when it could not start.
harness::Stack* SharedStack(const harness::StackOptions& options);

// `show cluster_name` through HAProxy's `port` with PGOPTIONS '-c shardgate.key=<key>', as psql
// prints it (e.g. "shard_2/n1"); "psql failed: <why>" when it did not answer.
std::string NodeVia(int port, int64_t key);

// Polls NodeVia until it answers `want` or `timeout` passes; returns the last answer.
std::string WaitNodeVia(int port, int64_t key, const std::string& want,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

// One HAProxy server as the controller sets it (ids, addresses and health are HAProxy's own).
struct ServerView {
  std::string backend;
  std::string server;
  int admin = 0;  // srv_admin_state bits
  int weight = 0;
  auto operator<=>(const ServerView&) const = default;
};

// What the controller owns in one HAProxy: every server (sorted) and the range map version.
struct HaproxyView {
  std::vector<ServerView> servers;
  uint64_t map_version = 0;
  bool operator==(const HaproxyView&) const = default;
};
std::ostream& operator<<(std::ostream& out, const HaproxyView& view);

// `show servers state` and the range map's version, read through `socket`.
Result<HaproxyView> ReadView(haproxy::RuntimeSocket& socket, const std::string& ranges_map);

// The stack's HAProxy's view; a failed REQUIRE when it cannot be read.
HaproxyView CurrentView(harness::Stack& stack);

// Polls ReadView until it equals `want` or `timeout` passes; returns the last view read.
Result<HaproxyView> WaitView(haproxy::RuntimeSocket& socket, const std::string& ranges_map,
                             const HaproxyView& want,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A Consul client of the test's own, for reads and writes the stack does not offer.
class TestConsul {
 public:
  // `url`: ConsulDev::url(). Nothing is sent until the first call.
  static Result<std::unique_ptr<TestConsul>> Connect(const std::string& url);
  consul::Client& client() { return *client_; }

 private:
  std::unique_ptr<consul::CurlTransport> transport_;
  std::unique_ptr<consul::Client> client_;
};

// The cluster's rules document as Consul holds it, and the key's ModifyIndex.
struct StoredRules {
  controller::RuleSet rules;
  uint64_t modify_index = 0;
};
// Errors: kNotFound without the key; the decoder's kProtocol for a bad document.
Result<StoredRules> ReadRules(consul::Client& client);

// `base` plus one rule lo..hi -> shard (expiring `ttl` from now when given), with the next id and
// the next version: the document an operator's change produces.
controller::RuleSet WithRule(controller::RuleSet base, int64_t lo, int64_t hi,
                             const std::string& shard,
                             std::optional<std::chrono::milliseconds> ttl = std::nullopt);

// Reads the stored rules, adds the rule (WithRule) and writes the document; returns what it wrote.
Result<controller::RuleSet> AddRule(harness::Stack& stack, int64_t lo, int64_t hi,
                                    const std::string& shard,
                                    std::optional<std::chrono::milliseconds> ttl = std::nullopt);

// The map version every controller derives from `rules` now (controller::MapVersion).
uint64_t MapVersionNow(const controller::RuleSet& rules);

// Every controller's report under shardgate/<cluster>/controllers/.
Result<std::vector<controller::FleetReport>> ReadReports(consul::Client& client);

// Polls the controller's metric `name` until `wanted` holds or `timeout` passes; the last value
// read, or the last error.
Result<double> WaitMetric(harness::ControllerProcess& controller, const std::string& name,
                          const std::function<bool(double)>& wanted,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A second HAProxy with the stack's configuration on its own ports, socket and map files (empty
// backends and map: its controller fills them), adopted by the stack.
struct SecondHaproxy {
  haproxy::ConfigSpec spec;
  harness::HaproxyProcess* process = nullptr;
};
SecondHaproxy StartSecondHaproxy(harness::Stack& stack, const std::string& name = "haproxy2");

// A controller like the stack's, with id `id`, managing the HAProxy of `spec`; adopted by the
// stack, ready before it returns. `extra_args` are added to the stack controller's flags.
harness::ControllerProcess& StartSecondController(harness::Stack& stack,
                                                  const haproxy::ConfigSpec& spec,
                                                  const std::string& id,
                                                  const std::vector<std::string>& extra_args = {});

}  // namespace shardgate::integration
