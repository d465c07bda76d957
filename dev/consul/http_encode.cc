// Response encoders (see http_encode.h).
#include "dev/consul/http_encode.h"

#include "common/base64.h"

namespace shardgate::consul::dev {
namespace {

Json Strings(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

Json StringMap(const std::map<std::string, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

Json Weights(const Service& s) {
  return Json{{"Passing", s.weight_passing}, {"Warning", s.weight_warning}};
}

Json TaggedAddresses(const Service& s) {
  if (s.tagged_addresses_json.empty()) return Json::object();
  return Json::parse(s.tagged_addresses_json);
}

Json NodeTaggedAddresses() {
  return Json{{"lan", kNodeAddress},
              {"lan_ipv4", kNodeAddress},
              {"wan", kNodeAddress},
              {"wan_ipv4", kNodeAddress}};
}

Json NodeMeta() { return Json{{"consul-network-segment", ""}}; }

}  // namespace

Json EncodeKvEntry(const KvEntry& e, bool with_value) {
  Json j;
  j["LockIndex"] = e.lock_index;
  j["Key"] = e.key;
  j["Flags"] = e.flags;
  j["Value"] = with_value && !e.value.empty() ? Json(Base64Encode(e.value)) : Json(nullptr);
  if (!e.session.empty()) j["Session"] = e.session;
  j["CreateIndex"] = e.create_index;
  j["ModifyIndex"] = e.modify_index;
  return j;
}

Json EncodeSession(const Session& s) {
  Json j;
  j["ID"] = s.id;
  j["Name"] = s.name;
  j["Node"] = s.node;
  j["LockDelay"] = s.lock_delay.count();
  j["Behavior"] = s.behavior == Behavior::kDelete ? "delete" : "release";
  j["TTL"] = s.ttl_text;
  j["NodeChecks"] = Strings(s.node_checks);
  Json service_checks = nullptr;
  for (const std::string& id : s.service_checks) {
    service_checks.push_back(Json{{"ID", id}, {"Namespace", ""}});
  }
  j["ServiceChecks"] = service_checks;
  j["CreateIndex"] = s.create_index;
  j["ModifyIndex"] = s.modify_index;
  return j;
}

Json EncodeCheck(const Catalog& catalog, const Check& c) {
  std::vector<std::string> tags;
  if (const Service* s = catalog.FindService(c.service_id)) tags = s->tags;
  Json j;
  j["Node"] = catalog.node_name();
  j["CheckID"] = c.id;
  j["Name"] = c.name;
  j["Status"] = c.status;
  j["Notes"] = c.notes;
  j["Output"] = c.output;
  j["ServiceID"] = c.service_id;
  j["ServiceName"] = c.service_name;
  j["ServiceTags"] = Strings(tags);
  j["Type"] = c.type;
  j["Interval"] = "";
  j["Timeout"] = "";
  j["ExposedPort"] = 0;
  j["Definition"] = Json::object();
  j["CreateIndex"] = c.create_index;
  j["ModifyIndex"] = c.modify_index;
  return j;
}

Json EncodeAgentService(const Catalog& catalog, const Service& s) {
  Json j;
  if (!s.kind.empty()) j["Kind"] = s.kind;
  j["ID"] = s.id;
  j["Service"] = s.name;
  j["Tags"] = Strings(s.tags);
  j["Meta"] = StringMap(s.meta);
  j["Port"] = s.port;
  j["Address"] = s.address;
  if (!s.tagged_addresses_json.empty()) j["TaggedAddresses"] = TaggedAddresses(s);
  j["Weights"] = Weights(s);
  j["EnableTagOverride"] = s.enable_tag_override;
  j["Datacenter"] = catalog.datacenter();
  return j;
}

Json EncodeHealthEntry(const Catalog& catalog, const Service& s) {
  Json node;
  node["ID"] = catalog.node_id();
  node["Node"] = catalog.node_name();
  node["Address"] = kNodeAddress;
  node["Datacenter"] = catalog.datacenter();
  node["TaggedAddresses"] = NodeTaggedAddresses();
  node["Meta"] = NodeMeta();
  node["CreateIndex"] = catalog.node_index();
  node["ModifyIndex"] = catalog.node_index();
  Json service = EncodeAgentService(catalog, s);
  service.erase("Datacenter");
  service["CreateIndex"] = s.create_index;
  service["ModifyIndex"] = s.modify_index;
  Json checks = Json::array();
  for (const Check* c : catalog.ChecksOf(s.id)) checks.push_back(EncodeCheck(catalog, *c));
  return Json{{"Node", node}, {"Service", service}, {"Checks", checks}};
}

Json EncodeCatalogEntry(const Catalog& catalog, const Service& s) {
  Json j;
  j["ID"] = catalog.node_id();
  j["Node"] = catalog.node_name();
  j["Address"] = kNodeAddress;
  j["Datacenter"] = catalog.datacenter();
  j["TaggedAddresses"] = NodeTaggedAddresses();
  j["NodeMeta"] = NodeMeta();
  j["ServiceKind"] = s.kind;
  j["ServiceID"] = s.id;
  j["ServiceName"] = s.name;
  j["ServiceTags"] = Strings(s.tags);
  j["ServiceAddress"] = s.address;
  j["ServiceTaggedAddresses"] = TaggedAddresses(s);
  j["ServiceWeights"] = Weights(s);
  j["ServiceMeta"] = StringMap(s.meta);
  j["ServicePort"] = s.port;
  j["ServiceEnableTagOverride"] = s.enable_tag_override;
  j["ServiceProxy"] = Json::object();
  j["ServiceConnect"] = Json::object();
  j["CreateIndex"] = s.create_index;
  j["ModifyIndex"] = s.modify_index;
  return j;
}

Json EncodeTxnOutcome(const TxnOutcome& outcome) {
  Json j;
  if (!outcome.ok) {
    j["Results"] = nullptr;
    Json errors = Json::array();
    for (const TxnError& e : outcome.errors)
      errors.push_back(Json{{"OpIndex", e.op_index}, {"What", e.what}});
    j["Errors"] = errors;
    return j;
  }
  Json results = Json::array();
  for (const TxnResultEntry& r : outcome.results) {
    results.push_back(Json{{"KV", EncodeKvEntry(r.entry, r.with_value)}});
  }
  j["Results"] = results;
  j["Errors"] = nullptr;
  return j;
}

}  // namespace shardgate::consul::dev
