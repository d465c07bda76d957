// FakePgServer: a minimal PostgreSQL responder for benchmarks (see fake_pg_server.h).
#include "tests/harness/fake_pg_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {
namespace {

enum class Phase { kStartup, kReady };
enum class Next { kKeep, kTerminated, kCancelled, kRejected };

struct Connection {
  Phase phase = Phase::kStartup;
  std::string buffer;
};

// Writes the whole reply or reports failure; replies are tiny and the buffer is empty.
bool WriteAll(int fd, const std::string& bytes) {
  ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return n == static_cast<ssize_t>(bytes.size());
}

Next Reject(int fd, std::string_view message) {
  (void)WriteAll(fd, ErrorResponse("08P01", message));
  return Next::kRejected;
}

// Handles complete startup-phase packets at the front of the buffer.
Next HandleStartup(int fd, Connection& c, std::atomic<int32_t>& next_pid, bool* started) {
  while (c.phase == Phase::kStartup && c.buffer.size() >= 8) {
    int32_t length = ReadInt32(c.buffer, 0);
    if (length < 8 || static_cast<size_t>(length) > kMaxStartupPacketBytes) {
      return Reject(fd, "invalid length of startup packet");
    }
    if (c.buffer.size() < static_cast<size_t>(length)) return Next::kKeep;
    int32_t code = ReadInt32(c.buffer, 4);
    c.buffer.erase(0, static_cast<size_t>(length));
    if (code == kSslRequestCode || code == kGssEncRequestCode) {
      if (!WriteAll(fd, "N")) return Next::kRejected;
    } else if (code == kCancelRequestCode) {
      return Next::kCancelled;
    } else if ((code >> 16) == 3) {
      int32_t pid = next_pid.fetch_add(1, std::memory_order_relaxed);
      std::string reply = AuthenticationOk() + ParameterStatus("server_version", "15.0") +
                          BackendKeyData(pid, pid * 7919) + ReadyForQuery();
      if (!WriteAll(fd, reply)) return Next::kRejected;
      c.phase = Phase::kReady;
      *started = true;
    } else {
      return Reject(fd, "unsupported frontend protocol");
    }
  }
  return Next::kKeep;
}

// Handles complete typed messages after the startup.
Next HandleReady(int fd, Connection& c) {
  for (;;) {
    auto message = TakeMessage(c.buffer);
    if (!message.ok()) return Reject(fd, "invalid message length");
    if (!message->has_value()) return Next::kKeep;
    char type = (**message).type;
    if (type == 'X') return Next::kTerminated;  // Terminate
    if (type == 'Q') {                          // Query: EmptyQueryResponse + ReadyForQuery
      std::string reply = std::string("I\0\0\0\4", 5) + ReadyForQuery();
      if (!WriteAll(fd, reply)) return Next::kRejected;
    }
  }
}

// Reads what arrived on a client socket and answers every complete message in it.
Next ServeReadable(int fd, Connection& c, std::atomic<int32_t>& next_pid, bool* started) {
  char chunk[16384];
  ssize_t got = recv(fd, chunk, sizeof chunk, 0);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return Next::kKeep;
  if (got <= 0) return Next::kTerminated;  // peer closed or reset: nothing more to answer
  c.buffer.append(chunk, static_cast<size_t>(got));
  Next next = HandleStartup(fd, c, next_pid, started);
  if (next == Next::kKeep && c.phase == Phase::kReady) next = HandleReady(fd, c);
  return next;
}

void Listen(int* listen_fd, int* port, int wanted_port, Status* status) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(wanted_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
    *status = Unavailable(std::string("fake pg server bind/listen: ") + std::strerror(errno));
    close(fd);
    return;
  }
  socklen_t length = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  *listen_fd = fd;
  *port = ntohs(addr.sin_port);
}

}  // namespace

Result<std::unique_ptr<FakePgServer>> FakePgServer::Start(int threads, int port) {
  std::unique_ptr<FakePgServer> server(new FakePgServer());
  Status listening;
  Listen(&server->listen_fd_, &server->port_, port, &listening);
  RETURN_IF_ERROR(listening);
  server->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  for (int i = 0; i < std::max(threads, 1); ++i) {
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    // EPOLLEXCLUSIVE: one loop wakes per incoming connection instead of all of them.
    epoll_event listen_event{EPOLLIN | EPOLLEXCLUSIVE, {.fd = server->listen_fd_}};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, server->listen_fd_, &listen_event);
    epoll_event stop_event{EPOLLIN, {.fd = server->stop_fd_}};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, server->stop_fd_, &stop_event);
    server->epoll_fds_.push_back(epoll_fd);
  }
  for (int epoll_fd : server->epoll_fds_) {
    server->threads_.emplace_back([s = server.get(), epoll_fd] { s->Loop(epoll_fd); });
  }
  return server;
}

FakePgServer::~FakePgServer() { Stop(); }

void FakePgServer::Stop() {
  if (stop_fd_ < 0) return;
  uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  for (int fd : epoll_fds_) close(fd);
  epoll_fds_.clear();
  close(listen_fd_);
  close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
}

FakePgServer::Counters FakePgServer::counters() const {
  return {counters_.accepted.load(), counters_.startups.load(), counters_.cancels.load(),
          counters_.terminated.load(), counters_.rejected.load()};
}

void FakePgServer::Loop(int epoll_fd) {
  std::unordered_map<int, Connection> connections;
  epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        for (auto& [open_fd, unused] : connections) close(open_fd);
        return;
      }
      if (fd == listen_fd_) {
        for (;;) {
          int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          counters_.accepted.fetch_add(1, std::memory_order_relaxed);
          connections.emplace(client, Connection{});
          epoll_event event{EPOLLIN | EPOLLRDHUP, {.fd = client}};
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &event);
        }
        continue;
      }
      bool started = false;
      Next next = ServeReadable(fd, connections[fd], next_pid_, &started);
      if (started) counters_.startups.fetch_add(1, std::memory_order_relaxed);
      if (next == Next::kKeep) continue;
      if (next == Next::kTerminated) counters_.terminated.fetch_add(1, std::memory_order_relaxed);
      if (next == Next::kCancelled) counters_.cancels.fetch_add(1, std::memory_order_relaxed);
      if (next == Next::kRejected) counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
      connections.erase(fd);
    }
  }
}

}  // namespace shardgate::harness
