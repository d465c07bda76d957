// The controller's two Consul watches (blocking queries only): the cluster's service health and
// the rules key. Their answers go to the reconciler; their failures to metrics and logs.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/sleeper.h"
#include "consul/client.h"
#include "consul/watch.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/routing_rules.h"

namespace shardgate::controller {

struct WatchTargets {
  std::string service;  // "shardgate-<cluster>"
  std::string cluster;  // the rules head is RulesKey(cluster), its chunks under BlobsPrefix
  Millis wait{60000};   // longest time one blocking query is held
};

// What the rules watch delivers: the head key as read and, for a manifest head, the rule set its
// chunks hold or why they cannot be used.
struct RulesHead {
  std::optional<consul::KvEntry> entry;             // nullopt: no head key
  std::shared_ptr<const Result<RuleSet>> resolved;  // manifest heads only
  // Every write gives its chunks a fresh blob id, so equal heads stand for equal rules.
  bool operator==(const RulesHead& other) const { return entry == other.entry; }
};

// The rules watch's query: a blocking read of the head; a manifest head is resolved through its
// chunks (once per head, not on every wake-up). Consul failing while the chunks are fetched fails
// the query, so the watch retries with backoff; a missing or corrupt chunk is delivered in
// `resolved` for DeliverRules to reject. `client` must outlive the returned function, which must
// be called from one thread at a time.
consul::Watcher<RulesHead>::Fetch RulesHeadQuery(consul::Client& client, std::string cluster);

// Thread-safety: Start/Stop from one thread; the callbacks run on the watchers' threads.
class ConsulWatches {
 public:
  ConsulWatches(consul::Client& client, const Clock& clock, Sleeper& sleeper,
                ControllerMetrics& metrics, Reconciler& reconciler, WatchTargets targets);
  ~ConsulWatches();
  void Start();
  void Stop();

  // The options both watches run with: blocking queries of `wait`, and a rate limit that only
  // stops a spinning watch (20 at once, then 50 per second): a tighter one delays every change
  // once the service changes faster than the limit (at 10/s, each change waited ~100 ms).
  static consul::WatchOptions Options(Millis wait);

 private:
  std::unique_ptr<consul::Watcher<std::vector<consul::ServiceEntry>>> health_;
  std::unique_ptr<consul::Watcher<RulesHead>> rules_;
};

// Hands the rules head to the reconciler: no key -> SetRules(nullopt); an inline document that
// does not decode, or a manifest whose chunks are missing or corrupt -> RejectRules (the last
// good rules stay).
void DeliverRules(const RulesHead& head, Reconciler& reconciler);

}  // namespace shardgate::controller
