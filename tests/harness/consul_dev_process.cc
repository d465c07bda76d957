// ConsulDev: start, readiness, stop and restart of shardgate-consul-dev (see the header).
#include "tests/harness/consul_dev_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

// Reads until EOF or the deadline; returns what arrived.
std::string ReadAll(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A socket connected to 127.0.0.1:port, or -1.
int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Ready when /v1/status/leader answers 200. With TLS (the harness has no TLS client) when the
// port accepts connections: the server listens only after its certificate and key loaded.
bool Answers(int port, bool tls) {
  if (tls) return TcpConnects(port);
  Result<int> status = HttpGetStatus(port, "/v1/status/leader", std::chrono::seconds(1));
  return status.ok() && *status == 200;
}

}  // namespace

Result<std::filesystem::path> ConsulDevBinary() {
  const char* dir = std::getenv("SHARDGATE_BINARY_DIR");
  if (dir == nullptr || *dir == '\0') return InvalidArgument("SHARDGATE_BINARY_DIR is not set");
  std::filesystem::path bin = std::filesystem::path(dir) / "dev" / "consul" /
                              "shardgate-consul-dev";
  if (!std::filesystem::exists(bin))
    return NotFound(bin.string() + " does not exist (build it first)");
  return bin;
}

Result<int> HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return Unavailable("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ssize_t sent = write(fd, request.data(), request.size());
  std::string reply = sent == static_cast<ssize_t>(request.size())
                          ? ReadAll(fd, std::chrono::steady_clock::now() + timeout)
                          : std::string();
  close(fd);
  // "HTTP/1.1 200 OK"
  if (reply.size() < 12 || reply.compare(0, 5, "HTTP/") != 0)
    return ProtocolError("no HTTP status line");
  return std::atoi(reply.substr(9, 3).c_str());
}

bool TcpConnects(int port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return false;
  close(fd);
  return true;
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
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->IsRunning()) return Unavailable("shardgate-consul-dev exited during start-up");
    if (Answers(options_.port, tls())) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Timeout("shardgate-consul-dev did not answer on " + url());
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
