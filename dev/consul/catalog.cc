// Catalog semantics (see catalog.h).
#include "dev/consul/catalog.h"

#include <algorithm>
#include <utility>

namespace shardgate::consul::dev {
namespace {

bool SameService(Service a, const Service& b) {
  a.create_index = b.create_index;
  a.modify_index = b.modify_index;
  return a.id == b.id && a.name == b.name && a.tags == b.tags && a.address == b.address &&
         a.port == b.port && a.meta == b.meta &&
         a.tagged_addresses_json == b.tagged_addresses_json &&
         a.weight_passing == b.weight_passing && a.weight_warning == b.weight_warning &&
         a.enable_tag_override == b.enable_tag_override && a.kind == b.kind;
}

bool SameCheckDefinition(const Check& a, const Check& b) {
  return a.name == b.name && a.notes == b.notes && a.service_id == b.service_id &&
         a.service_name == b.service_name && a.type == b.type && a.ttl == b.ttl &&
         a.deregister_after == b.deregister_after;
}

}  // namespace

void Catalog::Init(std::string datacenter, std::string node_name, std::string node_id,
                   uint64_t idx) {
  datacenter_ = std::move(datacenter);
  node_name_ = std::move(node_name);
  node_id_ = std::move(node_id);
  node_index_ = idx;
  Check serf;
  serf.id = kSerfHealth;
  serf.name = "Serf Health Status";
  serf.status = kPassing;
  serf.output = "Agent alive and reachable";
  serf.create_index = serf.modify_index = idx;
  checks_[serf.id] = serf;
  // What a server registers for itself: port 8300 (server RPC), no address, no tags, the raft
  // and serf protocol meta (a real server adds its version and gRPC ports too).
  server_service_.id = server_service_.name = kServerService;
  server_service_.port = 8300;
  server_service_.meta = {{"non_voter", "false"},     {"raft_version", "3"},
                          {"read_replica", "false"},  {"serf_protocol_current", "2"},
                          {"serf_protocol_max", "5"}, {"serf_protocol_min", "1"}};
  server_service_.create_index = server_service_.modify_index = idx;
  service_index_[kServerService] = idx;
  services_index_ = idx;
}

const Service* Catalog::FindService(const std::string& id) const {
  auto it = services_.find(id);
  return it == services_.end() ? nullptr : &it->second;
}

const Check* Catalog::FindCheck(const std::string& id) const {
  auto it = checks_.find(id);
  return it == checks_.end() ? nullptr : &it->second;
}

void Catalog::Touch(const std::string& service_name, uint64_t idx) {
  service_index_[service_name] = idx;
  services_index_ = idx;
}

void Catalog::TouchAll(uint64_t idx) {
  for (auto& [name, index] : service_index_) index = idx;
  services_index_ = idx;
}

bool Catalog::PutCheck(Check check, uint64_t idx, SteadyTime now) {
  auto it = checks_.find(check.id);
  if (it != checks_.end()) {
    check.status = it->second.status;
    check.output = it->second.output;
    check.create_index = it->second.create_index;
    check.critical_since = it->second.critical_since;
    check.ttl_deadline = it->second.ttl_deadline;
    check.ttl_expired = it->second.ttl_expired;
    if (SameCheckDefinition(check, it->second)) return false;
  } else {
    check.create_index = idx;
    check.critical_since = now;
    if (check.ttl > Nanos(0)) check.ttl_deadline = now + check.ttl;
  }
  check.modify_index = idx;
  checks_[check.id] = std::move(check);
  return true;
}

bool Catalog::UpsertService(Service service, std::vector<Check> checks, bool replace_checks,
                            uint64_t idx, SteadyTime now, std::vector<std::string>* removed) {
  const std::string id = service.id;
  const std::string name = service.name;
  bool changed = false;
  auto old = services_.find(id);
  if (old == services_.end() || !SameService(service, old->second)) {
    if (old != services_.end() && old->second.name != name) Touch(old->second.name, idx);
    service.create_index = old == services_.end() ? idx : old->second.create_index;
    service.modify_index = idx;
    services_[id] = std::move(service);
    changed = true;
  }
  std::vector<std::string> wanted;
  for (Check& check : checks) {
    wanted.push_back(check.id);
    changed = PutCheck(std::move(check), idx, now) || changed;
  }
  if (replace_checks) {
    std::vector<std::string> stale;
    for (const auto& [cid, c] : checks_) {
      if (c.service_id == id && std::find(wanted.begin(), wanted.end(), cid) == wanted.end()) {
        stale.push_back(cid);
      }
    }
    for (const std::string& cid : stale) {
      checks_.erase(cid);
      removed->push_back(cid);
      changed = true;
    }
  }
  if (changed) Touch(name, idx);
  return changed;
}

bool Catalog::RemoveService(const std::string& id, uint64_t idx,
                            std::vector<std::string>* removed) {
  auto it = services_.find(id);
  if (it == services_.end()) return false;
  const std::string name = it->second.name;
  services_.erase(it);
  std::erase_if(checks_, [&](const auto& kv) {
    if (kv.second.service_id != id) return false;
    removed->push_back(kv.first);
    return true;
  });
  if (InstancesOf(name).empty()) {
    service_index_.erase(name);
    last_dereg_index_ = idx;
    services_index_ = idx;
  } else {
    Touch(name, idx);
  }
  return true;
}

bool Catalog::UpsertCheck(Check check, uint64_t idx, SteadyTime now) {
  const std::string service_name = check.service_name;
  if (!PutCheck(std::move(check), idx, now)) return false;
  if (service_name.empty()) {
    TouchAll(idx);
  } else {
    Touch(service_name, idx);
  }
  return true;
}

bool Catalog::RemoveCheck(const std::string& id, uint64_t idx) {
  auto it = checks_.find(id);
  if (it == checks_.end()) return false;
  const std::string service_name = it->second.service_name;
  checks_.erase(it);
  if (service_name.empty()) {
    TouchAll(idx);
  } else {
    Touch(service_name, idx);
  }
  return true;
}

bool Catalog::UpdateCheck(const std::string& id, const std::string& status,
                          const std::string& output, uint64_t idx, SteadyTime now) {
  auto it = checks_.find(id);
  if (it == checks_.end()) return false;
  Check& c = it->second;
  if (c.ttl > Nanos(0)) {
    c.ttl_deadline = now + c.ttl;
    c.ttl_expired = false;
  }
  if (c.status == status && c.output == output) return false;
  if (status == kCritical && c.status != kCritical) c.critical_since = now;
  c.status = status;
  c.output = output;
  c.modify_index = idx;
  if (c.service_name.empty()) {
    TouchAll(idx);
  } else {
    Touch(c.service_name, idx);
  }
  return true;
}

bool Catalog::ExpireTtlCheck(const std::string& id, uint64_t idx, SteadyTime now) {
  auto it = checks_.find(id);
  if (it == checks_.end() || it->second.ttl_expired) return false;
  Check& c = it->second;
  c.ttl_expired = true;
  if (c.status != kCritical) c.critical_since = now;
  c.status = kCritical;
  // CheckTTL.getExpiredOutput (agent/checks/check.go): the bare prefix when no output was
  // ever given.
  c.output = c.output.empty() ? "TTL expired"
                              : "TTL expired (last output before timeout follows): " + c.output;
  c.modify_index = idx;
  Touch(c.service_name, idx);
  return true;
}

uint64_t Catalog::ServiceIndex(const std::string& name) const {
  auto it = service_index_.find(name);
  return it != service_index_.end() ? it->second : std::max<uint64_t>(last_dereg_index_, 1);
}

std::vector<const Service*> Catalog::InstancesOf(const std::string& name) const {
  std::vector<const Service*> out;
  if (name == kServerService) out.push_back(&server_service_);
  for (const auto& [id, s] : services_) {
    if (s.name == name) out.push_back(&s);
  }
  return out;
}

std::vector<const Check*> Catalog::ChecksOf(const std::string& service_id) const {
  std::vector<const Check*> out;
  for (const auto& [id, c] : checks_) {
    if (c.service_id.empty()) out.push_back(&c);
  }
  if (service_id.empty()) return out;
  for (const auto& [id, c] : checks_) {
    if (c.service_id == service_id) out.push_back(&c);
  }
  return out;
}

}  // namespace shardgate::consul::dev
