// HAProxy process lifecycle: config on disk, foreground run, readiness via stats socket and ports.
#include "tests/harness/haproxy_process.h"

#include <thread>

#include "common/file.h"
#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

constexpr const char* kHaproxyBinary = "/usr/sbin/haproxy";
constexpr auto kSocketTimeout = std::chrono::seconds(5);
constexpr int kLogTailLines = 30;

}  // namespace

HaproxyProcess::HaproxyProcess(HaproxyOptions options)
    : options_(std::move(options)), socket_(options_.socket_path, kSocketTimeout) {}

HaproxyProcess::~HaproxyProcess() { (void)Stop(); }

Result<std::unique_ptr<HaproxyProcess>> HaproxyProcess::Start(HaproxyOptions options) {
  if (options.dir.empty() || options.socket_path.empty()) {
    return InvalidArgument("HaproxyOptions needs dir and socket_path");
  }
  std::unique_ptr<HaproxyProcess> hp(new HaproxyProcess(std::move(options)));
  RETURN_IF_ERROR(WriteFile(hp->config_path(), hp->options_.config_text));
  for (const auto& [path, content] : hp->options_.files) {
    RETURN_IF_ERROR(WriteFile(path, content));
  }
  RETURN_IF_ERROR(hp->Launch());
  return hp;
}

Status HaproxyProcess::Launch() {
  ProcessOptions po;
  po.argv = {kHaproxyBinary, "-db", "-f", config_path().string()};
  po.env = options_.env;
  po.log_path = log_path();
  ASSIGN_OR_RETURN(process_, Process::Spawn(po));
  Status st = WaitReady();
  if (!st.ok()) {
    (void)Stop();
    return Status(st.code(), st.message() + "\n--- haproxy log tail (" + log_path().string() +
                                 ") ---\n" + TailOfFile(log_path(), kLogTailLines));
  }
  return Status::Ok();
}

Status HaproxyProcess::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (true) {
    if (!process_->IsRunning()) return Unavailable("haproxy exited during start-up");
    Result<std::string> info = socket_.Execute("show info");
    if (info.ok() && info->find("Pid:") != std::string::npos) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Timeout("haproxy stats socket " + options_.socket_path + " did not answer show info");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int port : options_.tcp_ports) {
    RETURN_IF_ERROR(WaitForTcp("127.0.0.1", port, deadline));
  }
  return Status::Ok();
}

Result<std::string> HaproxyProcess::Runtime(std::string_view command) {
  return socket_.Execute(command);
}

std::string HaproxyProcess::LogText() const {
  Result<std::string> text = ReadFile(log_path());
  return text.ok() ? *text : "";
}

Status HaproxyProcess::Stop(std::chrono::milliseconds timeout) {
  if (!process_) return Status::Ok();
  Status st = process_->Stop(timeout);
  process_.reset();
  return st;
}

Status HaproxyProcess::Restart() {
  RETURN_IF_ERROR(Stop());
  return Launch();
}

bool HaproxyProcess::IsRunning() { return process_ && process_->IsRunning(); }

}  // namespace shardgate::harness
