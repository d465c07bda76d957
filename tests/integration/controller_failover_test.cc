// Failover as a client sees it through HAProxy while shardgate-controller drives HAProxy from
// Consul: a stopped replica leaves the read rotation and comes back, a killed primary's writes
// move to the promoted replica, and the old primary that returns on its old timeline is fenced.
// The cases run in order on one stack and each starts from where the previous one left it.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "consul/client.h"
#include "consul/curl_transport.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/attempt_loop.h"
#include "tests/harness/eventually.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/stack.h"

namespace shardgate::harness {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kShard = "shard_1";
const std::string kKeyOption = "-c shardgate.key=1";
const std::string kServerPort = "select inet_server_port()";
const std::string kFailoverMetric = "shardgate_backend_failover_total{shard=\"shard_1\"}";
const std::string kFencedMetric = "shardgate_fenced_primaries{shard=\"shard_1\"}";
// The node's live timeline: the first 8 hex digits of its current WAL file (docs/agent.md).
const std::string kTimeline = "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

std::string Insert(const std::string& phase) {
  return "insert into failover_writes (phase) values ('" + phase +
         "') returning inet_server_port()";
}

std::string CountRows(const std::string& phase) {
  return "select count(*) from failover_writes where phase = '" + phase + "'";
}

// The stack every case shares, with what a later case needs to know of an earlier one.
struct Fleet {
  std::unique_ptr<Stack> stack;
  std::unique_ptr<consul::CurlTransport> transport;
  std::unique_ptr<consul::Client> consul;
  double failovers_after_promotion = -1;  // set by the primary case
};

StackOptions FleetOptions() {
  StackOptions o;
  o.shards = {kShard};
  o.replicas = 1;
  o.segments = {{0, 9999, kShard}};
  o.consul = true;
  o.agents = true;
  o.cluster = "failover";
  // A probe every 250 ms, fall 3 / rise 2 (the defaults): a dead node is critical in ~0.75 s.
  o.agent_args = {"--interval=250ms"};
  o.agents_passing_timeout = seconds(20);
  o.controller = true;
  return o;
}

Result<std::unique_ptr<Fleet>> StartFleet() {
  auto fleet = std::make_unique<Fleet>();
  ASSIGN_OR_RETURN(fleet->stack, Stack::Start(FleetOptions()));
  // A standby that lost its primary finishes a wal_retrieve_retry_interval (5 s) sleep before it
  // acts on a promote request; 100 ms keeps the promotion, and the test, short.
  for (PgNode* node : fleet->stack->Nodes()) {
    RETURN_IF_ERROR(node->Query("alter system set wal_retrieve_retry_interval = '100ms'").status());
    RETURN_IF_ERROR(node->Query("select pg_reload_conf()").status());
  }
  consul::ClientConfig config;
  config.address = fleet->stack->consul()->url();
  ASSIGN_OR_RETURN(fleet->transport,
                   consul::CurlTransport::Create({config.address, "", milliseconds(500)}));
  fleet->consul = std::make_unique<consul::Client>(*fleet->transport, config);
  return fleet;
}

// Started on first use; nullptr (after failing the calling case) when it could not start.
Fleet* TheFleet() {
  static std::unique_ptr<Fleet> fleet;
  static std::string failure;
  if (!fleet && failure.empty()) {
    auto started = StartFleet();
    if (started.ok()) {
      fleet = std::move(*started);
    } else {
      failure = started.status().ToString();
    }
  }
  if (!failure.empty()) FAIL_CHECK("the failover stack did not start: " << failure);
  return fleet.get();
}

// psql through HAProxy's `port` with shard_1's key: the first line psql printed, or an error
// with psql's stderr.
Result<std::string> Through(int port, const std::string& sql, milliseconds timeout = seconds(5)) {
  PsqlArgs args;
  args.port = port;
  args.options = kKeyOption;
  args.sql = sql;
  args.timeout = timeout;
  ASSIGN_OR_RETURN(CommandResult r, Psql(args));
  if (r.exit_code != 0) {
    return Unavailable("psql exited " + std::to_string(r.exit_code) + ": " + FirstLine(r.err));
  }
  return FirstLine(r.out);
}

// One statement on a new connection through HAProxy's `port` with shard_1's key, made
// in-process on the wire as libpq does it (SSLRequest first, as sslmode=prefer sends it): the
// first column of the first row, or the error. The loops use it rather than psql: on a busy
// 2-core machine, psql processes started every 100 ms pile up and their own start-up, not
// HAProxy, then sets how long a connection takes (single runs past 5 s were seen).
Result<std::string> WireQuery(int port, const std::string& sql) {
  SessionOptions options;
  options.ssl_request_first = true;
  ASSIGN_OR_RETURN(QueryReply reply,
                   ConnectAndQuery("127.0.0.1", port, KeyedParams("postgres", "postgres", 1), sql,
                                   options));
  if (reply.error) return Unavailable(reply.error->sqlstate + " " + reply.error->message);
  if (reply.rows.empty() || reply.rows[0].empty() || !reply.rows[0][0]) {
    return ProtocolError("no row from `" + sql + "`");
  }
  return *reply.rows[0][0];
}

std::string PortOf(const PgNode& node) { return std::to_string(node.port()); }

// The node's instance as Consul's health endpoint shows it; kNotFound when not registered.
Result<consul::ServiceEntry> InstanceOf(Fleet& fleet, const PgNode& node) {
  ASSIGN_OR_RETURN(auto entries, fleet.consul->HealthService(fleet.stack->consul_service(), false));
  std::string id = fleet.stack->Agent(node)->service_id();
  for (const consul::ServiceEntry& e : entries.value) {
    if (e.service.id == id) return e;
  }
  return NotFound(node.cluster_name() + " is not registered");
}

// Consul's verdict on an instance: the worst of its checks.
consul::CheckStatus WorstCheck(const consul::ServiceEntry& entry) {
  consul::CheckStatus worst = consul::CheckStatus::kPassing;
  for (const consul::HealthCheck& c : entry.checks) worst = std::max(worst, c.status);
  return worst;
}

bool HasStatus(Fleet& fleet, const PgNode& node, consul::CheckStatus status) {
  Result<consul::ServiceEntry> entry = InstanceOf(fleet, node);
  return entry.ok() && WorstCheck(*entry) == status;
}

// `show servers state` for one server; kNotFound when HAProxy has no such server.
Result<haproxy::ServerState> ServerIn(Stack& stack, const std::string& backend,
                                      const std::string& server) {
  haproxy::RuntimeClient client(stack.haproxy()->socket());
  ASSIGN_OR_RETURN(std::vector<haproxy::ServerState> states, client.ShowServersState(backend));
  for (const haproxy::ServerState& s : states) {
    if (s.server == server) return s;
  }
  return NotFound(backend + "/" + server + " is not in HAProxy");
}

bool InMaint(Stack& stack, const std::string& backend, const std::string& server) {
  Result<haproxy::ServerState> s = ServerIn(stack, backend, server);
  return s.ok() && s->admin_state.InMaintenance();
}

// When `condition` was first seen true, polling every 10 ms; nullopt after `timeout`.
template <typename F>
std::optional<Clock::time_point> SeenAt(F condition, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return Clock::now();
    std::this_thread::sleep_for(milliseconds(10));
  }
  return std::nullopt;
}

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

