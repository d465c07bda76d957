// One reconcile round against one HAProxy instance: restart detection, servers, range map.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/backend_slots.h"
#include "controller/desired_state.h"
#include "controller/server_apply.h"
#include "haproxy/replies.h"
#include "haproxy/runtime_client.h"
#include "model/range.h"

namespace shardgate::controller {

// What one HAProxy instance should run.
struct InstancePlan {
  std::vector<DesiredShard> shards;
  // The flattened range map (shared: a large map is computed once, not once per round) and the
  // distinct shards it names. Null with map_version 0.
  std::shared_ptr<const std::vector<model::Segment>> segments;
  std::vector<std::string> segment_shards;
  uint64_t map_version = 0;  // the controller's version of `segments`; 0 = leave the map alone
  std::string map_path;      // the str map the router reads
  // The shard -> spare backend map the router reads (docs/router.md, "Backends"); "" = none:
  // shards need static backends.
  std::string shards_map_path;
  // false until the fleet is known: servers are then neither read nor touched (an empty fleet
  // would otherwise put every server in maint).
  bool manage_servers = true;
  // A server no node desires is deleted once it is in maint, has been unwanted this long and
  // HAProxy agrees (it refuses while connections are attached; the next round tries again).
  Millis remove_after{60000};
  SteadyTime now{};
  // Some instance in Consul did not decode: leave servers that no decoded record wants alone
  // (neither maint nor delete), since the undecodable record may be theirs.
  bool keep_unwanted = false;
};

// What the controller remembers of one instance between rounds. Starts empty.
struct InstanceMemory {
  std::optional<haproxy::ProcessInfo> process;  // at the last round that reached HAProxy
  // Since when each unwanted server (backend, server) has been seen unwanted.
  std::map<std::pair<std::string, std::string>, SteadyTime> unwanted_since;
};

struct InstanceReport {
  Status status;           // the error that ended the round early; ok when it ran through
  bool restarted = false;  // a new process since the last round (pid changed, uptime went back)
  ApplyOutcome servers;    // server commands sent and their results
  // Which backends each shard's servers went to (set when servers were managed), and the
  // shards with no backend at all (neither static nor a free spare slot).
  std::optional<BackendBinding> binding;
  bool map_pushed = false;
  uint64_t map_version = 0;  // the version HAProxy runs after the round (0: unknown)
};

// Brings one HAProxy in line with `plan`: `show info` (a new process means everything set at
// run time is gone, and this same round puts it back); `show backend` and the shards map ->
// BindBackends (a shard without static backends gets a spare slot); `show servers state` ->
// DiffServers -> ApplyCommands, servers first and the shards-map edits after (a reused slot's old
// servers are out of rotation before the new shard is bound to it); then the map's meta version
// -> PushRangeMap when it differs. A round that
// cannot read HAProxy changes nothing (fail static) and says why in `status`. Idempotent: a
// second round with the same plan sends only reads.
// Thread-safety: one round at a time per instance (`memory` is not locked).
InstanceReport SyncInstance(haproxy::RuntimeClient& client, const InstancePlan& plan,
                            InstanceMemory& memory);

}  // namespace shardgate::controller
