// Service and check definition decoding (see agent_decode.h).
#include "dev/consul/agent_decode.h"

#include <cctype>

#include "dev/consul/http_decode.h"

namespace shardgate::consul::dev {
namespace {

constexpr size_t kMetaMaxPairs = 64;
constexpr size_t kMetaKeyMax = 128;
constexpr size_t kMetaValueMax = 512;
constexpr int kWeightMax = 65535;

// Fields of Consul's CheckType/CheckDefinition; only TTL checks can run here.
constexpr std::string_view kCheckFields[] = {"ID",
                                             "CheckID",
                                             "Name",
                                             "Status",
                                             "Notes",
                                             "ServiceID",
                                             "Token",
                                             "ScriptArgs",
                                             "Args",
                                             "HTTP",
                                             "Header",
                                             "Method",
                                             "Body",
                                             "DisableRedirects",
                                             "TCP",
                                             "TCPUseTLS",
                                             "UDP",
                                             "Interval",
                                             "AliasNode",
                                             "AliasService",
                                             "DockerContainerID",
                                             "Shell",
                                             "GRPC",
                                             "GRPCUseTLS",
                                             "TLSServerName",
                                             "TLSSkipVerify",
                                             "Timeout",
                                             "TTL",
                                             "H2PING",
                                             "H2PingUseTLS",
                                             "OSService",
                                             "SuccessBeforePassing",
                                             "FailuresBeforeWarning",
                                             "FailuresBeforeCritical",
                                             "ProxyHTTP",
                                             "ProxyGRPC",
                                             "DeregisterCriticalServiceAfter",
                                             "OutputMaxSize",
                                             "Namespace",
                                             "Partition"};

constexpr std::string_view kServiceFields[] = {"Kind",       "ID",
                                               "Name",       "Tags",
                                               "Address",    "TaggedAddresses",
                                               "Meta",       "Port",
                                               "SocketPath", "Check",
                                               "Checks",     "Weights",
                                               "Token",      "EnableTagOverride",
                                               "Proxy",      "Connect",
                                               "Namespace",  "Partition",
                                               "Locality"};

Status Invalid(const std::string& body) { return InvalidArgument(body); }

bool ValidStatus(const std::string& s) { return s == kPassing || s == kWarning || s == kCritical; }

// CheckType.Validate (agent/structs/check_type.go), in its order. A check of no type at all
// (no TTL, no interval kind, no alias) fails the last rule: a 400, not a 500 as in old releases.
Status ValidateCheckType(bool interval_check, bool alias, Nanos interval, Nanos ttl) {
  if (interval > Nanos(0) && ttl > Nanos(0)) {
    return Invalid("Invalid check: Interval and TTL cannot both be specified");
  }
  if (interval_check && interval <= Nanos(0)) {
    return Invalid("Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or "
                   "OSService checks");
  }
  if (interval_check && alias) {
    return Invalid("Invalid check: Interval cannot be set for Alias checks");
  }
  if (alias && ttl > Nanos(0)) {
    return Invalid("Invalid check: TTL must be not be set for Alias checks");
  }
  if (!interval_check && !alias && ttl <= Nanos(0)) {
    return Invalid("Invalid check: TTL must be > 0 for TTL checks");
  }
  if (interval_check || alias) {
    return Invalid("Invalid check: shardgate-consul-dev runs only TTL checks, not HTTP, TCP, "
                   "script, alias or other interval checks");
  }
  return Status::Ok();
}

// Decodes and type-checks one check object. The status is checked by the callers, because
// Consul checks it after every check's type (service register) or before it (check register).
Result<Check> DecodeCheck(const nlohmann::json& j) {
  Result<Fields> f = Fields::Match(j, kCheckFields, true, "structs.CheckType");
  if (!f.ok()) return Invalid("Request decode failed: " + f.status().message());
  Check c;
  Result<std::string> id = f->String(f->Has("CheckID") ? "CheckID" : "ID");
  Result<std::string> name = f->String("Name");
  Result<std::string> status = f->String("Status");
  Result<std::string> notes = f->String("Notes");
  Result<std::string> service_id = f->String("ServiceID");
  Result<Nanos> ttl = f->Duration("TTL");
  Result<Nanos> interval = f->Duration("Interval");
  Result<Nanos> dereg = f->Duration("DeregisterCriticalServiceAfter");
  for (const Status* st :
       {&id.status(), &name.status(), &status.status(), &notes.status(), &service_id.status(),
        &ttl.status(), &interval.status(), &dereg.status()}) {
    if (!st->ok()) return Invalid("Request decode failed: " + st->message());
  }
  bool interval_check = false;
  for (const char* k :
       {"ScriptArgs", "Args", "HTTP", "TCP", "UDP", "GRPC", "H2PING", "OSService"}) {
    interval_check = interval_check || f->Has(k);
  }
  const bool alias = f->Has("AliasNode") || f->Has("AliasService");
  RETURN_IF_ERROR(ValidateCheckType(interval_check, alias, *interval, *ttl));
  c.id = *id;
  c.name = *name;
  c.status = *status;
  c.notes = *notes;
  c.service_id = *service_id;
  c.type = "ttl";
  c.ttl = *ttl;
  c.deregister_after = *dereg;
  return c;
}

// Key format of validateMetaPair (agent/structs/structs.go): ^[a-zA-Z0-9_-]+$.
bool MetaKeyFormat(const std::string& key) {
  for (unsigned char ch : key) {
    if (!std::isalnum(ch) && ch != '_' && ch != '-') return false;
  }
  return true;
}

Status ValidateMeta(const std::map<std::string, std::string>& meta) {
  if (meta.size() > kMetaMaxPairs) {
    return Invalid(
        "Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs");
  }
  for (const auto& [k, v] : meta) {
    std::string why;
    if (k.empty()) why = "Key cannot be blank";
    else if (!MetaKeyFormat(k)) why = "Key contains invalid characters";
    else if (k.size() > kMetaKeyMax) why = "Key is too long (limit: 128 characters)";
    else if (k.starts_with("consul-")) why = "Key prefix 'consul-' is reserved for internal use";
    else if (v.size() > kMetaValueMax) why = "Value is too long (limit: 512 characters)";
    if (!why.empty()) {
      return Invalid("Invalid Service Meta: Couldn't load metadata pair ('" + k + "', '" + v +
                     "'): " + why);
    }
  }
  return Status::Ok();
}

Status DecodeWeights(const Fields& f, Service* s) {
  if (!f.Has("Weights")) return Status::Ok();
  Result<Fields> w = Fields::Match(f.Raw("Weights"), {"Passing", "Warning"}, true,
                                   "structs.Weights");
  if (!w.ok()) return Invalid("Request decode failed: " + w.status().message());
  Result<int64_t> passing = w->Int("Passing");
  Result<int64_t> warning = w->Int("Warning");
  if (!passing.ok()) return Invalid("Request decode failed: " + passing.status().message());
  if (!warning.ok()) return Invalid("Request decode failed: " + warning.status().message());
  if (*passing < 1) return Invalid("Invalid Weights: Passing must be greater than 0");
  if (*warning < 0) return Invalid("Invalid Weights: Warning must be greater or equal than 0");
  if (*passing > kWeightMax || *warning > kWeightMax) {
    return Invalid("Invalid Weights: DNS Weight must be between 0 and 65535");
  }
  s->weight_passing = static_cast<int>(*passing);
  s->weight_warning = static_cast<int>(*warning);
  return Status::Ok();
}

Status DecodeServiceFields(const Fields& f, Service* s) {
  Result<std::string> name = f.String("Name");
  Result<std::string> id = f.String("ID");
  Result<std::string> address = f.String("Address");
  Result<std::string> kind = f.String("Kind");
  Result<int64_t> port = f.Int("Port");
  Result<bool> eto = f.Bool("EnableTagOverride");
  Result<std::vector<std::string>> tags = f.StringList("Tags");
  Result<std::map<std::string, std::string>> meta = f.StringMap("Meta");
  for (const Status* st : {&name.status(), &id.status(), &address.status(), &kind.status(),
                           &port.status(), &eto.status(), &tags.status(), &meta.status()}) {
    if (!st->ok()) return Invalid("Request decode failed: " + st->message());
  }
  if (name->empty()) return Invalid("Missing service name");
  s->name = *name;
  s->id = id->empty() ? *name : *id;
  s->address = *address;
  s->kind = *kind;
  s->port = static_cast<int>(*port);
  s->enable_tag_override = *eto;
  s->tags = *tags;
  s->meta = *meta;
  if (f.Has("TaggedAddresses")) s->tagged_addresses_json = f.Raw("TaggedAddresses").dump();
  // AgentRegisterService (agent/agent_endpoint.go) checks the address, then the weights, then
  // the meta; a request wrong in several ways gets the first of these.
  if (s->address == "0.0.0.0" || s->address == "::" || s->address == "[::]") {
    return Invalid("Invalid service address");
  }
  RETURN_IF_ERROR(DecodeWeights(f, s));
  return ValidateMeta(s->meta);
}

}  // namespace

Result<ServiceDefinition> DecodeServiceDefinition(const std::string& body) {
  Result<nlohmann::json> json = ParseJsonBody(body);
  if (!json.ok()) return Invalid("Request decode failed: " + json.status().message());
  Result<Fields> f = Fields::Match(*json, kServiceFields, true, "structs.ServiceDefinition");
  if (!f.ok()) return Invalid("Request decode failed: " + f.status().message());
  ServiceDefinition def;
  RETURN_IF_ERROR(DecodeServiceFields(*f, &def.service));
  // ServiceDefinition.CheckTypes: an empty `Check` object is ignored, an empty entry of
  // `Checks` is validated (and refused); every type is checked before any status.
  std::vector<nlohmann::json> raw;
  if (f->Has("Check") && !(f->Raw("Check").is_object() && f->Raw("Check").empty())) {
    raw.push_back(f->Raw("Check"));
  }
  if (f->Has("Checks")) {
    if (!f->Raw("Checks").is_array())
      return Invalid("Request decode failed: json: Checks is not an array");
    for (const auto& c : f->Raw("Checks")) raw.push_back(c);
  }
  for (const auto& j : raw) {
    ASSIGN_OR_RETURN(Check c, DecodeCheck(j));
    def.checks.push_back(c);
  }
  for (const Check& c : def.checks) {
    if (!c.status.empty() && !ValidStatus(c.status)) {
      return Invalid("Status for checks must 'passing', 'warning', 'critical'");
    }
  }
  for (size_t i = 0; i < def.checks.size(); ++i) {
    Check& c = def.checks[i];
    if (c.id.empty()) {
      c.id = "service:" + def.service.id;
      if (def.checks.size() > 1) c.id += ":" + std::to_string(i + 1);
    }
    if (c.name.empty()) c.name = "Service '" + def.service.name + "' check";
    c.service_id = def.service.id;
    c.service_name = def.service.name;
    if (c.status.empty()) c.status = kCritical;
  }
  return def;
}

// AgentRegisterCheck (agent/agent_endpoint.go): name, then status (with its own text), then
// type.
Result<Check> DecodeCheckDefinition(const std::string& body) {
  Result<nlohmann::json> json = ParseJsonBody(body);
  if (!json.ok()) return Invalid("Request decode failed: " + json.status().message());
  Result<Fields> f = Fields::Match(*json, kCheckFields, true, "structs.CheckDefinition");
  if (!f.ok()) return Invalid("Request decode failed: " + f.status().message());
  Result<std::string> name = f->String("Name");
  Result<std::string> status = f->String("Status");
  if (!name.ok()) return Invalid("Request decode failed: " + name.status().message());
  if (!status.ok()) return Invalid("Request decode failed: " + status.status().message());
  if (name->empty()) return Invalid("Missing check name");
  if (!status->empty() && !ValidStatus(*status)) return Invalid("Bad check status");
  ASSIGN_OR_RETURN(Check c, DecodeCheck(*json));
  if (c.id.empty()) c.id = c.name;
  if (c.status.empty()) c.status = kCritical;
  return c;
}

}  // namespace shardgate::consul::dev
