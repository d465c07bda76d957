// The controller's metrics: exact rendered lines for every family, escaping, staleness, forgetting.
#include "controller/metrics.h"

#include <doctest/doctest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "tests/fakes/fake_clock.h"

namespace shardgate::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool Has(const std::string& text, const std::string& lines) {
  return text.find(lines) != std::string::npos;
}

// The lines of `text` that start with `prefix`, in order.
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

TEST_CASE("every family is declared with HELP and TYPE in a fixed order before any value") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  const std::string text = metrics.Render();
  CHECK(LinesStartingWith(text, "# TYPE ") ==
        std::vector<std::string>{
            "# TYPE shardgate_controller_reconciles_total counter",
            "# TYPE shardgate_controller_runtime_commands_total counter",
            "# TYPE shardgate_controller_apply_seconds histogram",
            "# TYPE shardgate_reroute_seconds histogram",
            "# TYPE shardgate_backend_failover_total counter",
            "# TYPE shardgate_shard_writable gauge",
            "# TYPE shardgate_shard_write_blocked gauge",
            "# TYPE shardgate_fenced_primaries gauge",
            "# TYPE shardgate_consul_up gauge",
            "# TYPE shardgate_consul_staleness_seconds gauge",
            "# TYPE shardgate_consul_errors_total counter",
            "# TYPE shardgate_rules_rejected_total counter",
            "# TYPE shardgate_rules_version gauge",
            "# TYPE shardgate_admin_requests_total counter",
            "# TYPE shardgate_admin_cas_retries_total counter",
            "# TYPE shardgate_admin_applied_seconds histogram",
            "# TYPE shardgate_haproxy_up gauge",
            "# TYPE shardgate_haproxy_restarts_total counter",
            "# TYPE shardgate_map_version gauge",
            "# TYPE shardgate_applied_generation gauge",
        });
  CHECK(LinesStartingWith(text, "# HELP ").size() == 20);
  CHECK(Has(text, "# HELP shardgate_consul_up 1 when the last Consul request succeeded.\n"
                  "# TYPE shardgate_consul_up gauge\n"
                  "shardgate_consul_up 0\n"));
  CHECK(Has(text, "# TYPE shardgate_rules_rejected_total counter\n"
                  "shardgate_rules_rejected_total 0\n"));
  CHECK(LinesStartingWith(text, "shardgate_haproxy_up").empty());
}

TEST_CASE("reconciles and commands show both results from the first count, sorted by label") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.CountReconcile("lb2", true);
  metrics.CountReconcile("lb1", true);
  metrics.CountReconcile("lb1", true);
  metrics.CountReconcile("lb1", false);
  metrics.CountCommand("set_weight", true);
  metrics.CountCommand("add_server", false);
  const std::string text = metrics.Render();
  CHECK(Has(text, "# TYPE shardgate_controller_reconciles_total counter\n"
                  "shardgate_controller_reconciles_total{instance=\"lb1\",result=\"error\"} 1\n"
                  "shardgate_controller_reconciles_total{instance=\"lb1\",result=\"ok\"} 2\n"
                  "shardgate_controller_reconciles_total{instance=\"lb2\",result=\"error\"} 0\n"
                  "shardgate_controller_reconciles_total{instance=\"lb2\",result=\"ok\"} 1\n"
                  "# HELP"));
  CHECK(
      Has(text,
          "# TYPE shardgate_controller_runtime_commands_total counter\n"
          "shardgate_controller_runtime_commands_total{command=\"add_server\",result=\"error\"} 1\n"
          "shardgate_controller_runtime_commands_total{command=\"add_server\",result=\"ok\"} 0\n"
          "shardgate_controller_runtime_commands_total{command=\"set_weight\",result=\"error\"} 0\n"
          "shardgate_controller_runtime_commands_total{command=\"set_weight\",result=\"ok\"} 1\n"
          "# HELP"));
}

