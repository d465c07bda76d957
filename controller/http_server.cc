// The httplib adapter: every request is turned into an HttpRequest and answered by HttpRoutes.
#include "controller/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace shardgate::controller {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpRequest FromHttplib(const httplib::Request& req, std::string body) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  out.body = std::move(body);
  out.remote_addr = req.remote_addr;
  for (const auto& [name, value] : req.headers) {
    auto [it, inserted] = out.headers.try_emplace(Lower(name), value);
    if (!inserted) it->second += ", " + value;
  }
  for (const auto& [name, value] : req.params) out.query[name] = value;
  return out;
}

void ToHttplib(const HttpResponse& response, httplib::Response& res) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name, value);
  res.set_content(response.body, response.content_type);
}

// Reads the body when the request announces one: a request with neither Content-Length nor
// Transfer-Encoding has none, where httplib's own reading would wait for the connection to close
// (`curl -X POST` without data). False when the body is too large or the read failed; httplib
// has then set `res.status` (413 or 400).
// A body over `limit` stops the read (false with `body` over the limit).
bool ReadBody(const httplib::Request& req, const httplib::ContentReader& reader, size_t limit,
              std::string& body) {
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return true;
  return reader([&body, limit](const char* data, size_t n) {
    body.append(data, std::min(n, limit + 1 - body.size()));
    return body.size() <= limit;
  });
}

// Every request, whatever its method and path, goes to `routes` (which must outlive `server`).
void InstallHandlers(httplib::Server& server, const HttpRoutes& routes) {
  server.set_payload_max_length(kMaxBulkBodyBytes);
  // wait=applied holds a request for up to a minute: room for many of them besides the scrapes.
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  // Only SO_REUSEADDR: httplib's default adds SO_REUSEPORT, with which a second controller on
  // the same port would share it silently instead of failing to start.
  server.set_socket_options([](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  auto without_body = [&routes](const httplib::Request& req, httplib::Response& res) {
    ToHttplib(routes.Dispatch(FromHttplib(req, "")), res);
  };
  auto with_body = [&routes](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    std::string body;
    const size_t limit = routes.BodyLimit(req.method, req.path);
    if (!ReadBody(req, reader, limit, body)) {
      if (body.size() > limit) return ToHttplib(BodyTooLarge(limit), res);
      return ToHttplib(res.status == 413
                           ? BodyTooLarge(kMaxBulkBodyBytes)
                           : JsonError(400, "bad_request", "cannot read the request body"),
                       res);
    }
    ToHttplib(routes.Dispatch(FromHttplib(req, std::move(body))), res);
  };
  server.Get(".*", without_body).Options(".*", without_body);
  server.Post(".*", with_body).Put(".*", with_body).Patch(".*", with_body);
  server.Delete(".*", with_body);
  // Answers httplib makes itself (a Content-Length over the limit, a malformed request) get a
  // JSON body like every other error.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    ToHttplib(res.status == 413
                  ? BodyTooLarge(kMaxBulkBodyBytes)
                  : JsonError(res.status, "bad_request",
                              "bad request (HTTP " + std::to_string(res.status) + ")"),
              res);
  });
}

}  // namespace

ControllerHttpServer::ControllerHttpServer(
    std::function<std::string()> render_metrics,
    std::function<std::optional<std::string>()> not_ready_reason) {
  AddHealthRoutes(routes_, std::move(render_metrics), std::move(not_ready_reason));
}

ControllerHttpServer::~ControllerHttpServer() { Stop(); }

namespace {

[[noreturn]] void AddedAfterStart(const std::string& method, const std::string& path) {
  std::fprintf(stderr, "ControllerHttpServer: %s %s added after Start\n", method.c_str(),
               path.c_str());
  std::abort();
}

}  // namespace

void ControllerHttpServer::Handle(std::string method, std::string path, HttpHandler handler,
                                  size_t max_body) {
  if (!listeners_.empty()) AddedAfterStart(method, path);
  routes_.Handle(std::move(method), std::move(path), std::move(handler), max_body);
}

void ControllerHttpServer::HandlePrefix(std::string method, std::string prefix,
                                        HttpHandler handler) {
  if (!listeners_.empty()) AddedAfterStart(method, prefix);
  routes_.HandlePrefix(std::move(method), std::move(prefix), std::move(handler));
}

Status ControllerHttpServer::Start(const std::string& host, int port) {
  auto l = std::make_unique<Listener>();
  l->server = std::make_unique<httplib::Server>();
  InstallHandlers(*l->server, routes_);
  l->port = port == 0 ? l->server->bind_to_any_port(host)
                      : (l->server->bind_to_port(host, port) ? port : -1);
  if (l->port <= 0) {
    return Unavailable("http: cannot listen on " + host + ":" + std::to_string(port));
  }
  Listener* raw = l.get();
  raw->thread = std::thread([raw] {
    raw->server->listen_after_bind();
    raw->serving_ended = true;
  });
  // httplib's stop() does nothing until the thread has entered its accept loop: a Stop() right
  // after Start() would be lost and the join would hang. Return only once it is serving.
  while (!raw->server->is_running() && !raw->serving_ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  listeners_.push_back(std::move(l));
  return Status::Ok();
}

void ControllerHttpServer::Stop() {
  for (auto& l : listeners_) l->server->stop();
  for (auto& l : listeners_) {
    if (l->thread.joinable()) l->thread.join();
  }
}

}  // namespace shardgate::controller
