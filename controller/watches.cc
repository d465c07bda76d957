// Consul watches feeding the reconciler (see watches.h).
#include "controller/watches.h"

#include <array>
#include <atomic>
#include <memory>

#include "common/log.h"
#include "controller/kv_layout.h"
#include "controller/rule_blob.h"
#include "controller/rule_store.h"

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

consul::Watcher<RulesHead>::Fetch RulesHeadQuery(consul::Client& client, std::string cluster) {
  auto last = std::make_shared<RulesHead>();  // the last manifest head resolved
  return [&client, cluster = std::move(cluster),
          last](const consul::QueryOptions& q) -> Result<consul::Queried<RulesHead>> {
    ASSIGN_OR_RETURN(consul::Queried<std::optional<consul::KvEntry>> got,
                     client.BlockingGet(RulesKey(cluster), q));
    RulesHead head{std::move(got.value), nullptr};
    if (!head.entry || !IsManifest(head.entry->value)) {
      return consul::Queried<RulesHead>{std::move(head), got.meta};
    }
    if (head == *last) return consul::Queried<RulesHead>{*last, got.meta};
    Result<RuleSet> rules = ResolveRulesHead(client, cluster, head.entry->value);
    if (rules.status().code() == Code::kUnavailable) return rules.status();
    head.resolved = std::make_shared<const Result<RuleSet>>(std::move(rules));
    *last = head;
    return consul::Queried<RulesHead>{std::move(head), got.meta};
  };
}

void DeliverRules(const RulesHead& head, Reconciler& reconciler) {
  if (!head.entry) {
    reconciler.SetRules(std::nullopt);
    return;
  }
  Result<RuleSet> rules = head.resolved
                              ? *head.resolved
                              : Annotate(DecodeRuleSet(head.entry->value), head.entry->key);
  if (!rules.ok()) {
    reconciler.RejectRules(rules.status());
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
  rules_ = std::make_unique<consul::Watcher<RulesHead>>(
      clock, sleeper, Options(targets.wait), RulesHeadQuery(client, targets.cluster),
      consul::WatchCallbacks<RulesHead>{[&reconciler](const RulesHead& head,
                                                      const consul::QueryMeta&) {
                                          DeliverRules(head, reconciler);
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
