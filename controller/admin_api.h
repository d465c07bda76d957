// The admin HTTP API (docs/admin-api.md): operators read and change the routing rules with curl.
// Changes are read-modify-write on the rules document in Consul KV with CAS, so any controller
// takes any write and concurrent writers never lose an acknowledged change.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/sleeper.h"
#include "consul/client.h"
#include "controller/admin_error.h"
#include "controller/admin_shards.h"
#include "controller/admin_tokens.h"
#include "controller/admin_wait.h"
#include "controller/desired_state.h"
#include "controller/http_server.h"
#include "controller/metrics.h"
#include "controller/rule_store.h"
#include "model/node_record.h"

namespace shardgate::controller {

struct AdminApiOptions {
  std::string cluster;
  std::string controller_id;
  TokenSet tokens;            // empty: no auth (then only loopback listeners, see config)
  int max_cas_attempts = 50;  // a change that loses this many CAS races in a row gives up
};

// What the API reads from the rest of the controller; every function is called on HTTP threads.
struct AdminApiSources {
  std::function<std::optional<std::vector<model::NodeRecord>>()> nodes;  // Reconciler::Nodes
  std::function<std::vector<DesiredShard>()> shards;                     // Reconciler::Shards
  std::function<std::vector<HaproxyServers>()> haproxy_servers;          // live, own HAProxys
};

// Thread-safety: the handlers run on many HTTP threads at once; everything they share is
// thread-safe (the store, the waiter, the metrics) or immutable.
class AdminApi {
 public:
  AdminApi(RuleStore& store, consul::Client& client, const Clock& clock, Sleeper& sleeper,
           ControllerMetrics& metrics, AdminApiOptions options, AdminApiSources sources);

  // Registers every /api/v1 route. REQUIRES: before server.Start().
  void Register(ControllerHttpServer& server);
  // The same routes on a bare route table, so tests dispatch requests without a socket.
  void Register(HttpRoutes& routes);

 private:
  struct Mutation;
  using MutationFn =
      std::function<std::variant<Mutation, AdminError>(const RuleSet& current, WallTime now)>;
  using Handler = std::function<HttpResponse(const HttpRequest&, const std::string& who)>;

  // Both Register overloads: `Routes` is ControllerHttpServer or HttpRoutes (same Handle calls).
  template <typename Routes>
  void RegisterOn(Routes& routes);

  // Authenticates, counts and answers errors in the API's envelope around `handler`.
  HttpHandler Guard(std::string route, bool mutating, Handler handler);
  // Load, apply `fn`, validate, commit with CAS (retried unless If-Match pins a version),
  // dry_run and wait=applied: the shared path of every change.
  HttpResponse Change(const HttpRequest& request, const std::string& who, MutationFn fn);

  HttpResponse GetMap(const HttpRequest& request);
  HttpResponse AddRule(const HttpRequest& request, const std::string& who);
  HttpResponse ReplaceRules(const HttpRequest& request, const std::string& who);
  HttpResponse RemoveRule(const HttpRequest& request, const std::string& who);
  HttpResponse Rollback(const HttpRequest& request, const std::string& who);
  HttpResponse Versions(const HttpRequest& request);
  HttpResponse Shards(const HttpRequest& request);

  // 409 unknown_shard / no_healthy_primary for targets Consul does not know or that have no
  // writer, unless `force`.
  std::optional<AdminError> CheckTargets(const std::vector<std::string>& shards, bool force) const;

  RuleStore& store_;
  const Clock& clock_;
  Sleeper& sleeper_;
  ControllerMetrics& metrics_;
  const AdminApiOptions options_;
  const AdminApiSources sources_;
  AppliedWaiter waiter_;
  std::mutex write_mu_;  // one change at a time through this controller (see Change)
};

}  // namespace shardgate::controller
