// Controller config: required keys, defaults, sockets list, errors naming the key.
#include "controller/config.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

ConfigSources Sources(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ConfigSources{std::move(args),
                       [env](const std::string& n) -> std::optional<std::string> {
                         auto it = env.find(n);
                         if (it == env.end()) return std::nullopt;
                         return it->second;
                       },
                       [](const std::string& path) -> Result<std::string> {
                         return NotFound(path);
                       }};
}

std::vector<std::string> Required() {
  return {"--cluster=orders", "--haproxy-sockets=/run/haproxy.sock",
          "--ranges-map=/etc/haproxy/shardgate_ranges.map"};
}

std::string Error(std::vector<std::string> args, std::string hostname = "lb-1") {
  auto cfg = LoadControllerConfig(Sources(std::move(args)), hostname);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.status().code() == Code::kInvalidArgument);
  return cfg.status().message();
}

TEST_CASE("the three required keys are enough and the rest defaults sensibly") {
  auto cfg = LoadControllerConfig(Sources(Required()), "lb-1");
  REQUIRE(cfg.ok());
  CHECK(cfg->service_name == "shardgate-orders");
  CHECK(cfg->controller_id == "lb-1");
  CHECK(cfg->listen == std::vector<std::string>{"127.0.0.1:8080"});
  CHECK(cfg->admin_tokens_file.empty());
  CHECK(cfg->history_keep == 100);
  CHECK(cfg->haproxy_sockets == std::vector<std::string>{"/run/haproxy.sock"});
  CHECK(cfg->resync_interval == Millis(30000));
  CHECK(cfg->shards_map.empty());
  CHECK(cfg->consul_datacenter.empty());
}

TEST_CASE("a missing required key is named") {
  CHECK(Error({"--cluster=orders", "--ranges-map=/m"}) == "haproxy_sockets: required");
  CHECK(Error({"--haproxy-sockets=/s", "--ranges-map=/m"}) == "cluster: required");
  CHECK(Error({"--cluster=orders", "--haproxy-sockets=/s"}) == "ranges_map: required");
}

TEST_CASE("several HAProxy instances are a comma-separated list; an empty item is refused") {
  auto args = Required();
  args.push_back("--haproxy-sockets=/run/a.sock,127.0.0.1:9999");
  auto cfg = LoadControllerConfig(Sources(args), "lb-1");
  REQUIRE(cfg.ok());
  CHECK(cfg->haproxy_sockets == std::vector<std::string>{"/run/a.sock", "127.0.0.1:9999"});
  args.back() = "--haproxy-sockets=/run/a.sock,";
  CHECK(Error(args) == "haproxy_sockets: must be a comma-separated list of stats sockets");
}

TEST_CASE("bad values name the key and say what is expected") {
  auto with = [](std::string flag) {
    auto args = Required();
    args.push_back(std::move(flag));
    return args;
  };
  CHECK(Error(with("--resync-interval=10")) ==
        "resync_interval: must be a duration like 250ms, 10s or 1m");
  CHECK(Error(with("--listen=9640")) == "listen: \"9640\" is not host:port, e.g. 127.0.0.1:8080");
  CHECK(Error(with("--listen=127.0.0.1:8080,")) ==
        "listen: must be a comma-separated list of host:port addresses");
  CHECK(Error(with("--cluster=a b")) == "cluster: must match [A-Za-z0-9_.-]+");
  CHECK(Error(with("--consul-datacenter=dc/9")) == "consul_datacenter: must match [A-Za-z0-9_.-]+");
  CHECK(Error(with("--log-level=loud")) == "log_level: must be debug, info, warn or error");
  CHECK(Error(with("--colour=red")) == "colour: unknown key");
  CHECK(Error(with("--haproxy-check-interval=1m")) ==
        "haproxy_check_interval: must not exceed resync_interval");
}

TEST_CASE("the environment fills keys and flags override it") {
  auto cfg = LoadControllerConfig(Sources({"--cluster=orders", "--ranges-map=/m"},
                                          {{"SHARDGATE_CONTROLLER_HAPROXY_SOCKETS", "/env.sock"},
                                           {"SHARDGATE_CONTROLLER_CLUSTER", "ignored"}}),
                                  "lb-1");
  REQUIRE(cfg.ok());
  CHECK(cfg->cluster == "orders");
  CHECK(cfg->haproxy_sockets == std::vector<std::string>{"/env.sock"});
}

TEST_CASE("a host name that is not a valid id asks for controller_id") {
  CHECK(Error(Required(), "bad host") ==
        "controller_id: required (the host name \"bad host\" is not a valid id)");
  auto args = Required();
  args.push_back("--controller-id=edge-7");
  CHECK(LoadControllerConfig(Sources(args), "bad host")->controller_id == "edge-7");
}

}  // namespace
}  // namespace shardgate::controller
