// AgentProcess: spawn shardgate-agent, read its /metrics and agent-check replies.
#include "tests/harness/agent_process.h"

#include "model/node_record.h"
#include "tests/harness/local_http.h"
#include "tests/harness/ports.h"

namespace shardgate::harness {

Result<std::filesystem::path> AgentBinary() { return BuildBinary("agent/shardgate-agent"); }

std::string AgentConninfo(int pg_port) {
  return "host=127.0.0.1 port=" + std::to_string(pg_port) + " user=postgres dbname=postgres";
}

Result<std::unique_ptr<AgentProcess>> AgentProcess::Start(AgentProcessOptions options,
                                                          std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(auto bin, AgentBinary());
  std::unique_ptr<AgentProcess> agent(new AgentProcess(std::move(options)));
  ASSIGN_OR_RETURN(agent->metrics_port_, FreePort());
  ASSIGN_OR_RETURN(agent->agent_check_port_, FreePort());
  const AgentProcessOptions& o = agent->options_;
  ProcessOptions p;
  p.argv = {bin.string(),
            "--cluster=" + o.cluster,
            "--shard=" + o.shard,
            "--node=" + o.node,
            "--pg-conninfo=" + AgentConninfo(o.pg_port),
            "--port=" + std::to_string(o.pg_port),
            "--consul-address=" + o.consul_address,
            "--metrics-listen=127.0.0.1:" + std::to_string(agent->metrics_port_),
            "--agent-check-listen=127.0.0.1:" + std::to_string(agent->agent_check_port_)};
  p.argv.insert(p.argv.end(), o.extra_args.begin(), o.extra_args.end());
  p.env = o.env;
  p.log_path = o.log_path;
  ASSIGN_OR_RETURN(agent->process_, Process::Spawn(p));
  RETURN_IF_ERROR(agent->WaitForMetrics(timeout));
  return agent;
}

Status AgentProcess::WaitForMetrics(std::chrono::milliseconds timeout) {
  return WaitWhileRunning(*process_, "shardgate-agent", options_.log_path, timeout, [this] {
    return TcpConnects(metrics_port_)
               ? Status::Ok()
               : Unavailable("did not open /metrics on 127.0.0.1:" + std::to_string(metrics_port_));
  });
}

AgentProcess::~AgentProcess() {
  if (process_) (void)process_->Stop(std::chrono::seconds(5));
}

std::string AgentProcess::service_id() const {
  return model::ServiceId(options_.cluster, options_.shard, options_.node);
}

std::string AgentProcess::check_id() const { return model::CheckId(service_id()); }

Result<std::string> AgentProcess::Metrics() {
  return HttpGetOk(metrics_port_, "/metrics", std::chrono::seconds(2));
}

Result<double> AgentProcess::Metric(const std::string& name) {
  ASSIGN_OR_RETURN(auto text, Metrics());
  return PrometheusValue(text, name);
}

Result<std::string> AgentProcess::AgentCheck() {
  return LoopbackExchange(agent_check_port_, "", std::chrono::seconds(2));
}

}  // namespace shardgate::harness
