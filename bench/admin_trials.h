// The admin bench's measurements: one range moved per change through the admin API with
// `wait=applied` (A) or through a full render and reload (C, the peer), and 100,000 ranges put
// at once through the admin API (B).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/admin_fleet.h"
#include "bench/reload_peer.h"
#include "common/status.h"

namespace shardgate::bench {

// The range every single-rule change moves, and the key the bench routes to check it.
inline constexpr int64_t kMovedLo = 1000;
inline constexpr int64_t kMovedHi = 1999;
inline constexpr int64_t kProbeKey = 1500;

struct SeriesOptions {
  int changes = 200;
  std::chrono::milliseconds spacing{20};  // pause between a change's check and the next change
  std::chrono::milliseconds budget{std::chrono::minutes(3)};  // no change starts after this
  // Moves alternate between these two shards, starting with the one the probe key is not on.
  std::string shard_a = "shard_1";
  std::string shard_b = "shard_2";
};

struct ChangeSeries {
  std::vector<double> ms;  // per successful change
  int failed = 0;          // error, not applied in time, or never routed to the new shard
  int misrouted = 0;       // applied, yet a new connection still went to the old shard
  std::string first_error;
};

// A: POST /api/v1/routing-map?wait=applied&timeout=5s moving kMovedLo..kMovedHi, timed from the
// request to the answer; then one new connection through every port of `router_ports` must land
// on the new shard.
ChangeSeries RunAdminSeries(AdminFleet& fleet, const std::vector<int>& router_ports,
                            const SeriesOptions& options);

// C: the same moves rendered, written and reloaded into `peer`, timed from the start of the
// render to the first new connection routed to the new shard (polled every millisecond).
ChangeSeries RunPeerSeries(ReloadPeer& peer, AdminFleet& fleet, const SeriesOptions& options);

struct BulkFigures {
  int status = 0;
  bool done = false;
  double put_ms = 0;         // the PUT sent -> its answer
  double fleet_ms = 0;       // the PUT sent -> every HAProxy runs the new map (own polling)
  uint64_t map_version = 0;  // from the answer
  int keys_checked = 0;      // in the maps HAProxy runs (each HAProxy)
  int keys_wrong = 0;
  int routed_checked = 0;  // new connections through the routers
  int routed_wrong = 0;    // answered by the other shard
  int routed_failed = 0;   // no answer (refused, rejected, timed out)
  // The first new connection through each router after the answer (it loads the new map into
  // the router's Lua state), the slowest of them; and the slowest of the others.
  double first_connection_ms = 0;
  double later_connection_ms = 0;
  std::string error;  // why the figures are missing, if they are
};

// B: PUT /api/v1/routing-map?wait=applied&timeout=60s with `ranges` rules of 10 keys each
// (alternating shard_a/shard_b), then `map_keys` random keys looked up in each HAProxy's map
// and `routed_keys` keys routed through the first `haproxys` routers.
BulkFigures RunBulkPut(AdminFleet& fleet, int haproxys, int ranges, int map_keys, int routed_keys,
                       const SeriesOptions& options);

}  // namespace shardgate::bench
