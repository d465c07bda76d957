// ControllerProcess: spawn shardgate-controller, wait for /healthz and /readyz, read /metrics.
#include "tests/harness/controller_process.h"

#include "tests/harness/local_http.h"
#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

constexpr std::chrono::seconds kRequestTimeout{2};

// Ok when GET `path` answers 200; else an error naming what it answered.
Status Answers200(int port, const std::string& path) {
  Result<int> status = HttpGetStatus(port, path, kRequestTimeout);
  if (!status.ok()) return Unavailable("GET " + path + ": " + status.status().message());
  if (*status != 200) return Unavailable("GET " + path + " answered " + std::to_string(*status));
  return Status::Ok();
}

std::string JoinComma(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace

Result<std::filesystem::path> ControllerBinary() {
  return BuildBinary("controller/shardgate-controller");
}

Result<std::unique_ptr<ControllerProcess>> ControllerProcess::Start(
    ControllerProcessOptions options, std::chrono::milliseconds timeout) {
  if (options.haproxy_sockets.empty() || options.ranges_map.empty()) {
    return InvalidArgument("ControllerProcessOptions needs haproxy_sockets and ranges_map");
  }
  if (options.listen_port == 0) {
    ASSIGN_OR_RETURN(options.listen_port, FreePort());
  }
  std::unique_ptr<ControllerProcess> controller(new ControllerProcess(std::move(options)));
  RETURN_IF_ERROR(controller->Launch(timeout));
  return controller;
}

ControllerProcess::~ControllerProcess() { (void)Stop(std::chrono::seconds(5)); }

std::vector<std::string> ControllerProcess::Argv(const std::filesystem::path& binary) const {
  const ControllerProcessOptions& o = options_;
  std::vector<std::string> argv = {binary.string(), "--cluster=" + o.cluster,
                                   "--haproxy_sockets=" + JoinComma(o.haproxy_sockets),
                                   "--ranges_map=" + o.ranges_map.string(),
                                   "--listen=" + ListenList()};
  if (!o.consul_address.empty()) argv.push_back("--consul_address=" + o.consul_address);
  if (!o.shards_map.empty()) argv.push_back("--shards_map=" + o.shards_map.string());
  if (!o.controller_id.empty()) argv.push_back("--controller_id=" + o.controller_id);
  argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
  return argv;
}

std::string ControllerProcess::ListenList() const {
  std::string out = "127.0.0.1:" + std::to_string(options_.listen_port);
  for (int port : options_.extra_listen_ports) out += ",127.0.0.1:" + std::to_string(port);
  return out;
}

Status ControllerProcess::Launch(std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::filesystem::path bin, ControllerBinary());
  ProcessOptions p;
  p.argv = Argv(bin);
  p.env = options_.env;
  p.log_path = options_.log_path;
  ASSIGN_OR_RETURN(process_, Process::Spawn(p));
  return WaitWhileRunning(*process_, "shardgate-controller", options_.log_path, timeout,
                          [this] { return Answers200(options_.listen_port, "/healthz"); });
}

Status ControllerProcess::WaitReady(std::chrono::milliseconds timeout) {
  if (!process_) return Unavailable("shardgate-controller is not running");
  return WaitWhileRunning(*process_, "shardgate-controller", options_.log_path, timeout,
                          [this] { return Answers200(options_.listen_port, "/readyz"); });
}

Result<std::string> ControllerProcess::Metrics() {
  return HttpGetOk(options_.listen_port, "/metrics", kRequestTimeout);
}

Result<double> ControllerProcess::Metric(const std::string& name) {
  ASSIGN_OR_RETURN(std::string text, Metrics());
  return PrometheusValue(text, name);
}

std::string ControllerProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(options_.listen_port);
}

Status ControllerProcess::Signal(int sig) {
  if (!process_) return Unavailable("shardgate-controller is not running");
  return process_->Signal(sig);
}

Result<int> ControllerProcess::Wait(std::chrono::milliseconds timeout) {
  if (!process_) return Unavailable("shardgate-controller is not running");
  return process_->Wait(timeout);
}

Status ControllerProcess::Stop(std::chrono::milliseconds timeout) {
  if (!process_) return Status::Ok();
  Status st = process_->Stop(timeout);
  process_.reset();
  return st;
}

Status ControllerProcess::Restart(std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(Stop());
  return Launch(timeout);
}

}  // namespace shardgate::harness
