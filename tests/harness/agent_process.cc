// AgentProcess: spawn shardgate-agent, read its /metrics and agent-check replies.
#include "tests/harness/agent_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "model/node_record.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

// Connects to 127.0.0.1:port, sends `request` (may be empty) and reads until EOF or `timeout`.
Result<std::string> Exchange(int port, const std::string& request,
                             std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return Unavailable("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  if (!request.empty() &&
      ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return Unavailable("write failed");
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::filesystem::path> AgentBinary() {
  const char* dir = std::getenv("SHARDGATE_BINARY_DIR");
  if (dir == nullptr || *dir == '\0') return InvalidArgument("SHARDGATE_BINARY_DIR is not set");
  return std::filesystem::path(dir) / "agent" / "shardgate-agent";
}

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

// Polls the /metrics port in short steps so an agent that exits at once (bad configuration,
// exit code 2) is reported with its log instead of after the whole timeout.
Status AgentProcess::WaitForMetrics(std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kStep{100};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto step_end = std::min(deadline, std::chrono::steady_clock::now() + kStep);
    Status up = WaitForTcp("127.0.0.1", metrics_port_, step_end);
    if (up.ok()) return up;
    if (!process_->IsRunning()) {
      Result<int> code = process_->Wait(std::chrono::milliseconds(0));
      return Unavailable(
          "shardgate-agent exited during start-up (exit code " +
          std::to_string(code.ok() ? *code : -1) + ")" +
          (options_.log_path.empty() ? "" : ": " + TailOfFile(options_.log_path, 3)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Unavailable("shardgate-agent did not open /metrics: " + up.message());
    }
  }
}

AgentProcess::~AgentProcess() {
  if (process_) (void)process_->Stop(std::chrono::seconds(5));
}

std::string AgentProcess::service_id() const {
  return model::ServiceId(options_.cluster, options_.shard, options_.node);
}

std::string AgentProcess::check_id() const { return model::CheckId(service_id()); }

Result<std::string> AgentProcess::Metrics() {
  ASSIGN_OR_RETURN(auto reply,
                   Exchange(metrics_port_, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                            std::chrono::seconds(2)));
  size_t body = reply.find("\r\n\r\n");
  if (reply.compare(0, 12, "HTTP/1.1 200") != 0 || body == std::string::npos) {
    return ProtocolError("unexpected /metrics reply");
  }
  return reply.substr(body + 4);
}

Result<double> AgentProcess::Metric(const std::string& name) {
  ASSIGN_OR_RETURN(auto text, Metrics());
  std::string needle = "\n" + name + " ";
  size_t at = ("\n" + text).find(needle);
  if (at == std::string::npos) return NotFound("no metric " + name);
  return std::strtod(text.c_str() + at + name.size() + 1, nullptr);
}

Result<std::string> AgentProcess::AgentCheck() {
  return Exchange(agent_check_port_, "", std::chrono::seconds(2));
}

}  // namespace shardgate::harness
