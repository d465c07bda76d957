// The controller's report in Consul KV: what it has applied to each of its HAProxy instances,
// so an operator (and the admin API) can tell when the whole fleet runs a map version.
#pragma once

#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/latest_board.h"
#include "common/sleeper.h"
#include "common/status.h"
#include "consul/client.h"
#include "controller/reconciler.h"

namespace shardgate::controller {

struct FleetReport {
  std::string controller_id;
  WallTime updated_at{};
  std::vector<InstanceApplied> instances;
  bool operator==(const FleetReport&) const = default;
};

// {"format":"shardgate-controller-report-1","controller_id":"lb-1","updated_at_ms":...,
//  "instances":[{"haproxy":"/run/haproxy.sock","ok":true,"error":"","map_version":...,
//  "state_digest":"...","generation":...,"applied_at_ms":...}]}
std::string EncodeFleetReport(const FleetReport& report);
// Errors: kProtocol naming the field.
Result<FleetReport> DecodeFleetReport(std::string_view json);

// Writes the latest report to `key` on its own thread, so a slow or absent Consul never holds up
// the reconcile loop; a failed write is retried with backoff until a newer report replaces it.
// Thread-safety: Post from any thread; Run on one thread.
class FleetReporter {
 public:
  FleetReporter(consul::Client& client, const Clock& clock, Sleeper& sleeper, std::string key,
                std::string controller_id);
  void Post(const std::vector<InstanceApplied>& instances);
  void Run(std::stop_token stop);

 private:
  struct Pending {
    uint64_t version = 0;
    std::vector<InstanceApplied> instances;
  };
  consul::Client& client_;
  const Clock& clock_;
  Sleeper& sleeper_;
  const std::string key_;
  const std::string controller_id_;
  LatestBoard<Pending> board_;
};

}  // namespace shardgate::controller
