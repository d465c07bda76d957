// The dev server's HTTP front: routing (404/405/OPTIONS), default headers, the thread pool
// that lets hundreds of blocking queries wait without starving other requests.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>

#include "common/status.h"
#include "consul/dev/http_api.h"
#include "consul/dev/state.h"

namespace shardgate::consul::dev {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8500;          // 0: pick a free port
  std::string acl_token;    // empty: ACLs disabled
  std::string node_name = "shardgate-dev";
  size_t threads = 512;     // each waiting blocking query holds one
  int listen_backlog = 1024;
};

// Thread-safety: Bind and Serve from one thread; Stop from any thread.
class Server {
 public:
  // `state` must outlive the server.
  Server(State& state, ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  // Wakes blocked queries and stops serving; Serve() then returns.
  void Stop();

 private:
  void Dispatch(const httplib::Request& req, httplib::Response& res);

  State& state_;
  ServerOptions options_;
  Api api_;
  httplib::Server http_;
  std::atomic<int> listen_fd_{-1};
};

}  // namespace shardgate::consul::dev
