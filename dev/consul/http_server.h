// The dev server's HTTP front: routing (404/405/OPTIONS), default headers, the thread pool
// that lets hundreds of blocking queries wait without starving other requests.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "dev/consul/http_api.h"
#include "dev/consul/state.h"

namespace shardgate::consul::dev {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8500;        // 0: pick a free port
  std::string acl_token;  // empty: ACLs disabled
  std::string node_name = "shardgate-dev";
  std::string datacenter = "dc1";  // lower case; ?dc naming any other gets 500
  size_t threads = 512;            // each waiting blocking query holds one
  int listen_backlog = 1024;
  // PEM files; both set: serve HTTPS only (as real Consul with an HTTPS port), neither: HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Thread-safety: Bind and Serve from one thread; Stop from any thread once Bind has returned.
class Server {
 public:
  // `state` must outlive the server.
  Server(State& state, ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS certificate and key (when set) and binds the listening socket; returns the
  // port (useful with port 0). Errors: kInvalidArgument when the certificate or key cannot be
  // loaded (the message names the flag, the file and OpenSSL's reason), kUnavailable when the
  // address cannot be bound.
  Result<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  // Wakes blocked queries and stops serving; Serve() then returns.
  void Stop();

 private:
  // Thread pool, socket options and the catch-all handlers that lead to Dispatch.
  void Install(httplib::Server& http);
  void Dispatch(const httplib::Request& req, httplib::Response& res);

  State& state_;
  ServerOptions options_;
  Api api_;
  // httplib::Server, or httplib::SSLServer with TLS; made by Bind() because loading the
  // certificate can fail.
  std::unique_ptr<httplib::Server> http_;
  std::atomic<int> listen_fd_{-1};
};

}  // namespace shardgate::consul::dev
