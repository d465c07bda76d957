// RealSleeper and the query builders for the common watches.
#include "consul/watch.h"

#include <condition_variable>
#include <mutex>

namespace shardgate::consul {

bool RealSleeper::SleepFor(std::chrono::milliseconds duration, std::stop_token stop) {
  if (duration.count() <= 0) return !stop.stop_requested();
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

Watcher<std::optional<KvEntry>>::Fetch KeyQuery(Client& client, std::string key) {
  return [&client, key = std::move(key)](const QueryOptions& q) {
    return client.BlockingGet(key, q);
  };
}

Watcher<std::vector<KvEntry>>::Fetch PrefixQuery(Client& client, std::string prefix) {
  return [&client, prefix = std::move(prefix)](const QueryOptions& q) {
    return client.BlockingList(prefix, q);
  };
}

Watcher<std::vector<ServiceEntry>>::Fetch HealthQuery(Client& client, std::string service,
                                                      bool passing_only) {
  return [&client, service = std::move(service), passing_only](const QueryOptions& q) {
    return client.HealthService(service, passing_only, q);
  };
}

}  // namespace shardgate::consul
