// The single node's catalog: the node, its services and checks, and the per-service indexes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dev/consul/types.h"

namespace shardgate::consul::dev {

inline constexpr const char* kSerfHealth = "serfHealth";
// The service every Consul server puts in the catalog for itself (leader.go,
// reconcileMember): listed by catalog and health, not by the agent's own listings.
inline constexpr const char* kServerService = "consul";

// Plain value class, no locking: State serialises access. Writes take `idx`, the raft index
// they get if they change anything, and return whether they did.
class Catalog {
 public:
  // Registers the node (in `datacenter`), its passing serfHealth check and the server's `consul`
  // service at `idx`.
  void Init(std::string datacenter, std::string node_name, std::string node_id, uint64_t idx);

  const std::string& datacenter() const { return datacenter_; }
  const std::string& node_name() const { return node_name_; }
  const std::string& node_id() const { return node_id_; }
  uint64_t node_index() const { return node_index_; }
  // Services registered through the agent (not the server's own `consul` service).
  const std::map<std::string, Service>& services() const { return services_; }
  const Service& server_service() const { return server_service_; }
  const std::map<std::string, Check>& checks() const { return checks_; }
  const Service* FindService(const std::string& id) const;
  const Check* FindCheck(const std::string& id) const;

  // Adds or replaces a service. Checks that already exist keep their status and output (as the
  // agent keeps them across re-registration); with `replace_checks`, the service's checks not in
  // `checks` are removed and their IDs appended to `removed`.
  bool UpsertService(Service service, std::vector<Check> checks, bool replace_checks, uint64_t idx,
                     SteadyTime now, std::vector<std::string>* removed);
  // Removes a service and its checks (IDs appended to `removed`). False when unknown.
  bool RemoveService(const std::string& id, uint64_t idx, std::vector<std::string>* removed);
  // Adds or replaces one check (keeping status and output of an existing one).
  bool UpsertCheck(Check check, uint64_t idx, SteadyTime now);
  bool RemoveCheck(const std::string& id, uint64_t idx);
  // Sets status and output; re-arms the TTL timer. Returns whether anything visible changed.
  bool UpdateCheck(const std::string& id, const std::string& status, const std::string& output,
                   uint64_t idx, SteadyTime now);

  // A TTL check's deadline passed: critical, with Consul's expiry output. Returns whether the
  // check existed and had not expired already.
  bool ExpireTtlCheck(const std::string& id, uint64_t idx, SteadyTime now);

  // Per-service index: moves on any change to the service's instances, their
  // checks or the node's checks; for an unknown service the last deregistration index, or 1.
  uint64_t ServiceIndex(const std::string& name) const;
  // Index of the services table (catalog/services, agent listings).
  uint64_t ServicesIndex() const { return services_index_; }

  // Instances of `name`, the server's `consul` service included.
  std::vector<const Service*> InstancesOf(const std::string& name) const;
  // Node checks first, then the service's own checks, each sorted by ID.
  std::vector<const Check*> ChecksOf(const std::string& service_id) const;
  std::vector<const Check*> NodeChecks() const { return ChecksOf(""); }

 private:
  void Touch(const std::string& service_name, uint64_t idx);
  void TouchAll(uint64_t idx);
  // Inserts or updates a check's definition; returns whether it changed.
  bool PutCheck(Check check, uint64_t idx, SteadyTime now);

  std::string datacenter_;
  std::string node_name_;
  std::string node_id_;
  uint64_t node_index_ = 1;
  Service server_service_;
  std::map<std::string, Service> services_;  // by service ID
  std::map<std::string, Check> checks_;      // by check ID
  std::map<std::string, uint64_t> service_index_;
  uint64_t services_index_ = 1;
  uint64_t last_dereg_index_ = 1;
};

}  // namespace shardgate::consul::dev