TEST_CASE("a writable shard shows writable 1, every block reason 0 and its fenced count") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetShardState("shard_1", "none", 1);
  metrics.CountFailover("shard_1");
  metrics.CountFailover("shard_1");
  const std::string text = metrics.Render();
  CHECK(Has(text, "# TYPE shardgate_backend_failover_total counter\n"
                  "shardgate_backend_failover_total{shard=\"shard_1\"} 2\n"));
  CHECK(Has(text, "# TYPE shardgate_shard_writable gauge\n"
                  "shardgate_shard_writable{shard=\"shard_1\"} 1\n"));
  CHECK(Has(text, "# TYPE shardgate_shard_write_blocked gauge\n"
                  "shardgate_shard_write_blocked{shard=\"shard_1\",reason=\"no_primary\"} 0\n"
                  "shardgate_shard_write_blocked{shard=\"shard_1\",reason=\"split_brain\"} 0\n"));
  CHECK(Has(text, "# TYPE shardgate_fenced_primaries gauge\n"
                  "shardgate_fenced_primaries{shard=\"shard_1\"} 1\n"));
}

TEST_CASE("a split brain makes the shard unwritable and sets only the split_brain series") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetShardState("shard_2", "no_primary", 0);
  metrics.SetShardState("shard_2", "split_brain", 2);
  const std::string text = metrics.Render();
  CHECK(Has(text, "shardgate_shard_writable{shard=\"shard_2\"} 0\n"));
  CHECK(Has(text, "shardgate_shard_write_blocked{shard=\"shard_2\",reason=\"no_primary\"} 0\n"
                  "shardgate_shard_write_blocked{shard=\"shard_2\",reason=\"split_brain\"} 1\n"));
  CHECK(Has(text, "shardgate_fenced_primaries{shard=\"shard_2\"} 2\n"));
}

TEST_CASE("a block reason this build does not know is shown as 1 beside the known ones") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetShardState("s", "read_only", 0);
  CHECK(LinesStartingWith(metrics.Render(), "shardgate_shard_write_blocked{") ==
        std::vector<std::string>{
            "shardgate_shard_write_blocked{shard=\"s\",reason=\"no_primary\"} 0",
            "shardgate_shard_write_blocked{shard=\"s\",reason=\"read_only\"} 1",
            "shardgate_shard_write_blocked{shard=\"s\",reason=\"split_brain\"} 0",
        });
}

TEST_CASE("ForgetShard removes every series of that shard and leaves the others") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetShardState("shard_1", "none", 0);
  metrics.SetShardState("shard_2", "split_brain", 2);
  metrics.CountFailover("shard_2");
  metrics.ForgetShard("shard_2");
  const std::string text = metrics.Render();
  CHECK_FALSE(Has(text, "shard_2"));
  CHECK(Has(text, "shardgate_shard_writable{shard=\"shard_1\"} 1\n"));
  CHECK(Has(text, "shardgate_backend_failover_total{shard=\"shard_1\"} 0\n"));
  // A shard that comes back starts afresh.
  metrics.CountFailover("shard_2");
  CHECK(Has(metrics.Render(), "shardgate_backend_failover_total{shard=\"shard_2\"} 1\n"));
}

TEST_CASE("label values are escaped: backslash, double quote and newline") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetInstanceUp("a\"b\\c\nd", true);
  CHECK(Has(metrics.Render(), "shardgate_haproxy_up{instance=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("Consul staleness is 0 while the watches succeed, else the time since the last answer") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  clock.Advance(milliseconds(2500));
  CHECK(Has(metrics.Render(), "shardgate_consul_staleness_seconds 2.5\n"));
  metrics.MarkConsulContact();
  metrics.SetConsulUp(true);
  clock.Advance(seconds(40));  // a blocking query held open: nothing changed, nothing stale
  CHECK(Has(metrics.Render(), "shardgate_consul_staleness_seconds 0\n"));
  metrics.SetConsulUp(false);
  clock.Advance(seconds(7));
  const std::string text = metrics.Render();
  CHECK(Has(text, "shardgate_consul_up 0\n"));
  CHECK(Has(text, "shardgate_consul_staleness_seconds 47\n"));
  CHECK(metrics.Snapshot().consul_staleness_seconds == 47.0);
}

TEST_CASE("Consul errors exist at 0 for the health and rules watches and count any watch") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.CountConsulError("rules");
  metrics.CountConsulError("kv_report");
  metrics.CountRulesRejected();
  metrics.SetRulesVersion(42);
  const std::string text = metrics.Render();
  CHECK(Has(text, "# TYPE shardgate_consul_errors_total counter\n"
                  "shardgate_consul_errors_total{watch=\"health\"} 0\n"
                  "shardgate_consul_errors_total{watch=\"kv_report\"} 1\n"
                  "shardgate_consul_errors_total{watch=\"rules\"} 1\n"));
  CHECK(Has(text, "shardgate_rules_rejected_total 1\n"));
  CHECK(Has(text, "shardgate_rules_version 42\n"));
}

