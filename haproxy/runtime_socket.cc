// UnixRuntimeSocket and TcpRuntimeSocket: the stats socket's address, resolved for each
// connection; StatsConnection carries the commands.
#include "haproxy/runtime_socket.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace shardgate::haproxy {
namespace {

Result<Endpoint> UnixEndpoint(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("stats socket path '" + path + "' is empty or too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  Endpoint endpoint;
  std::memcpy(&endpoint.addr, &addr, sizeof(addr));
  endpoint.len = sizeof(addr);
  endpoint.family = AF_UNIX;
  return endpoint;
}

Result<Endpoint> TcpEndpoint(const std::string& host, int port, const std::string& peer) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) return Unavailable("resolve " + peer + ": " + gai_strerror(rc));
  Endpoint endpoint;
  std::memcpy(&endpoint.addr, found->ai_addr, found->ai_addrlen);
  endpoint.len = found->ai_addrlen;
  endpoint.family = found->ai_family;
  freeaddrinfo(found);
  return endpoint;
}

std::string TcpPeer(const std::string& host, int port) {
  return "stats socket " + host + ":" + std::to_string(port);
}

}  // namespace

UnixRuntimeSocket::UnixRuntimeSocket(std::string path, std::chrono::milliseconds timeout,
                                     ConnectionPolicy policy)
    : connection_([path] { return UnixEndpoint(path); }, "stats socket " + path, timeout, policy) {}

Result<std::string> UnixRuntimeSocket::Execute(std::string_view command) {
  return connection_.Execute(command);
}

TcpRuntimeSocket::TcpRuntimeSocket(std::string host, int port, std::chrono::milliseconds timeout,
                                   ConnectionPolicy policy)
    : connection_([host, port] { return TcpEndpoint(host, port, TcpPeer(host, port)); },
                  TcpPeer(host, port), timeout, policy) {}

Result<std::string> TcpRuntimeSocket::Execute(std::string_view command) {
  return connection_.Execute(command);
}

}  // namespace shardgate::haproxy
