// Loopback TCP exchanges and HTTP/1.0 GETs for the harness (see the header).
#include "tests/harness/local_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace shardgate::harness {
namespace {

// A socket connected to 127.0.0.1:port, or -1.
int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF or the deadline; returns what arrived.
std::string ReadAll(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string out;
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
  return out;
}

}  // namespace

Result<std::string> LoopbackExchange(int port, const std::string& request,
                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = ConnectLoopback(port);
  if (fd < 0) return Unavailable("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  if (!request.empty() &&
      ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return Unavailable("write to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  std::string reply = ReadAll(fd, deadline);
  ::close(fd);
  return reply;
}

Result<HttpReply> HttpGet(int port, const std::string& path, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::string reply,
                   LoopbackExchange(port, "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                                    timeout));
  // "HTTP/1.1 200 OK\r\n"
  if (reply.size() < 12 || reply.compare(0, 5, "HTTP/") != 0) {
    return ProtocolError("GET " + path + " on 127.0.0.1:" + std::to_string(port) +
                         ": no HTTP status line");
  }
  HttpReply out;
  out.status = std::atoi(reply.substr(9, 3).c_str());
  size_t body = reply.find("\r\n\r\n");
  if (body != std::string::npos) out.body = reply.substr(body + 4);
  return out;
}

Result<int> HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(HttpReply reply, HttpGet(port, path, timeout));
  return reply.status;
}

Result<std::string> HttpGetOk(int port, const std::string& path,
                              std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(HttpReply reply, HttpGet(port, path, timeout));
  if (reply.status != 200) {
    return Unavailable("GET " + path + " on 127.0.0.1:" + std::to_string(port) + " answered " +
                       std::to_string(reply.status));
  }
  return std::move(reply.body);
}

bool TcpConnects(int port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Result<double> PrometheusValue(const std::string& text, const std::string& name) {
  const std::string needle = "\n" + name + " ";
  const std::string lines = "\n" + text;
  size_t at = lines.find(needle);
  if (at == std::string::npos) return NotFound("no metric " + name);
  return std::strtod(lines.c_str() + at + needle.size(), nullptr);
}

}  // namespace shardgate::harness
