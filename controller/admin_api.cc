// The admin API's handlers: auth, the read-modify-CAS change path, and the read endpoints
// (see admin_api.h; the contract is docs/admin-api.md and docs/openapi.yaml).
#include "controller/admin_api.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <random>
#include <set>

#include "common/log.h"
#include "controller/admin_json.h"
#include "controller/admin_request.h"
#include "controller/map_diff.h"
#include "controller/rule_ops.h"

namespace shardgate::controller {
namespace {

constexpr size_t kChangeCap = 1000;  // change entries in one answer; the count is always given

HttpResponse ErrorResponse(const AdminError& e) {
  HttpResponse r = JsonError(e.status, e.code, e.message, e.field);
  if (e.status == 401) r.headers["WWW-Authenticate"] = "Bearer";
  return r;
}

HttpResponse Json(int status, const nlohmann::json& body, std::optional<uint64_t> version) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (version) r.headers["ETag"] = "\"" + std::to_string(*version) + "\"";
  return r;
}

AdminError ConsulDown(const Status& s) {
  return {503, "consul_unavailable",
          "Consul cannot be reached or failed (" + s.ToString() + "); nothing was changed", ""};
}

std::optional<std::string> Header(const HttpRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  if (it == r.headers.end()) return std::nullopt;
  return it->second;
}

// The error of a Load: a head that does not decode is the store's fault, not Consul's reach.
AdminError LoadError(const Status& s) {
  if (s.code() == Code::kProtocol) {
    return {500, "internal", "the stored routing rules do not decode: " + s.message(), ""};
  }
  return ConsulDown(s);
}

}  // namespace

struct AdminApi::Mutation {
  RuleSet next;
  HistoryEntry entry;                              // version filled in by Change
  nlohmann::json body = nlohmann::json::object();  // the endpoint's own fields
  int status = 200;                                // on success without wait
  std::vector<std::string> targets;                // shards the change routes keys to
  bool force = false;
};

AdminApi::AdminApi(RuleStore& store, consul::Client& client, const Clock& clock, Sleeper& sleeper,
                   ControllerMetrics& metrics, AdminApiOptions options, AdminApiSources sources)
    : store_(store),
      clock_(clock),
      sleeper_(sleeper),
      metrics_(metrics),
      options_(std::move(options)),
      sources_(std::move(sources)),
      waiter_(client, clock, options_.cluster) {}

template <typename Routes>
void AdminApi::RegisterOn(Routes& routes) {
  const std::string map = "/api/v1/routing-map";
  routes.Handle("GET", map, Guard("GET " + map, false, [this](const HttpRequest& r, const auto&) {
                  return GetMap(r);
                }));
  routes.Handle("POST", map, Guard("POST " + map, true, [this](const auto& r, const auto& who) {
                  return AddRule(r, who);
                }));
  routes.Handle("PUT", map,
                Guard("PUT " + map, true,
                      [this](const auto& r, const auto& who) { return ReplaceRules(r, who); }),
                kMaxBulkBodyBytes);
  routes.HandlePrefix("DELETE", map + "/rules/",
                      Guard("DELETE " + map + "/rules/{id}", true,
                            [this](const auto& r, const auto& who) { return RemoveRule(r, who); }));
  routes.Handle("GET", map + "/versions",
                Guard("GET " + map + "/versions", false,
                      [this](const HttpRequest& r, const auto&) { return Versions(r); }));
  routes.Handle("POST", map + "/rollback",
                Guard("POST " + map + "/rollback", true,
                      [this](const auto& r, const auto& who) { return Rollback(r, who); }));
  routes.Handle("GET", "/api/v1/shards",
                Guard("GET /api/v1/shards", false,
                      [this](const HttpRequest& r, const auto&) { return Shards(r); }));
}

void AdminApi::Register(ControllerHttpServer& server) { RegisterOn(server); }

void AdminApi::Register(HttpRoutes& routes) { RegisterOn(routes); }

