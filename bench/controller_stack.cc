// Bench processes: timed HAProxy, shardgate-controller, server looks (see controller_stack.h).
#include "bench/controller_stack.h"

#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "common/file.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kHaproxyBinary = "/usr/sbin/haproxy";
constexpr milliseconds kSocketTimeout{2000};

Result<std::filesystem::path> ControllerBinary() {
  const char* dir = std::getenv("SHARDGATE_BINARY_DIR");
  if (dir == nullptr || *dir == '\0') return InvalidArgument("SHARDGATE_BINARY_DIR is not set");
  std::filesystem::path bin = std::filesystem::path(dir) / "controller" / "shardgate-controller";
  if (!std::filesystem::exists(bin)) return NotFound(bin.string() + " does not exist (build it)");
  return bin;
}

// Polls GET <path> on the controller's port until it answers 200 or `timeout` passes.
Status WaitFor200(int port, const std::string& path, milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    Result<int> status = harness::HttpGetStatus(port, path, milliseconds(1000));
    if (status.ok() && *status == 200) return Status::Ok();
    if (Clock::now() >= deadline) {
      return Timeout("controller " + path + " did not answer 200 within " +
                     std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
}

}  // namespace

Result<HaproxyLayout> MakeHaproxyLayout(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Unavailable("cannot create " + dir.string() + ": " + error.message());
  HaproxyLayout layout;
  layout.dir = dir;
  layout.socket_path = (dir / "haproxy.sock").string();
  layout.ranges_map = (dir / "shardgate_ranges.map").string();
  layout.cancel_map = (dir / "shardgate_cancel.map").string();
  ASSIGN_OR_RETURN(layout.rw_port, harness::FreePort());
  ASSIGN_OR_RETURN(layout.ro_port, harness::FreePort());
  return layout;
}

Result<std::string> RenderBenchConfig(const HaproxyLayout& layout,
                                      std::vector<haproxy::ShardSpec> shards) {
  haproxy::ConfigSpec spec;
  spec.rw_port = layout.rw_port;
  spec.ro_port = layout.ro_port;
  spec.socket_path = layout.socket_path;
  spec.lua_dir = (harness::SourceDir() / "lua").string();
  spec.ranges_map_path = layout.ranges_map;
  spec.cancel_map_path = layout.cancel_map;
  spec.shards = std::move(shards);
  RETURN_IF_ERROR(haproxy::ValidateConfigSpec(spec));
  return haproxy::RenderConfig(spec);
}

TimedHaproxy::TimedHaproxy(HaproxyLayout layout)
    : layout_(std::move(layout)), socket_(layout_.socket_path, kSocketTimeout), client_(socket_) {}

TimedHaproxy::~TimedHaproxy() {
  if (process_) (void)process_->Stop(std::chrono::seconds(5));
}

Status TimedHaproxy::WriteConfig(const std::string& config_text) {
  for (const std::string& map : {layout_.ranges_map, layout_.cancel_map}) {
    if (!std::filesystem::exists(map)) RETURN_IF_ERROR(WriteFile(map, ""));
  }
  return WriteFile(layout_.dir / "haproxy.cfg", config_text);
}

Result<std::chrono::nanoseconds> TimedHaproxy::Start(milliseconds timeout) {
  harness::ProcessOptions options;
  options.argv = {kHaproxyBinary, "-db", "-f", (layout_.dir / "haproxy.cfg").string()};
  options.log_path = layout_.dir / "haproxy.log";
  const Clock::time_point spawned = Clock::now();
  ASSIGN_OR_RETURN(process_, harness::Process::Spawn(options));
  while (true) {
    if (client_.ShowInfo().ok()) return Clock::now() - spawned;
    if (!process_->IsRunning()) {
      return Unavailable("haproxy exited during start-up; see " + options.log_path.string());
    }
    if (Clock::now() - spawned >= timeout) return Timeout("haproxy did not answer show info");
    std::this_thread::sleep_for(milliseconds(1));
  }
}

Status TimedHaproxy::Kill() {
  if (!process_) return Status::Ok();
  RETURN_IF_ERROR(process_->Signal(SIGKILL));
  Result<int> exited = process_->Wait(std::chrono::seconds(10));
  process_.reset();
  return exited.status();
}

Result<std::unique_ptr<ControllerProcess>> ControllerProcess::Start(const Options& options) {
  ASSIGN_OR_RETURN(std::filesystem::path binary, ControllerBinary());
  ASSIGN_OR_RETURN(int port, harness::FreePort());
  harness::ProcessOptions po;
  po.argv = {binary.string(),
             "--cluster=" + options.cluster,
             "--haproxy-sockets=" + options.haproxy->socket_path,
             "--ranges-map=" + options.haproxy->ranges_map,
             "--consul-address=http://" + options.consul_address,
             "--listen=127.0.0.1:" + std::to_string(port),
             "--controller-id=bench"};
  po.log_path = options.log_path;
  ASSIGN_OR_RETURN(auto process, harness::Process::Spawn(po));
  std::unique_ptr<ControllerProcess> controller(
      new ControllerProcess(std::move(process), port, options.log_path));
  RETURN_IF_ERROR(WaitFor200(port, "/healthz", milliseconds(10000)));
  return controller;
}

Status ControllerProcess::WaitReady(milliseconds timeout) {
  return WaitFor200(port_, "/readyz", timeout);
}

Result<std::string> ControllerProcess::Metrics() {
  httplib::Client http("127.0.0.1", port_);
  http.set_read_timeout(5);
  auto reply = http.Get("/metrics");
  if (!reply) return Unavailable("GET /metrics: " + httplib::to_string(reply.error()));
  if (reply->status != 200) return Unavailable("GET /metrics: " + std::to_string(reply->status));
  return reply->body;
}

Result<ServersLook> LookAtServers(haproxy::RuntimeClient& client, const std::string& backend) {
  ASSIGN_OR_RETURN(std::vector<haproxy::ServerState> states, client.ShowServersState(backend));
  ServersLook look;
  for (const haproxy::ServerState& s : states) {
    look[{s.backend, s.server}] = {s.admin_state.InMaintenance(), s.weight};
  }
  return look;
}

}  // namespace shardgate::bench