double MetricOr(ControllerProcess& controller, const std::string& name, double fallback) {
  Result<double> v = controller.Metric(name);
  return v.ok() ? *v : fallback;
}

std::string ValueOrError(const Result<std::string>& r) {
  return r.ok() ? *r : r.status().ToString();
}

// Connections made: how many, where they landed (server port -> count) and the distinct errors
// of those that failed.
struct Tally {
  int made = 0;
  int failed = 0;
  std::map<std::string, int> landed;
  std::set<std::string> errors;
};

// `detail`: where it landed when `ok`, else the error.
void Count(Tally& t, bool ok, const std::string& detail) {
  ++t.made;
  if (ok) {
    ++t.landed[detail];
    return;
  }
  ++t.failed;
  t.errors.insert(detail);
}

// The attempts that started in [from, to).
Tally TallyOf(const std::vector<Attempt>& attempts, Clock::time_point from, Clock::time_point to) {
  Tally t;
  for (const Attempt& a : attempts) {
    if (a.start >= from && a.start < to) Count(t, a.ok, a.detail);
  }
  return t;
}

std::string Describe(const Tally& t) {
  std::string out = std::to_string(t.made) + " made, " + std::to_string(t.failed) + " failed";
  for (const auto& [port, count] : t.landed) {
    out += ", " + std::to_string(count) + " on :" + port;
  }
  for (const std::string& e : t.errors) out += " [" + e + "]";
  return out;
}

