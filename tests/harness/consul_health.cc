// NotPassing / WaitInstancesPassing: read a service's health from Consul with the project client.
#include "tests/harness/consul_health.h"

#include <thread>

#include "consul/client.h"
#include "consul/curl_transport.h"

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPollEvery{100};
constexpr milliseconds kRequestTimeout{2'000};

// nullptr when `id` is not among the entries.
const consul::ServiceEntry* FindEntry(const std::vector<consul::ServiceEntry>& entries,
                                      const std::string& id) {
  for (const consul::ServiceEntry& e : entries) {
    if (e.service.id == id) return &e;
  }
  return nullptr;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::vector<std::string> NotPassing(const std::vector<consul::ServiceEntry>& entries,
                                    const std::vector<ExpectedInstance>& expected) {
  std::vector<std::string> out;
  for (const ExpectedInstance& want : expected) {
    const consul::ServiceEntry* entry = FindEntry(entries, want.service_id);
    if (entry == nullptr) {
      out.push_back(want.label + " (not registered)");
      continue;
    }
    for (const consul::HealthCheck& check : entry->checks) {
      if (check.status == consul::CheckStatus::kPassing) continue;
      out.push_back(want.label + " (" + consul::CheckStatusName(check.status) + ": " +
                    (check.output.empty() ? check.check_id : check.output) + ")");
      break;
    }
  }
  return out;
}

Status WaitInstancesPassing(const std::string& address, const std::string& service,
                            const std::vector<ExpectedInstance>& expected, milliseconds timeout) {
  consul::ClientConfig config;
  config.address = "http://" + address;
  config.request_timeout = kRequestTimeout;
  ASSIGN_OR_RETURN(std::unique_ptr<consul::CurlTransport> transport,
                   consul::CurlTransport::Create({config.address, "", kRequestTimeout}));
  consul::Client client(*transport, config);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    auto entries = client.HealthService(service, /*passing_only=*/false);
    if (entries.ok()) {
      std::vector<std::string> missing = NotPassing(entries->value, expected);
      if (missing.empty()) return Status::Ok();
      last = "not passing: " + Join(missing);
    } else {
      last = entries.status().ToString();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollEvery);
  }
  return Timeout("service " + service + " in Consul " + address + " after " +
                 std::to_string(timeout.count()) + " ms: " + last);
}

}  // namespace shardgate::harness
