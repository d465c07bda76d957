// Free ports (bind to 0) and TCP readiness polling on 127.0.0.1.
#include "tests/harness/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace shardgate::harness {
namespace {

std::mutex g_mu;
std::set<int> g_handed_out;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Binds 127.0.0.1:port (0 = any); returns the bound port or -1. With `reuse_address` a port
// whose only users are TIME_WAIT connections counts as free, as it does for the servers we
// start (PostgreSQL, HAProxy, the Consul dev server all set SO_REUSEADDR); a listener still
// makes the bind fail.
int BindOnce(int port, bool reuse_address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int yes = 1;
  if (reuse_address) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr = Loopback(port);
  int bound = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

Result<int> FreePort() {
  constexpr int kAttempts = 50;
  std::lock_guard<std::mutex> lock(g_mu);
  for (int i = 0; i < kAttempts; ++i) {
    int port = BindOnce(0, /*reuse_address=*/false);
    if (port <= 0) return Unavailable(std::string("cannot bind 127.0.0.1:0: ") + strerror(errno));
    if (g_handed_out.insert(port).second) return port;
  }
  return Unavailable("no fresh free port after 50 attempts");
}

bool PortIsFree(int port) { return BindOnce(port, /*reuse_address=*/true) == port; }

void ReservePort(int port) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_handed_out.insert(port);
}

Result<int> PortOrFree(int port) {
  if (port == 0) return FreePort();
  ReservePort(port);
  return port;
}

Status WaitForTcp(const std::string& host, int port,
                  std::chrono::steady_clock::time_point deadline) {
  sockaddr_in addr = Loopback(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("not an IPv4 address: " + host);
  }
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Internal(std::string("socket: ") + strerror(errno));
    bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (connected) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Timeout(host + ":" + std::to_string(port) + " does not accept connections");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace shardgate::harness
