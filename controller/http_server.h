// ControllerHttpServer: the controller's HTTP listener (cpp-httplib on its own threads) that
// serves /metrics, /healthz, /readyz and the routes added with Handle().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "controller/http_routes.h"

namespace httplib {
class Server;
}

namespace shardgate::controller {

// Thread-safety: Handle, Start and Stop from one thread; handlers run on the server's threads,
// several at once.
class ControllerHttpServer {
 public:
  // GET /metrics answers `render_metrics()`; GET /readyz answers 503 with the reason while
  // `not_ready_reason()` returns one, else 200 "ready"; GET /healthz always 200 "ok". Both
  // functions are called on the server's threads.
  ControllerHttpServer(std::function<std::string()> render_metrics,
                       std::function<std::optional<std::string>()> not_ready_reason);
  ~ControllerHttpServer();
  ControllerHttpServer(const ControllerHttpServer&) = delete;
  ControllerHttpServer& operator=(const ControllerHttpServer&) = delete;

  // Adds a route: `method` on exactly `path` (see HttpRoutes::Handle).
  // REQUIRES: before Start(); each method and path once.
  void Handle(std::string method, std::string path, HttpHandler handler,
              size_t max_body = kMaxRequestBodyBytes);
  void HandlePrefix(std::string method, std::string prefix, HttpHandler handler);

  // Binds host:port (0 = a free port) and serves on a background thread. Called again, it adds
  // one more listener with the same routes (the demo serves 9640 and 8080). Errors: kUnavailable
  // naming the address when it cannot be bound (Start may then be tried again).
  Status Start(const std::string& host, int port);
  // The port the first listener bound (after a successful Start).
  int port() const { return listeners_.empty() ? 0 : listeners_.front()->port; }
  // Stops serving and joins the thread; requests in flight finish first. Idempotent.
  void Stop();

 private:
  struct Listener {
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
    std::atomic<bool> serving_ended{false};  // the serving thread left listen_after_bind
    int port = 0;
  };

  HttpRoutes routes_;
  std::vector<std::unique_ptr<Listener>> listeners_;
};

}  // namespace shardgate::controller