// The moments of one replica outage, as the test saw them.
struct Outage {
  Clock::time_point began;      // the read loop started
  Clock::time_point stopped;    // pg_ctl stop was called
  Clock::time_point critical;   // Consul first showed the node critical
  Clock::time_point maint;      // HAProxy first showed it in maint in shard_1_ro
  Clock::time_point restarted;  // pg_ctl start was called
  Clock::time_point rejoined;   // a read had reached it again
  Clock::time_point ended;      // the read loop stopped
};

// Phase by phase: how many reads started in it, where they landed, how they failed.
std::string Describe(const std::vector<Attempt>& reads, const Outage& o) {
  return "reads through the ro port every 100 ms, started: before the stop: " +
         Describe(TallyOf(reads, o.began, o.stopped)) + "; from the stop to critical in Consul (" +
         std::to_string(MsBetween(o.stopped, o.critical)) +
         " ms): " + Describe(TallyOf(reads, o.stopped, o.critical)) +
         "; from critical to maint in shard_1_ro (" +
         std::to_string(MsBetween(o.critical, o.maint)) +
         " ms): " + Describe(TallyOf(reads, o.critical, o.maint)) +
         "; from maint to the restart: " + Describe(TallyOf(reads, o.maint, o.restarted)) +
         "; from the restart (a read on n2 again after " +
         std::to_string(MsBetween(o.restarted, o.rejoined)) +
         " ms): " + Describe(TallyOf(reads, o.restarted, o.ended));
}

// Stops `replica` while `reads` run and records when Consul and HAProxy showed it out; false
// (after failing the case) when one of them never did.
bool StopReplica(Fleet& fleet, PgNode& replica, const AttemptLoop& reads, Outage& o) {
  o.stopped = Clock::now();
  REQUIRE(replica.Stop().ok());
  auto critical = SeenAt([&] { return HasStatus(fleet, replica, consul::CheckStatus::kCritical); },
                         seconds(15));
  REQUIRE_MESSAGE(critical, "n2 is not critical in Consul 15 s after pg_ctl stop");
  o.critical = *critical;
  auto maint = SeenAt([&] { return InMaint(*fleet.stack, "shard_1_ro", "n2"); }, seconds(10));
  REQUIRE_MESSAGE(maint, "n2 is not in maint in shard_1_ro 10 s after it was critical");
  o.maint = *maint;
  // About two seconds of reads with the replica out.
  return Eventually([&] { return TallyOf(reads.Attempts(), o.maint, Clock::now()).made >= 20; },
                    seconds(10));
}

