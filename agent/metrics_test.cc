// /metrics text.
#include "agent/metrics.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

TEST_CASE("metrics show probes, status, weight, lag and publishing figures") {
  BoardSnapshot s;
  s.state.status = Health::kWarning;
  s.state.role = Role::kReplica;
  s.state.weight = 64;
  s.state.lag_bytes = 4096;
  s.state.lag = Millis(1500);
  s.probe.probes = 12;
  s.probe.probe_failures = 2;
  s.probe.last_duration = Millis(3);
  s.publish.errors = 5;
  s.publish.consul_up = true;
  s.publish.last_success = WallTime(std::chrono::seconds(1700000000));
  std::string text = RenderMetrics(s);
  CHECK(
      text.find("# TYPE shardgate_agent_probes_total counter\nshardgate_agent_probes_total 12\n") !=
      std::string::npos);
  CHECK(text.find("shardgate_agent_probe_failures_total 2\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_probe_duration_seconds 0.003\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_status{status=\"warning\"} 1\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_status{status=\"passing\"} 0\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_role{role=\"replica\"} 1\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_weight 64\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_lag_bytes 4096\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_lag_seconds 1.5\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_publish_errors_total 5\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_consul_up 1\n") != std::string::npos);
  CHECK(text.find("shardgate_agent_last_publish_timestamp_seconds 1700000000\n") !=
        std::string::npos);
}

}  // namespace
}  // namespace shardgate::agent
