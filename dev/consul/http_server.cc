// Routing table and server set-up (see http_server.h).
#include "dev/consul/http_server.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

#include "dev/consul/http_handlers.h"
#include "dev/consul/url_path.h"

namespace shardgate::consul::dev {
namespace {

struct Route {
  std::string_view path;
  bool prefix;  // Go ServeMux: a pattern ending in '/' matches the subtree
  std::string_view methods;
  Handler handler;
};

constexpr Route kRoutes[] = {
    {"/v1/kv/", true, "GET,PUT,DELETE", HandleKv},
    {"/v1/txn", false, "PUT", HandleTxn},
    {"/v1/session/create", false, "PUT", HandleSessionCreate},
    {"/v1/session/renew/", true, "PUT", HandleSessionRenew},
    {"/v1/session/destroy/", true, "PUT", HandleSessionDestroy},
    {"/v1/session/info/", true, "GET", HandleSessionInfo},
    {"/v1/session/list", false, "GET", HandleSessionList},
    {"/v1/session/node/", true, "GET", HandleSessionNode},
    {"/v1/agent/services", false, "GET", HandleAgentServices},
    {"/v1/agent/checks", false, "GET", HandleAgentChecks},
    {"/v1/agent/service/register", false, "PUT", HandleServiceRegister},
    {"/v1/agent/service/deregister/", true, "PUT", HandleServiceDeregister},
    {"/v1/agent/service/maintenance/", true, "PUT", HandleServiceMaintenance},
    {"/v1/agent/check/register", false, "PUT", HandleCheckRegister},
    {"/v1/agent/check/deregister/", true, "PUT", HandleCheckDeregister},
    {"/v1/agent/check/pass/", true, "PUT", HandleCheckPass},
    {"/v1/agent/check/warn/", true, "PUT", HandleCheckWarn},
    {"/v1/agent/check/fail/", true, "PUT", HandleCheckFail},
    {"/v1/agent/check/update/", true, "PUT", HandleCheckUpdate},
    {"/v1/health/service/", true, "GET", HandleHealthService},
    {"/v1/health/checks/", true, "GET", HandleHealthChecks},
    {"/v1/catalog/service/", true, "GET", HandleCatalogService},
    {"/v1/catalog/services", false, "GET", HandleCatalogServices},
    {"/v1/status/leader", false, "GET", HandleStatusLeader},
    {"/v1/status/peers", false, "GET", HandleStatusPeers},
};

// Bodies above this are refused by httplib with a bare 413; KV and txn limits (512 KiB) are
// checked by the handlers, which answer with Consul's texts.
constexpr size_t kMaxPayload = 16 * 1024 * 1024;

const Route* FindRoute(const std::string& path) {
  for (const Route& r : kRoutes) {
    if (r.prefix ? path.starts_with(r.path) : path == r.path) return &r;
  }
  return nullptr;
}

bool MethodAllowed(std::string_view methods, const std::string& method) {
  size_t start = 0;
  while (start <= methods.size()) {
    size_t end = methods.find(',', start);
    if (end == std::string_view::npos) end = methods.size();
    if (methods.substr(start, end - start) == method) return true;
    start = end + 1;
  }
  return false;
}

// OpenSSL's reason for the last failure on this thread, e.g. "PEM routines::no start line" or
// "x509 certificate routines::key values mismatch"; clears the thread's error queue.
std::string OpenSslReason() {
  unsigned long code = ERR_peek_last_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

// A plain HTTP server, or an HTTPS one when a certificate and key are configured. httplib's
// SSLServer only reports validity, so OpenSSL's error queue supplies the reason.
Result<std::unique_ptr<httplib::Server>> MakeHttpServer(const ServerOptions& options) {
  const std::string& cert = options.tls_cert_file;
  const std::string& key = options.tls_key_file;
  if (cert.empty() && key.empty()) return std::make_unique<httplib::Server>();
  if (cert.empty() || key.empty()) return InvalidArgument("--tls-cert and --tls-key go together");
  // OpenSSL reports a missing file as "system lib": name the file instead.
  if (::access(cert.c_str(), R_OK) != 0) return InvalidArgument("--tls-cert: cannot read " + cert);
  if (::access(key.c_str(), R_OK) != 0) return InvalidArgument("--tls-key: cannot read " + key);
  ERR_clear_error();
  auto server = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  if (!server->is_valid()) {
    return InvalidArgument("--tls-cert " + cert + " / --tls-key " + key +
                           ": cannot load certificate and key: " + OpenSslReason());
  }
  return std::unique_ptr<httplib::Server>(std::move(server));
}

// Go's ServeMux redirect (http.Redirect): 301 to the cleaned path with the query kept; GET
// and HEAD get an HTML content type, GET also a one-line link body.
void RedirectToCleanPath(const httplib::Request& req, httplib::Response& res,
                         const std::string& clean) {
  std::string location = EscapePath(clean);
  if (const size_t q = req.target.find('?'); q != std::string::npos) {
    location += req.target.substr(q);
  }
  res.status = 301;
  res.set_header("Location", location);
  if (req.method == "GET") {
    res.set_content("<a href=\"" + location + "\">Moved Permanently</a>.\n\n",
                    "text/html; charset=utf-8");
  } else if (req.method == "HEAD") {
    res.set_header("Content-Type", "text/html; charset=utf-8");
  }
}

}  // namespace

Server::Server(State& state, ServerOptions options)
    : state_(state),
      options_(std::move(options)),
      api_{state_, options_.acl_token, options_.bind + ":8300", options_.node_name,
           options_.datacenter} {}

Result<int> Server::Bind() {
  ASSIGN_OR_RETURN(http_, MakeHttpServer(options_));
  Install(*http_);
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.bind);
    if (port <= 0) return Unavailable("cannot bind " + options_.bind + ":0");
  } else if (!http_->bind_to_port(options_.bind, port)) {
    return Unavailable("cannot bind " + options_.bind + ":" + std::to_string(port));
  }
  // httplib listens with a backlog of 5; hundreds of clients connecting at once (blocking
  // watchers after a restart) would see SYN drops and 1s retransmits. Linux lets us raise it.
  if (listen_fd_ >= 0) ::listen(listen_fd_, options_.listen_backlog);
  return port;
}