TEST_CASE(
    "a stopped replica leaves the read rotation: reads made every 100 ms succeed on the primary once it is critical, and it rejoins when started again") {
  Fleet* fleet = TheFleet();
  REQUIRE(fleet != nullptr);
  Stack& s = *fleet->stack;
  PgNode& primary = *s.Node(kShard, "n1");
  PgNode& replica = *s.Node(kShard, "n2");
  // Given reads go to the replica (the primary takes reads only when no replica can).
  REQUIRE(ValueOrError(Through(s.ro_port(), kServerPort)) == PortOf(replica));
  AttemptLoop reads([&] { return WireQuery(s.ro_port(), kServerPort); }, milliseconds(100),
                    /*overlap=*/true);
  Outage o;
  o.began = Clock::now();
  reads.Start();
  REQUIRE(Eventually([&] { return reads.Attempts().size() >= 3; }));

  // When the replica is stopped, then it goes critical in Consul and to maint in shard_1_ro.
  REQUIRE(StopReplica(*fleet, replica, reads, o));
  // When it is started again, then reads reach it again (psql too).
  o.restarted = Clock::now();
  REQUIRE(replica.Start().ok());
  bool back =
      Eventually([&] { return reads.FirstSuccessFrom(o.restarted, PortOf(replica)).has_value(); },
                 seconds(15));
  o.rejoined = Clock::now();
  REQUIRE(
      Eventually([&] { return TallyOf(reads.Attempts(), o.rejoined, Clock::now()).made >= 5; }));
  reads.Stop();
  o.ended = Clock::now();

  std::vector<Attempt> all = reads.Attempts();
  MESSAGE(Describe(all, o));
  // Reads that started before Consul had it critical may have gone to the stopping node: the
  // detection window. From then on every read succeeds.
  Tally after_critical = TallyOf(all, o.critical, o.ended);
  CHECK_MESSAGE(after_critical.failed == 0, "after n2 was critical: " << Describe(after_critical));
  // Reads made and answered while the replica was out were answered by the primary (one started
  // just before the restart may be answered after the rejoin).
  std::vector<Attempt> answered_while_out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(answered_while_out),
               [&](const Attempt& a) { return a.end < o.restarted; });
  Tally out_of_rotation = TallyOf(answered_while_out, o.maint, o.restarted);
  CHECK(out_of_rotation.made >= 10);
  CHECK(out_of_rotation.landed[PortOf(primary)] == out_of_rotation.made);
  CHECK(back);
  CHECK(ValueOrError(Through(s.ro_port(), kServerPort)) == PortOf(replica));
}

TEST_CASE(
    "a killed primary's writes go to the promoted replica through the rw port within seconds of the promotion") {
  Fleet* fleet = TheFleet();
  REQUIRE(fleet != nullptr);
  Stack& s = *fleet->stack;
  PgNode& old_primary = *s.Node(kShard, "n1");
  PgNode& replica = *s.Node(kShard, "n2");
  ControllerProcess& controller = *s.controller();
  // Given n1 takes the writes and n2 streams from it (also right after the replica case).
  REQUIRE(old_primary.pid() != 0);
  REQUIRE(replica.WaitForValue("select pg_is_in_recovery()", "t", seconds(30)).ok());
  REQUIRE(ValueOrError(Through(s.rw_port(),
                               "create table if not exists failover_writes (id bigserial primary "
                               "key, phase text not null); " +
                                   kServerPort)) == PortOf(old_primary));
  REQUIRE(replica
              .WaitForValue("select count(*) from pg_tables where tablename = 'failover_writes'",
                            "1", seconds(30))
              .ok());
  double failovers_before = MetricOr(controller, kFailoverMetric, -1);
  REQUIRE(failovers_before >= 0);

  // When the primary is killed and the replica promoted while a write starts every 20 ms.
  AttemptLoop writes([&] { return WireQuery(s.rw_port(), Insert("failover")); }, milliseconds(20),
                     /*overlap=*/true);
  writes.Start();
  Clock::time_point killed = Clock::now();
  REQUIRE(old_primary.Kill().ok());
  REQUIRE(replica.Promote().ok());
  Clock::time_point promoted = Clock::now();
  std::optional<Attempt> first;
  Eventually(
      [&] { return (first = writes.FirstSuccessFrom(promoted, PortOf(replica))).has_value(); },
      seconds(20));
  writes.Stop();

  // Then a write started after the promotion lands on the promoted node, within 5 s.
  std::optional<Attempt> last = writes.Last();
  REQUIRE_MESSAGE(first, "no write reached n2 in 20 s; last attempt: "
                             << (last ? last->detail : std::string("none")));
  long long promotion_to_write = MsBetween(promoted, first->end);
  MESSAGE("kill -> promotion returned "
          << MsBetween(killed, promoted)
          << " ms; promotion -> first write through the rw port on n2 " << promotion_to_write
          << " ms (kill -> write " << MsBetween(killed, first->end) << " ms)");
  CHECK(promotion_to_write <= 5000);
  // And psql through the rw port now reaches the promoted node, out of recovery.
  CHECK(ValueOrError(Through(s.rw_port(), kServerPort)) == PortOf(replica));
  CHECK(ValueOrError(Through(s.rw_port(), "select pg_is_in_recovery()")) == "f");
  fleet->failovers_after_promotion = MetricOr(controller, kFailoverMetric, -1);
  CHECK(fleet->failovers_after_promotion == failovers_before + 1);
}

