// Consul watches feeding the reconciler (see watches.h).
#include "controller/watches.h"

#include <array>
#include <atomic>
#include <memory>

#include "common/log.h"

namespace shardgate::controller {
namespace {

// Logs the first error of a streak and then every tenth, so an outage is visible without
// flooding the log.
void LogWatchError(std::string_view watch, const Status& status, int streak) {
  if (streak != 1 && streak % 10 != 0) return;
  Log(LogLevel::kWarn, "consul_watch_failed",
      {{"watch", std::string(watch)},
       {"error", status.ToString()},
       {"consecutive_errors", std::to_string(streak)},
       {"effect", "HAProxy keeps its current state; retrying with backoff"}});
}

}  // namespace

consul::WatchOptions ConsulWatches::Options(Millis wait) {
  consul::WatchOptions o;
  o.wait = wait;
  o.rate_burst = 20;
  o.rate_interval = Millis(20);
  o.backoff_max = Millis(10000);
  return o;
}

void DeliverRules(const std::optional<consul::KvEntry>& entry, Reconciler& reconciler) {
  if (!entry) {
    reconciler.SetRules(std::nullopt);
    return;
  }
  Result<RuleSet> rules = DecodeRuleSet(entry->value);
  if (!rules.ok()) {
    reconciler.RejectRules(Annotate(rules.status(), entry->key));
    return;
  }
  reconciler.SetRules(std::move(*rules));
}

ConsulWatches::ConsulWatches(consul::Client& client, const Clock& clock, Sleeper& sleeper,
                             ControllerMetrics& metrics, Reconciler& reconciler,
                             WatchTargets targets) {
  // Consul is up when the last request of every watch succeeded.
  auto up = std::make_shared<std::array<std::atomic<bool>, 2>>();
  auto on_success = [&metrics, up](size_t watch) {
    return [&metrics, up, watch](const consul::QueryMeta&) {
      (*up)[watch] = true;
      metrics.SetConsulUp((*up)[0] && (*up)[1]);
      metrics.MarkConsulContact();
    };
  };
  auto on_error = [&metrics, up](size_t watch, std::string_view name) {
    return [&metrics, up, watch, name](const Status& status, int streak) {
      (*up)[watch] = false;
      metrics.SetConsulUp(false);
      metrics.CountConsulError(name);
      LogWatchError(name, status, streak);
    };
  };
  health_ = std::make_unique<consul::Watcher<std::vector<consul::ServiceEntry>>>(
      clock, sleeper, Options(targets.wait),
      consul::HealthQuery(client, targets.service, /*passing_only=*/false),
      consul::WatchCallbacks<std::vector<consul::ServiceEntry>>{
          [&reconciler](const std::vector<consul::ServiceEntry>& entries,
                        const consul::QueryMeta&) { reconciler.SetFleet(DecodeFleet(entries)); },
          on_error(0, "health"), on_success(0)});
  rules_ = std::make_unique<consul::Watcher<std::optional<consul::KvEntry>>>(
      clock, sleeper, Options(targets.wait), consul::KeyQuery(client, targets.rules_key),
      consul::WatchCallbacks<std::optional<consul::KvEntry>>{
          [&reconciler](const std::optional<consul::KvEntry>& entry, const consul::QueryMeta&) {
            DeliverRules(entry, reconciler);
          },
          on_error(1, "rules"), on_success(1)});
}

ConsulWatches::~ConsulWatches() { Stop(); }

void ConsulWatches::Start() {
  health_->Start();
  rules_->Start();
}

void ConsulWatches::Stop() {
  // Both at once: each may be blocked in a query for up to a second before it notices.
  health_->RequestStop();
  rules_->RequestStop();
  health_->Stop();
  rules_->Stop();
}

}  // namespace shardgate::controller