HttpHandler AdminApi::Guard(std::string route, bool mutating, Handler handler) {
  return [this, route = std::move(route), mutating,
          handler = std::move(handler)](const HttpRequest& request) {
    std::optional<HttpResponse> denied;
    std::string who = "anonymous";
    if (!options_.tokens.tokens.empty()) {
      std::optional<std::string> header = Header(request, "authorization");
      auto auth = Authorize(options_.tokens,
                            header ? std::optional<std::string_view>(*header) : std::nullopt,
                            mutating);
      if (!auth.ok()) {
        denied = ErrorResponse(auth.error());
      } else {
        who = *auth;
      }
    }
    HttpResponse response = denied ? std::move(*denied) : handler(request, who);
    metrics_.CountAdminRequest(route, response.status);
    if (mutating) {
      Log(response.status < 300   ? LogLevel::kInfo
          : response.status < 500 ? LogLevel::kWarn
                                  : LogLevel::kError,
          "admin_request",
          {{"route", route}, {"who", who}, {"status", std::to_string(response.status)}});
    }
    return response;
  };
}

std::optional<AdminError> AdminApi::CheckTargets(const std::vector<std::string>& targets,
                                                 bool force) const {
  if (force || targets.empty()) return std::nullopt;
  std::optional<std::vector<model::NodeRecord>> nodes = sources_.nodes();
  if (!nodes) {
    return AdminError{503, "consul_unavailable",
                      "the controller has not heard from Consul yet, so target shards cannot be "
                      "checked; retry, or pass \"force\": true",
                      ""};
  }
  std::set<std::string> known;
  for (const model::NodeRecord& n : *nodes) known.insert(n.shard);
  std::set<std::string> writable;
  for (const DesiredShard& d : sources_.shards()) {
    if (d.primary && d.write_block == WriteBlock::kNone) writable.insert(d.shard);
  }
  for (const std::string& shard : std::set<std::string>(targets.begin(), targets.end())) {
    if (!known.contains(shard)) {
      return AdminError{409, "unknown_shard",
                        "no node of shard \"" + shard + "\" is registered in Consul",
                        "target_backend"};
    }
    if (!writable.contains(shard)) {
      return AdminError{409, "no_healthy_primary",
                        "shard \"" + shard +
                            "\" has no healthy primary; pass \"force\": true to route to it anyway",
                        "target_backend"};
    }
  }
  return std::nullopt;
}

HttpResponse AdminApi::Change(const HttpRequest& request, const std::string& who, MutationFn fn) {
  auto query = ParseChangeQuery(request.query);
  if (!query.ok()) return ErrorResponse(query.error());
  auto if_match = ParseIfMatch(Header(request, "if-match"));
  if (!if_match.ok()) return ErrorResponse(if_match.error());
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    // Changes through this controller take turns, so only writers on other controllers can
    // make a CAS fail; the lock is not held while waiting for the fleet.
    std::unique_lock write_turn(write_mu_);
    Result<StoredRules> current = store_.Load();
    if (!current.ok()) return ErrorResponse(LoadError(current.status()));
    const RuleSet& cur = current->set;
    const bool pinned = if_match->kind == IfMatch::Kind::kVersion;
    if (pinned && if_match->version != cur.version) {
      return ErrorResponse({412, "version_mismatch",
                            "If-Match names version " + std::to_string(if_match->version) +
                                " but the rules are at version " + std::to_string(cur.version),
                            "If-Match"});
    }
    const WallTime now = clock_.WallNow();
    auto made = fn(cur, now);
    if (auto* e = std::get_if<AdminError>(&made)) return ErrorResponse(*e);
    Mutation& m = std::get<Mutation>(made);
    if (auto e = CheckTargets(m.targets, m.force)) return ErrorResponse(*e);
    std::vector<RangeChange> change = EffectiveChange(Flatten(cur.rules, now),
                                                      Flatten(m.next.rules, now));
    nlohmann::json body = std::move(m.body);
    body["change"] = ChangesJson(change, kChangeCap);
    body["change_count"] = change.size();
    body["change_truncated"] = change.size() > kChangeCap;
    body["dry_run"] = query->dry_run;
    if (query->dry_run) {
      // The answer the change would give; the ETag stays the version that is current.
      body["version"] = m.next.version;
      body["map_version"] = MapVersion(m.next, now);
      body["current_version"] = cur.version;
      return Json(200, body, cur.version);
    }
    // The parsers and rule ops keep every invariant; this check keeps a bug from reaching
    // every HAProxy of the fleet.
    if (Status valid = ValidateRuleSet(m.next); !valid.ok()) {
      return ErrorResponse(
          {500, "internal", "the changed rules do not validate: " + valid.message(), ""});
    }
    m.entry.version = m.next.version;
    m.entry.at = now;
    m.entry.who = who;
    m.entry.rule_count = m.next.rules.size();
    Status committed = store_.Commit(m.next, current->modify_index, m.entry);
    if (committed.code() == Code::kConflict) {
      if (pinned) {
        return ErrorResponse({412, "version_mismatch",
                              "the rules changed while this request was applied (If-Match " +
                                  std::to_string(if_match->version) + ")",
                              "If-Match"});
      }
      if (attempt >= options_.max_cas_attempts) {
        return ErrorResponse({503, "conflict_retries_exhausted",
                              "other writers changed the rules " + std::to_string(attempt) +
                                  " times in a row; nothing was changed, retry",
                              ""});
      }
      write_turn.unlock();
      metrics_.CountAdminCasRetry();
      // Jittered backoff so racing controllers do not collide in lockstep.
      sleeper_.SleepFor(
          Millis(std::uniform_int_distribution<int>(1, 5 * std::min(attempt, 10))(rng)), {});
      continue;
    }
    if (!committed.ok()) {
      // A transport failure does not say whether Consul applied the transaction.
      return ErrorResponse({503, "consul_unavailable",
                            "Consul did not confirm the write (" + committed.ToString() +
                                "); the change may or may not have been made: read "
                                "GET /api/v1/routing-map before retrying",
                            ""});
    }
    write_turn.unlock();
    body["version"] = m.next.version;
    body["map_version"] = MapVersion(m.next, now);
    int status = m.status;
    if (query->wait_applied) {
      const SteadyTime started = clock_.Now();
      Result<AppliedStatus> applied = waiter_.Wait(m.next.version, query->timeout);
      if (!applied.ok()) {
        body["applied"] = {{"done", false}, {"error", applied.status().ToString()}};
        status = 202;
      } else {
        body["applied"] = AppliedJson(*applied, MapVersion(m.next, clock_.WallNow()));
        if (applied->done) {
          metrics_.ObserveAdminApplied(
              std::chrono::duration<double>(clock_.Now() - started).count());
        } else {
          status = 202;
        }
      }
    }
    return Json(status, body, m.next.version);
  }
}

