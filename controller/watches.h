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

namespace shardgate::controller {

struct WatchTargets {
  std::string service;    // "shardgate-<cluster>"
  std::string rules_key;  // RulesKey(cluster)
  Millis wait{60000};     // longest time one blocking query is held
};

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
  std::unique_ptr<consul::Watcher<std::optional<consul::KvEntry>>> rules_;
};

// Decodes the rules key's value for the reconciler: no key -> SetRules(nullopt); a document
// that does not decode -> RejectRules (the last good rules stay).
void DeliverRules(const std::optional<consul::KvEntry>& entry, Reconciler& reconciler);

}  // namespace shardgate::controller
