// Patroni's health-check endpoints over cpp-httplib, answered from pg_is_in_recovery().
#include "bench/patroni_standin.h"

#include <httplib.h>

namespace shardgate::bench {
namespace {

bool IsPrimary(StandinRole role) { return role == StandinRole::kPrimary; }
bool IsReplica(StandinRole role) { return role == StandinRole::kReplica; }
bool IsReadable(StandinRole role) { return role != StandinRole::kUnreachable; }

std::string Body(StandinRole role) {
  switch (role) {
    case StandinRole::kPrimary: return R"({"state": "running", "role": "primary"})";
    case StandinRole::kReplica: return R"({"state": "running", "role": "replica"})";
    case StandinRole::kUnreachable: break;
  }
  return R"({"state": "unknown", "role": "unknown"})";
}

}  // namespace

PatroniStandin::PatroniStandin(int pg_port, std::chrono::milliseconds query_timeout)
    : query_timeout_(query_timeout),
      session_(
          clock_,
          "host=127.0.0.1 port=" + std::to_string(pg_port) +
              " user=postgres dbname=postgres sslmode=disable application_name=patroni-standin",
          query_timeout) {}

PatroniStandin::~PatroniStandin() { Stop(); }

Result<std::unique_ptr<PatroniStandin>> PatroniStandin::Start(
    int pg_port, std::chrono::milliseconds query_timeout) {
  std::unique_ptr<PatroniStandin> s(new PatroniStandin(pg_port, query_timeout));
  s->server_ = std::make_unique<httplib::Server>();
  for (const char* path : {"/", "/primary", "/master", "/leader", "/read-write"}) {
    s->Route(path, IsPrimary);
  }
  s->Route("/replica", IsReplica);
  s->Route("/read-only", IsReadable);
  s->port_ = s->server_->bind_to_any_port("127.0.0.1");
  if (s->port_ <= 0) {
    return Unavailable("Patroni stand-in for port " + std::to_string(pg_port) + " cannot listen");
  }
  s->thread_ = std::thread([server = s->server_.get()] { server->listen_after_bind(); });
  return s;
}

// GET (and HEAD, which cpp-httplib routes to the GET handler) and OPTIONS, as Patroni serves.
void PatroniStandin::Route(const std::string& path, bool (*healthy)(StandinRole)) {
  auto handler = [this, healthy](const httplib::Request&, httplib::Response& res) {
    StandinRole role = Probe();
    res.status = healthy(role) ? 200 : 503;
    res.set_content(Body(role), "application/json");
  };
  server_->Get(path, handler);
  server_->Options(path, handler);
}

StandinRole PatroniStandin::Probe() {
  std::lock_guard<std::mutex> lock(session_mu_);
  auto result = session_.Query("select pg_is_in_recovery()", clock_.Now() + query_timeout_);
  if (!result.ok() || result->rows.size() != 1 || result->rows[0].size() != 1 ||
      !result->rows[0][0].has_value()) {
    return StandinRole::kUnreachable;
  }
  return *result->rows[0][0] == "f" ? StandinRole::kPrimary : StandinRole::kReplica;
}

void PatroniStandin::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace shardgate::bench
