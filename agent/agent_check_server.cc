// HAProxy agent-check responder (reply text is pure; the server is a tiny accept loop).
#include "agent/agent_check_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/log.h"

namespace shardgate::agent {

std::string AgentCheckReply(const NodeState& state) {
  std::string comment = " #" + state.reason + "\n";
  if (state.status == Health::kCritical) return "down" + comment;
  if (state.weight <= 0) return "drain" + comment;
  int pct = (state.weight * 100 + kMaxWeight - 1) / kMaxWeight;
  return "ready up " + std::to_string(pct) + "%" + comment;
}

Status AgentCheckServer::Start(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string where = host + ":" + std::to_string(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("agent-check address is not an IPv4 address: " + host);
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    std::string why = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return Unavailable("agent-check cannot listen on " + where + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::jthread([this](std::stop_token stop) { Serve(stop); });
  return Status::Ok();
}

void AgentCheckServer::Serve(std::stop_token stop) {
  while (!stop.stop_requested()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string reply = AgentCheckReply(board_.Snapshot().state);
    // HAProxy sends nothing (or its agent-send string); the reply does not depend on it.
    ssize_t sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0)
      Log(LogLevel::kDebug, "agent_check_send_failed", {{"error", std::strerror(errno)}});
    ::close(fd);
  }
}

void AgentCheckServer::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

}  // namespace shardgate::agent
