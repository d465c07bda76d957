// ConsulDev: start, readiness, stop and restart of shardgate-consul-dev (see the header).
#include "tests/harness/consul_dev_process.h"

#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

// Ready when /v1/status/leader answers 200. With TLS (the harness has no TLS client) when the
// port accepts connections: the server listens only after its certificate and key loaded.
bool Answers(int port, bool tls) {
  if (tls) return TcpConnects(port);
  Result<int> status = HttpGetStatus(port, "/v1/status/leader", std::chrono::seconds(1));
  return status.ok() && *status == 200;
}

}  // namespace

Result<std::filesystem::path> ConsulDevBinary() {
  return BuildBinary("dev/consul/shardgate-consul-dev");
}

Result<std::unique_ptr<ConsulDev>> ConsulDev::Start(ConsulDevOptions options,
                                                    std::chrono::milliseconds timeout) {
  if (options.port == 0) {
    ASSIGN_OR_RETURN(options.port, FreePort());
  }
  std::unique_ptr<ConsulDev> dev(new ConsulDev(std::move(options)));
  RETURN_IF_ERROR(dev->Launch(timeout));
  return dev;
}

ConsulDev::~ConsulDev() { (void)Stop(); }

Status ConsulDev::Launch(std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::filesystem::path bin, ConsulDevBinary());
  ProcessOptions p;
  p.argv = {bin.string(), "--port", std::to_string(options_.port)};
  if (!options_.acl_token_file.empty())
    p.argv.insert(p.argv.end(), {"--acl-token-file", options_.acl_token_file.string()});
  if (!options_.snapshot.empty())
    p.argv.insert(p.argv.end(), {"--snapshot", options_.snapshot.string()});
  if (!options_.node_name.empty()) p.argv.insert(p.argv.end(), {"--node", options_.node_name});
  if (!options_.deregister_critical_min.empty()) {
    p.argv.insert(p.argv.end(), {"--deregister-critical-min", options_.deregister_critical_min});
  }
  if (tls()) {
    p.argv.insert(p.argv.end(), {"--tls-cert", options_.tls_cert_file.string(), "--tls-key",
                                 options_.tls_key_file.string()});
  }
  p.log_path = options_.log_path;
  ASSIGN_OR_RETURN(process_, Process::Spawn(p));
  return WaitWhileRunning(*process_, "shardgate-consul-dev", options_.log_path, timeout, [this] {
    return Answers(options_.port, tls()) ? Status::Ok() : Unavailable("did not answer on " + url());
  });
}

Status ConsulDev::Stop() {
  if (!process_) return Status::Ok();
  Status st = process_->Stop(std::chrono::seconds(5));
  process_.reset();
  return st;
}

Status ConsulDev::Restart(std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(Stop());
  return Launch(timeout);
}

}  // namespace shardgate::harness
