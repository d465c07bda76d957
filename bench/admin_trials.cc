// The admin bench's series and the bulk put (see admin_trials.h).
#include "bench/admin_trials.h"

#include <algorithm>
#include <random>
#include <thread>

#include "bench/admin_client.h"
#include "bench/route_probe.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kProbeTimeout{2000};
// The first connection after a bulk put loads the whole new map into the router's Lua state.
constexpr milliseconds kBulkProbeTimeout{30000};
constexpr milliseconds kChangeTimeout{10000};
constexpr const char* kPostPath = "/api/v1/routing-map?wait=applied&timeout=5s";
constexpr const char* kPutPath = "/api/v1/routing-map?wait=applied&timeout=60s";
constexpr milliseconds kPutTimeout{120000};
constexpr int kKeysPerBulkRange = 10;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct ChangeOutcome {
  double ms = 0;
  bool misrouted = false;
};
using ChangeFn = std::function<Result<ChangeOutcome>(const std::string& target)>;

// The shared loop: `options.changes` changes (fewer when the budget runs out or a shutdown is
// requested), each moving the range to the shard it is not on, the first to the one other than
// `current`.
ChangeSeries RunSeries(const SeriesOptions& options, const std::string& current,
                       const ChangeFn& change) {
  ChangeSeries series;
  const Clock::time_point start = Clock::now();
  std::string target = current == options.shard_a ? options.shard_b : options.shard_a;
  for (int i = 0; i < options.changes; ++i) {
    if (harness::ShutdownRequested() || Clock::now() - start > options.budget) break;
    Result<ChangeOutcome> outcome = change(target);
    if (outcome.ok()) {
      series.ms.push_back(outcome->ms);
      if (outcome->misrouted) ++series.misrouted;
      target = target == options.shard_a ? options.shard_b : options.shard_a;
    } else {
      ++series.failed;
      if (series.first_error.empty()) series.first_error = outcome.status().ToString();
    }
    std::this_thread::sleep_for(options.spacing);
  }
  return series;
}

Result<std::string> ShardOfProbeKey(AdminFleet& fleet, int router_port) {
  ASSIGN_OR_RETURN(int port, RoutedPort(router_port, kProbeKey, kProbeTimeout));
  return fleet.ShardOfPort(port);
}

std::string RuleBody(int64_t lo, int64_t hi, const std::string& shard) {
  return nlohmann::json{{"partition_key_range", std::to_string(lo) + "-" + std::to_string(hi)},
                        {"target_backend", shard},
                        {"reason", "admin_bench"}}
      .dump();
}

// Ok when the reply is the answer of a change applied on every HAProxy (`created` = 201 for a
// POST, 200 for a PUT); kTimeout when it came back 202 (not applied in time).
Result<AppliedView> AppliedAnswer(const AdminReply& reply, int want_status) {
  ASSIGN_OR_RETURN(AppliedView applied, ReadApplied(reply));
  if (reply.status == 202 || !applied.done) {
    return Timeout("HTTP " + std::to_string(reply.status) + ": not applied in time, " +
                   std::to_string(applied.pending) + " HAProxy(s) pending");
  }
  if (reply.status != want_status) {
    return ProtocolError("HTTP " + std::to_string(reply.status) + " instead of " +
                         std::to_string(want_status));
  }
  return applied;
}

}  // namespace

ChangeSeries RunAdminSeries(AdminFleet& fleet, const std::vector<int>& router_ports,
                            const SeriesOptions& options) {
  Result<std::string> current = ShardOfProbeKey(fleet, router_ports.front());
  if (!current.ok()) return {{}, options.changes, 0, current.status().ToString()};
  return RunSeries(options, *current, [&](const std::string& target) -> Result<ChangeOutcome> {
    const Clock::time_point start = Clock::now();
    ASSIGN_OR_RETURN(AdminReply reply,
                     AdminRequest(fleet.admin_port(), "POST", kPostPath,
                                  RuleBody(kMovedLo, kMovedHi, target), kChangeTimeout));
    ChangeOutcome outcome{MsSince(start), false};
    RETURN_IF_ERROR(AppliedAnswer(reply, 201).status());
    for (int port : router_ports) {
      Result<int> routed = RoutedPort(port, kProbeKey, kProbeTimeout);
      if (!routed.ok() || *routed != fleet.ShardPort(target)) outcome.misrouted = true;
    }
    return outcome;
  });
}

ChangeSeries RunPeerSeries(ReloadPeer& peer, AdminFleet& fleet, const SeriesOptions& options) {
  Result<std::string> current = ShardOfProbeKey(fleet, peer.rw_port());
  if (!current.ok()) return {{}, options.changes, 0, current.status().ToString()};
  return RunSeries(options, *current, [&](const std::string& target) -> Result<ChangeOutcome> {
    RETURN_IF_ERROR(peer.WaitIdle());
    const Clock::time_point start = Clock::now();
    RETURN_IF_ERROR(peer.ApplyRule(kMovedLo, kMovedHi, target));
    RETURN_IF_ERROR(WaitRoutedTo(peer.rw_port(), kProbeKey, fleet.ShardPort(target),
                                 milliseconds(1), kChangeTimeout));
    return ChangeOutcome{MsSince(start), false};
  });
}

