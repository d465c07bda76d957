// InProcessConsul: an HttpTransport that answers /v1/kv and /v1/txn with the dev Consul server's
// own handlers and state, in process and without a socket, so unit tests get Consul's real KV
// semantics and limits (CAS, 512 KiB per value and per transaction). Records every request and
// can fail chosen ones at the transport level.
#pragma once

#include <httplib.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consul/http_transport.h"
#include "dev/consul/http_handlers.h"
#include "dev/consul/state.h"
#include "tests/fakes/fake_clock.h"

namespace shardgate::testing {

// Thread-safety: Do() may be called concurrently (the dev State locks itself).
class InProcessConsul final : public consul::HttpTransport {
 public:
  InProcessConsul() : state_(clock_, {}), api_{state_, "", "127.0.0.1:8500", "shardgate-dev"} {
    state_.Init(std::nullopt);
  }

  // From now on, requests for which `fail` is true get kUnavailable without reaching the state;
  // an empty function fails none.
  void FailWhen(std::function<bool(const consul::HttpRequest&)> fail) {
    std::lock_guard lock(mu_);
    fail_ = std::move(fail);
  }

  std::vector<consul::HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  Result<consul::HttpResponse> Do(const consul::HttpRequest& request) override {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      if (fail_ && fail_(request)) return Unavailable("in-process consul: connection refused");
    }
    httplib::Request req;
    req.method = request.method;
    const size_t query = request.path.find('?');
    req.path = httplib::detail::decode_url(request.path.substr(0, query), false);
    if (query != std::string::npos) {
      httplib::detail::parse_query_text(request.path.substr(query + 1), req.params);
    }
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    req.body = request.body;
    httplib::Response res;
    res.status = 200;
    if (req.path.starts_with("/v1/kv/")) {
      consul::dev::HandleKv(api_, req, res, req.path.substr(7));
    } else if (req.path == "/v1/txn") {
      consul::dev::HandleTxn(api_, req, res, "");
    } else {
      consul::dev::ReplyText(res, 404, "in-process consul: no handler for " + req.path);
    }
    consul::HttpResponse out{res.status, {}, res.body};
    for (const auto& [name, value] : res.headers) out.headers[name] = value;
    return out;
  }

 private:
  FakeClock clock_;
  consul::dev::State state_;
  consul::dev::Api api_;
  mutable std::mutex mu_;
  std::function<bool(const consul::HttpRequest&)> fail_;
  std::vector<consul::HttpRequest> requests_;
};

}  // namespace shardgate::testing