HttpResponse AdminApi::AddRule(const HttpRequest& request, const std::string& who) {
  if (auto e = CheckJsonContentType(Header(request, "content-type"))) return ErrorResponse(*e);
  auto input = ParseAddBody(request.body);
  if (!input.ok()) return ErrorResponse(input.error());
  return Change(
      request, who, [&](const RuleSet& cur, WallTime now) -> std::variant<Mutation, AdminError> {
        Mutation m;
        m.next = controller::AddRule(cur, *input, now, who);
        const RoutingRule& rule = m.next.rules.back();
        m.body["rule"] = RuleJson(rule);
        m.status = 201;
        m.targets = {input->shard};
        m.force = input->force;
        m.entry.action = "add";
        m.entry.reason = input->reason;
        m.entry.summary = "rule " + std::to_string(rule.id) + ": " + std::to_string(rule.lo) +
                          ".." + std::to_string(rule.hi) + " -> " + rule.shard +
                          (input->ttl_seconds ? " for " + std::to_string(*input->ttl_seconds) + " s"
                                              : std::string(", permanent"));
        return m;
      });
}

HttpResponse AdminApi::ReplaceRules(const HttpRequest& request, const std::string& who) {
  if (auto e = CheckJsonContentType(Header(request, "content-type"))) return ErrorResponse(*e);
  auto input = ParsePutBody(request.body);
  if (!input.ok()) return ErrorResponse(input.error());
  return Change(
      request, who, [&](const RuleSet& cur, WallTime now) -> std::variant<Mutation, AdminError> {
        Mutation m;
        m.next = controller::ReplaceRules(cur, input->rules, now, who);
        m.body["rule_count"] = m.next.rules.size();
        for (const RuleInput& r : input->rules) m.targets.push_back(r.shard);
        m.force = input->force;
        m.entry.action = "replace";
        m.entry.reason = input->reason;
        m.entry.summary = "all rules replaced: " + std::to_string(m.next.rules.size()) + " rules";
        return m;
      });
}

