// The query builders for the common watches.
#include "consul/watch.h"

namespace shardgate::consul {

Watcher<std::optional<KvEntry>>::Fetch KeyQuery(Client& client, std::string key) {
  return
      [&client, key = std::move(key)](const QueryOptions& q) { return client.BlockingGet(key, q); };
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
