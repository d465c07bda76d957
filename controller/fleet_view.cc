// Fleet view: Consul health entries -> model::NodeRecord, skipping what does not decode.
#include "controller/fleet_view.h"

namespace shardgate::controller {
namespace {

// Consul's order of badness: critical > warning > passing.
int Badness(consul::CheckStatus status) {
  switch (status) {
    case consul::CheckStatus::kPassing: return 0;
    case consul::CheckStatus::kWarning: return 1;
    case consul::CheckStatus::kCritical: return 2;
  }
  return 2;
}

consul::CheckStatus Worst(const std::vector<consul::HealthCheck>& checks) {
  consul::CheckStatus worst = consul::CheckStatus::kPassing;
  for (const consul::HealthCheck& check : checks) {
    if (Badness(check.status) > Badness(worst)) worst = check.status;
  }
  return worst;
}

model::ServiceFields Fields(const consul::ServiceEntry& entry) {
  const consul::ServiceInstance& s = entry.service;
  model::ServiceFields fields;
  fields.service_id = s.id;
  fields.address = s.address.empty() ? entry.node_address : s.address;
  fields.port = s.port;
  fields.tags = s.tags;
  fields.meta = s.meta;
  fields.weight_passing = s.weights.passing;
  fields.weight_warning = s.weights.warning;
  fields.check_status = consul::CheckStatusName(Worst(entry.checks));
  return fields;
}

}  // namespace

FleetView DecodeFleet(const std::vector<consul::ServiceEntry>& entries) {
  FleetView view;
  for (const consul::ServiceEntry& entry : entries) {
    Result<model::NodeRecord> record = model::DecodeNodeRecord(Fields(entry));
    if (record.ok()) {
      view.nodes.push_back(std::move(*record));
    } else {
      view.skipped.push_back(record.status().message());
    }
  }
  return view;
}

}  // namespace shardgate::controller
