// FakeHttpTransport: an HttpTransport that records every request and answers from a script
// (queued one-shot answers first, then standing routes, else 404), never touching the network.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consul/http_transport.h"

namespace shardgate::testing {

// Thread-safety: every method locks; safe to use from a watcher thread and the test thread.
class FakeHttpTransport final : public consul::HttpTransport {
 public:
  // Builds a response with the given status, body and headers.
  static consul::HttpResponse Response(int status, std::string body,
                                       consul::HttpHeaders headers = {}) {
    return consul::HttpResponse{status, std::move(headers), std::move(body)};
  }
  // A 200 (or `status`) answer carrying Consul's query metadata headers.
  static consul::HttpResponse QueryResponse(std::string body, uint64_t index, int status = 200) {
    return Response(status, std::move(body),
                    {{"Content-Type", "application/json"},
                     {"X-Consul-Index", std::to_string(index)},
                     {"X-Consul-Knownleader", "true"},
                     {"X-Consul-Lastcontact", "0"}});
  }

  // The next request (whatever it is) gets this answer. Queued answers are used in order.
  void Push(consul::HttpResponse response) {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(response));
  }
  // The next request fails at the transport level with `status`.
  void PushError(Status status) {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(status));
  }
  // Every request whose method matches and whose path starts with `path_prefix` gets this answer
  // when the queue is empty. Later routes win over earlier ones.
  void Route(std::string method, std::string path_prefix, consul::HttpResponse response) {
    std::lock_guard lock(mu_);
    routes_.insert(routes_.begin(),
                   RouteEntry{std::move(method), std::move(path_prefix), std::move(response)});
  }

  Result<consul::HttpResponse> Do(const consul::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      Result<consul::HttpResponse> next = std::move(queue_.front());
      queue_.pop_front();
      return next;
    }
    for (const RouteEntry& route : routes_) {
      if (route.method == request.method && request.path.starts_with(route.path_prefix)) {
        return route.response;
      }
    }
    return Response(404, "fake: no scripted answer for " + request.method + " " + request.path);
  }

  std::vector<consul::HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // REQUIRES: at least one request was made.
  consul::HttpRequest last_request() const {
    std::lock_guard lock(mu_);
    return requests_.back();
  }
  size_t request_count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  struct RouteEntry {
    std::string method;
    std::string path_prefix;
    consul::HttpResponse response;
  };
  mutable std::mutex mu_;
  std::deque<Result<consul::HttpResponse>> queue_;
  std::vector<RouteEntry> routes_;
  std::vector<consul::HttpRequest> requests_;
};

}  // namespace shardgate::testing
