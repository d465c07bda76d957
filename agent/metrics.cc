// Prometheus text rendering: one HELP/TYPE block per metric, names prefixed shardgate_agent_.
#include "agent/metrics.h"

#include <cstdio>

namespace shardgate::agent {
namespace {

std::string Number(double v) {
  char buf[64];
  // Integral values (counters, timestamps in seconds) exactly; fractions with 6 digits.
  std::snprintf(buf, sizeof buf,
                v == static_cast<double>(static_cast<long long>(v)) ? "%.0f" : "%.6g", v);
  return buf;
}

void Metric(std::string& out, const char* name, const char* type, const char* help, double value,
            const std::string& labels = "") {
  out += std::string("# HELP shardgate_agent_") + name + " " + help + "\n";
  out += std::string("# TYPE shardgate_agent_") + name + " " + type + "\n";
  out += std::string("shardgate_agent_") + name + labels + " " + Number(value) + "\n";
}

void OneHot(std::string& out, const char* name, const char* help, const char* label,
            std::initializer_list<std::string_view> values, std::string_view current) {
  out += std::string("# HELP shardgate_agent_") + name + " " + help + "\n";
  out += std::string("# TYPE shardgate_agent_") + name + " gauge\n";
  for (std::string_view v : values) {
    out += std::string("shardgate_agent_") + name + "{" + label + "=\"" + std::string(v) + "\"} " +
           (v == current ? "1" : "0") + "\n";
  }
}

double Seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

std::string RenderMetrics(const BoardSnapshot& s) {
  std::string out;
  const NodeState& st = s.state;
  Metric(out, "probes_total", "counter", "Probes run.", static_cast<double>(s.probe.probes));
  Metric(out, "probe_failures_total", "counter", "Probes that failed (down, hung, error).",
         static_cast<double>(s.probe.probe_failures));
  Metric(out, "probe_duration_seconds", "gauge", "Duration of the last probe.",
         Seconds(s.probe.last_duration));
  OneHot(out, "status", "Published health status.", "status", {"passing", "warning", "critical"},
         HealthName(st.status));
  OneHot(out, "role", "Role seen by the last good probe.", "role",
         {"primary", "replica", "unknown"}, RoleName(st.role));
  Metric(out, "weight", "gauge", "Published weight (0..256).", st.weight);
  Metric(out, "timeline", "gauge", "PostgreSQL timeline.", static_cast<double>(st.timeline));
  Metric(out, "lag_bytes", "gauge", "Replication lag in bytes (0 on a primary).",
         static_cast<double>(st.lag_bytes));
  Metric(out, "lag_seconds", "gauge", "Replication lag in seconds (0 on a primary).",
         Seconds(st.lag));
  Metric(out, "backends", "gauge", "Client backends on the node.", s.probe.backends);
  Metric(out, "max_connections", "gauge", "max_connections of the node.", s.probe.max_connections);
  Metric(out, "draining", "gauge", "1 while Consul maintenance mode drains the node.",
         st.reason == "draining" ? 1 : 0);
  Metric(out, "publish_errors_total", "counter", "Consul requests that failed.",
         static_cast<double>(s.publish.errors));
  Metric(out, "consul_registrations_total", "counter", "Service registrations written.",
         static_cast<double>(s.publish.registrations));
  Metric(out, "consul_check_updates_total", "counter", "TTL check updates written.",
         static_cast<double>(s.publish.check_updates));
  Metric(out, "consul_up", "gauge", "1 when the last Consul exchange succeeded.",
         s.publish.consul_up ? 1 : 0);
  Metric(out, "last_publish_timestamp_seconds", "gauge",
         "Wall time of the last accepted Consul write.",
         static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                 s.publish.last_success.time_since_epoch())
                                 .count()));
  return out;
}

}  // namespace shardgate::agent