void Server::Install(httplib::Server& http) {
  const size_t threads = options_.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_keep_alive_max_count(1000);
  // Replies go out in several writes; without TCP_NODELAY each reply on a reused connection
  // waits ~40 ms for the client's delayed ACK. Real Consul (Go) sets TCP_NODELAY by default.
  http.set_tcp_nodelay(true);
  // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let a second
  // server share the port silently instead of failing to bind.
  http.set_socket_options([this](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = fd;
  });
  http.set_payload_max_length(kMaxPayload);
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res);
  };
  // Methods that may carry a body use content-reader handlers: httplib would otherwise wait
  // for a body that a request without Content-Length (`curl -X PUT`) never sends, and answer
  // 400 after its read timeout. Such a request has an empty body, as in Go's server.
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    httplib::Request full = req;
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
      reader([&full](const char* data, size_t n) {
        full.body.append(data, n);
        return true;
      });
    }
    Dispatch(full, res);
  };
  http.Get(".*", dispatch).Options(".*", dispatch);
  http.Put(".*", with_body).Post(".*", with_body).Delete(".*", with_body).Patch(".*", with_body);
}

void Server::Serve() { http_->listen_after_bind(); }

void Server::Stop() {
  state_.Shutdown();
  if (http_) http_->stop();
}

void Server::Dispatch(const httplib::Request& req, httplib::Response& res) {
  // Consul's mux and its wrappers answer these three before any endpoint, without the
  // headers that endpoints set (agent/http.go: handler and Index).
  if (!PathIsPrintable(req.path)) {
    res.status = 400;
    return;
  }
  if (const std::string clean = CleanPath(req.path); clean != req.path) {
    return RedirectToCleanPath(req, res, clean);
  }
  const Route* route = FindRoute(req.path);
  if (route == nullptr && FindRoute(req.path + "/") != nullptr) {
    // ServeMux: "/v1/kv" redirects to the registered subtree "/v1/kv/".
    return RedirectToCleanPath(req, res, req.path + "/");
  }
  if (route == nullptr) {
    res.status = 404;
    res.set_content(req.path.find("/v1/") != std::string::npos
                        ? "Invalid URL path: not a recognized HTTP API endpoint\n"
                        : "Invalid URL path: if attempting to use the HTTP API, ensure the path "
                          "starts with '/v1/'\n",
                    "text/plain; charset=utf-8");
    return;
  }
  res.set_header("X-Consul-Default-ACL-Policy", options_.acl_token.empty() ? "allow" : "deny");
  const std::string allow = "OPTIONS," + std::string(route->methods);
  if (req.method == "OPTIONS") {
    res.set_header("Allow", allow);
    res.status = 200;
    return;
  }
  if (!MethodAllowed(route->methods, req.method)) {
    res.set_header("Allow", allow);
    return ReplyText(res, 405, "method " + req.method + " not allowed");
  }
  const std::string rest = route->prefix ? req.path.substr(route->path.size()) : std::string();
  route->handler(api_, req, res, rest);
}

}  // namespace shardgate::consul::dev