namespace {

// The shard bulk rule `index` sends its keys to.
const std::string& BulkShard(int64_t key, const SeriesOptions& options) {
  return (key / kKeysPerBulkRange) % 2 == 0 ? options.shard_a : options.shard_b;
}

// {"rules":[{"partition_key_range":"0-9","target_backend":"shard_1"},...],"reason":"..."}
std::string BulkBody(int ranges, const SeriesOptions& options) {
  std::string body = R"({"reason":"admin_bench bulk","rules":[)";
  body.reserve(static_cast<size_t>(ranges) * 64);
  for (int i = 0; i < ranges; ++i) {
    int64_t lo = int64_t{i} * kKeysPerBulkRange;
    body += i == 0 ? "" : ",";
    body += R"({"partition_key_range":")" + std::to_string(lo) + "-" +
            std::to_string(lo + kKeysPerBulkRange - 1) + R"(","target_backend":")" +
            BulkShard(lo, options) + R"("})";
  }
  return body + "]}";
}

// The shard `segments` (sorted, non-overlapping) send `key` to, or "" when none covers it.
std::string LookUp(const std::vector<model::Segment>& segments, int64_t key) {
  auto after = std::upper_bound(segments.begin(), segments.end(), key,
                                [](int64_t k, const model::Segment& s) { return k < s.lo; });
  if (after == segments.begin()) return "";
  const model::Segment& s = *(after - 1);
  return key <= s.hi ? s.shard : "";
}

// Polls every HAProxy's map version until each runs at least `version`.
Status WaitFleetVersion(AdminFleet& fleet, int haproxys, uint64_t version, milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (int i = 0; i < haproxys; ++i) {
    haproxy::RuntimeClient client(fleet.haproxy(i).socket());
    while (true) {
      Result<uint64_t> runs = client.RangeMapVersion(fleet.ranges_map());
      if (runs.ok() && *runs >= version) break;
      if (Clock::now() >= deadline) {
        return Timeout("HAProxy " + std::to_string(i + 1) + " does not run map version " +
                       std::to_string(version));
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  return Status::Ok();
}

// Looks `keys` up in the map each HAProxy runs and routes `routed` of them through the routers.
void CheckBulkKeys(AdminFleet& fleet, int haproxys, const std::vector<int64_t>& keys, int routed,
                   const SeriesOptions& options, BulkFigures* f) {
  for (int i = 0; i < haproxys; ++i) {
    haproxy::RuntimeClient client(fleet.haproxy(i).socket());
    Result<haproxy::DecodedMap> map = client.ReadRangeMap(fleet.ranges_map());
    for (int64_t key : keys) {
      ++f->keys_checked;
      if (!map.ok() || map->version != f->map_version ||
          LookUp(map->segments, key) != BulkShard(key, options)) {
        ++f->keys_wrong;
      }
    }
  }
  std::vector<int> ports = fleet.RouterPorts(haproxys);
  for (int j = 0; j < routed && j < static_cast<int>(keys.size()); ++j) {
    ++f->routed_checked;
    const Clock::time_point start = Clock::now();
    Result<int> port = RoutedPort(ports[j % ports.size()], keys[j], kBulkProbeTimeout);
    double& slowest = j < static_cast<int>(ports.size()) ? f->first_connection_ms
                                                         : f->later_connection_ms;
    slowest = std::max(slowest, MsSince(start));
    if (!port.ok()) {
      ++f->routed_failed;
      if (f->error.empty()) f->error = port.status().ToString();
    } else if (*port != fleet.ShardPort(BulkShard(keys[j], options))) {
      ++f->routed_wrong;
    }
  }
}

}  // namespace

BulkFigures RunBulkPut(AdminFleet& fleet, int haproxys, int ranges, int map_keys, int routed_keys,
                       const SeriesOptions& options) {
  BulkFigures f;
  const std::string body = BulkBody(ranges, options);
  const Clock::time_point start = Clock::now();
  Result<AdminReply> reply = AdminRequest(fleet.admin_port(), "PUT", kPutPath, body, kPutTimeout);
  f.put_ms = MsSince(start);
  if (!reply.ok()) {
    f.error = reply.status().ToString();
    return f;
  }
  f.status = reply->status;
  Result<AppliedView> applied = ReadApplied(*reply);
  if (!applied.ok()) {
    f.error = applied.status().ToString();
    return f;
  }
  f.done = applied->done;
  f.map_version = applied->map_version;
  if (Status s = WaitFleetVersion(fleet, haproxys, f.map_version, kPutTimeout); !s.ok()) {
    f.error = s.ToString();
  }
  f.fleet_ms = MsSince(start);
  std::mt19937_64 random(42);  // the same keys every run
  std::uniform_int_distribution<int64_t> pick(0, int64_t{ranges} * kKeysPerBulkRange - 1);
  std::vector<int64_t> keys(static_cast<size_t>(map_keys));
  for (int64_t& key : keys) key = pick(random);
  CheckBulkKeys(fleet, haproxys, keys, routed_keys, options, &f);
  return f;
}

}  // namespace shardgate::bench