TEST_CASE("instance gauges appear once set, and versions are exact above 2^53") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.SetInstanceUp("lb1", false);
  metrics.CountHaproxyRestart("lb1");
  metrics.SetMapVersion("lb1", (uint64_t{1} << 60) + 1);
  metrics.SetGeneration("lb2", 9);
  const std::string text = metrics.Render();
  CHECK(Has(text, "# TYPE shardgate_haproxy_up gauge\nshardgate_haproxy_up{instance=\"lb1\"} 0\n"
                  "# HELP"));
  CHECK(Has(text, "# TYPE shardgate_haproxy_restarts_total counter\n"
                  "shardgate_haproxy_restarts_total{instance=\"lb1\"} 1\n"
                  "shardgate_haproxy_restarts_total{instance=\"lb2\"} 0\n"));
  CHECK(Has(text, "# TYPE shardgate_map_version gauge\n"
                  "shardgate_map_version{instance=\"lb1\"} 1152921504606846977\n# HELP"));
  CHECK(Has(text, "# TYPE shardgate_applied_generation gauge\n"
                  "shardgate_applied_generation{instance=\"lb2\"} 9\n"));
  CHECK(text.ends_with("shardgate_applied_generation{instance=\"lb2\"} 9\n"));
}

TEST_CASE("admin requests are counted by route and status, with CAS retries and applied times") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.CountAdminRequest("POST /api/v1/routing-map", 201);
  metrics.CountAdminRequest("POST /api/v1/routing-map", 201);
  metrics.CountAdminRequest("POST /api/v1/routing-map", 400);
  metrics.CountAdminCasRetry();
  metrics.ObserveAdminApplied(0.004);
  const std::string text = metrics.Render();
  CHECK(Has(text,
            "shardgate_admin_requests_total{route=\"POST /api/v1/routing-map\",code=\"201\"} 2\n"
            "shardgate_admin_requests_total{route=\"POST /api/v1/routing-map\",code=\"400\"} 1\n"));
  CHECK(Has(text, "shardgate_admin_cas_retries_total 1\n"));
  CHECK(Has(text, "shardgate_admin_applied_seconds_count 1\n"));
}

TEST_CASE("reroute and apply histograms have the 1 ms .. 30 s buckets, sum and count") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  metrics.ObserveReroute(0.3);
  metrics.ObserveReroute(-0.02);  // clocks of two hosts disagree: counts as 0
  metrics.ObserveReroute(45);
  metrics.ObserveApply(0.004);
  const std::string text = metrics.Render();
  CHECK(Has(text, "# TYPE shardgate_reroute_seconds histogram\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.001\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.0025\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.005\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.01\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.025\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.05\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.1\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.25\"} 1\n"
                  "shardgate_reroute_seconds_bucket{le=\"0.5\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"1\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"2.5\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"5\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"10\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"30\"} 2\n"
                  "shardgate_reroute_seconds_bucket{le=\"+Inf\"} 3\n"
                  "shardgate_reroute_seconds_sum 45.3\n"
                  "shardgate_reroute_seconds_count 3\n"));
  CHECK(Has(text, "shardgate_controller_apply_seconds_bucket{le=\"0.0025\"} 0\n"
                  "shardgate_controller_apply_seconds_bucket{le=\"0.005\"} 1\n"));
  CHECK(Has(text, "shardgate_controller_apply_seconds_sum 0.004\n"
                  "shardgate_controller_apply_seconds_count 1\n"));
}

TEST_CASE("counts from several threads at once all add up") {
  testing::FakeClock clock;
  ControllerMetrics metrics(clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) {
        metrics.CountReconcile("lb1", true);
        metrics.ObserveApply(0.01);
        if (i % 100 == 0) (void)metrics.Render();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  MetricsSnapshot s = metrics.Snapshot();
  CHECK(s.instances.at("lb1").reconciles_ok == 4000);
  CHECK(s.apply.count() == 4000);
}

}  // namespace
}  // namespace shardgate::controller