HttpResponse AdminApi::RemoveRule(const HttpRequest& request, const std::string& who) {
  const std::string prefix = "/api/v1/routing-map/rules/";
  const std::string id_text = request.path.substr(prefix.size());
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id == 0) {
    return ErrorResponse(
        {404, "unknown_rule", "\"" + id_text + "\" is not a rule id (a whole number > 0)", "id"});
  }
  return Change(
      request, who, [&](const RuleSet& cur, WallTime now) -> std::variant<Mutation, AdminError> {
        AdminResult<Deleted> deleted = controller::DeleteRule(cur, id, now);
        if (!deleted.ok()) return deleted.error();
        const RoutingRule& rule = deleted->rule;
        Mutation m;
        m.body["deleted"] = RuleJson(rule);
        m.next = std::move(deleted->next);
        m.entry.action = "delete";
        m.entry.summary = "rule " + std::to_string(id) + " deleted (" + std::to_string(rule.lo) +
                          ".." + std::to_string(rule.hi) + " -> " + rule.shard + ")";
        return m;
      });
}

HttpResponse AdminApi::Rollback(const HttpRequest& request, const std::string& who) {
  if (auto e = CheckJsonContentType(Header(request, "content-type"))) return ErrorResponse(*e);
  auto input = ParseRollbackBody(request.body);
  if (!input.ok()) return ErrorResponse(input.error());
  Result<std::optional<RuleSet>> old = store_.LoadVersion(input->version);
  if (!old.ok()) return ErrorResponse(LoadError(old.status()));
  if (!old->has_value()) {
    return ErrorResponse(
        {404, "unknown_version",
         "version " + std::to_string(input->version) +
             " is unknown or no longer kept (see GET /api/v1/routing-map/versions)",
         "version"});
  }
  const RuleSet& target = **old;
  return Change(request, who,
                [&](const RuleSet& cur, WallTime now) -> std::variant<Mutation, AdminError> {
                  Mutation m;
                  m.next = RollbackTo(cur, target, now);
                  m.body["restored_from"] = input->version;
                  m.body["rule_count"] = m.next.rules.size();
                  // An undo is never held back by shard health: it restores what ran before.
                  m.entry.action = "rollback";
                  m.entry.reason = input->reason;
                  m.entry.summary = "rules of version " + std::to_string(input->version) +
                                    " restored (" + std::to_string(m.next.rules.size()) + " rules)";
                  return m;
                });
}

HttpResponse AdminApi::GetMap(const HttpRequest&) {
  Result<StoredRules> current = store_.Load();
  if (!current.ok()) return ErrorResponse(LoadError(current.status()));
  const WallTime now = clock_.WallNow();
  const RuleSet& set = current->set;
  FlatMap flat = Flatten(set.rules, now);
  nlohmann::json rules = nlohmann::json::array();
  for (const RoutingRule& r : set.rules) {
    if (!Expired(r, now)) rules.push_back(RuleJson(r));
  }
  nlohmann::json body{{"version", set.version},
                      {"map_version", MapVersion(set, now)},
                      {"rules", std::move(rules)},
                      {"effective", EffectiveJson(flat)},
                      {"next_change", flat.next_change
                                          ? nlohmann::json(FormatTime(*flat.next_change))
                                          : nlohmann::json(nullptr)}};
  // Which HAProxys run this version: the answer a moment ago, without waiting.
  Result<AppliedStatus> fleet = waiter_.Wait(set.version, Millis(0));
  body["fleet"] = fleet.ok() ? AppliedJson(*fleet, MapVersion(set, now))
                             : nlohmann::json{{"error", fleet.status().ToString()}};
  return Json(200, body, set.version);
}

HttpResponse AdminApi::Versions(const HttpRequest& request) {
  auto limit = ParseLimit(request.query);
  if (!limit.ok()) return ErrorResponse(limit.error());
  Result<std::vector<HistoryEntry>> history = store_.History(*limit);
  if (!history.ok()) return ErrorResponse(LoadError(history.status()));
  nlohmann::json versions = nlohmann::json::array();
  for (const HistoryEntry& h : *history) {
    versions.push_back({{"version", h.version},
                        {"at", FormatTime(h.at)},
                        {"who", h.who},
                        {"action", h.action},
                        {"reason", h.reason},
                        {"summary", h.summary},
                        {"rule_count", h.rule_count},
                        {"restorable", h.restorable}});
  }
  return Json(200, {{"versions", std::move(versions)}}, std::nullopt);
}

HttpResponse AdminApi::Shards(const HttpRequest&) {
  return Json(200,
              ShardsJson(sources_.nodes(), sources_.shards(), options_.controller_id,
                         sources_.haproxy_servers()),
              std::nullopt);
}

}  // namespace shardgate::controller