// Waits until Consul shows `node` passing as a primary on timeline 1; false (with a message)
// when it does not within 15 s.
bool PublishedAsOldPrimary(Fleet& fleet, const PgNode& node) {
  Result<consul::ServiceEntry> entry = NotFound("not read yet");
  bool published = Eventually(
      [&] {
        entry = InstanceOf(fleet, node);
        return entry.ok() && WorstCheck(*entry) == consul::CheckStatus::kPassing &&
               entry->service.meta["role"] == "primary" && entry->service.meta["timeline"] == "1";
      },
      seconds(15));
  if (!published) {
    MESSAGE(node.cluster_name() << " in Consul: "
                                << (entry.ok() ? entry->service.meta["role"] + " on timeline " +
                                                     entry->service.meta["timeline"]
                                               : entry.status().ToString()));
  }
  return published;
}

// `count` psql writes through `port`, one after the other: where they landed.
Tally WritesThrough(int port, int count, const std::string& phase) {
  Tally t;
  for (int i = 0; i < count; ++i) {
    Result<std::string> r = Through(port, Insert(phase));
    Count(t, r.ok(), ValueOrError(r));
  }
  return t;
}

TEST_CASE(
    "the old primary started again on its old timeline is fenced: in maint in the rw backend, and every write lands on the new primary") {
  Fleet* fleet = TheFleet();
  REQUIRE(fleet != nullptr);
  REQUIRE_MESSAGE(fleet->failovers_after_promotion >= 0, "runs after the promotion case");
  Stack& s = *fleet->stack;
  PgNode& old_primary = *s.Node(kShard, "n1");
  PgNode& new_primary = *s.Node(kShard, "n2");
  ControllerProcess& controller = *s.controller();
  // Given the old primary starts from its data directory as the kill left it: a primary's
  // directory, without standby.signal, on timeline 1 while n2 writes on timeline 2.
  REQUIRE_FALSE(std::filesystem::exists(old_primary.data_dir() / "standby.signal"));
  REQUIRE(old_primary.Start().ok());
  CHECK(ValueOrError(old_primary.Query("select pg_is_in_recovery()")) == "f");
  CHECK(ValueOrError(old_primary.Query(kTimeline)) == "00000001");
  CHECK(ValueOrError(new_primary.Query(kTimeline)) == "00000002");

  // Then its agent publishes it as a primary on timeline 1 and the controller fences it.
  CHECK(PublishedAsOldPrimary(*fleet, old_primary));
  CHECK(Eventually([&] { return MetricOr(controller, kFencedMetric, -1) == 1; }));
  Result<haproxy::ServerState> fenced = ServerIn(s, "shard_1_rw", "n1");
  REQUIRE_MESSAGE(fenced.ok(), fenced.status().ToString());
  CHECK(fenced->admin_state.InMaintenance());
  Result<haproxy::ServerState> writer = ServerIn(s, "shard_1_rw", "n2");
  REQUIRE_MESSAGE(writer.ok(), writer.status().ToString());
  CHECK_FALSE(writer->admin_state.InMaintenance());

  // When 50 writes are made through the rw port, then all land on n2 and none on n1.
  Tally writes = WritesThrough(s.rw_port(), 50, "fenced");
  CHECK_MESSAGE(writes.landed[PortOf(new_primary)] == 50, Describe(writes));
  CHECK(ValueOrError(new_primary.Query(CountRows("fenced"))) == "50");
  CHECK(ValueOrError(old_primary.Query(CountRows("fenced"))) == "0");
  CHECK(MetricOr(controller, kFencedMetric, -1) == 1);
  CHECK(MetricOr(controller, kFailoverMetric, -1) == fleet->failovers_after_promotion);
  CHECK(fleet->failovers_after_promotion == 1);
}

}  // namespace
}  // namespace shardgate::harness
