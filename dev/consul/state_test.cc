// Unit tests for State: one index, session TTLs, check TTLs, lock-delay and reaping, driven by
// the fake clock (no sleeps: ExpireDue() is called by hand).
#include "dev/consul/state.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_clock.h"

namespace shardgate::consul::dev {
namespace {

using std::chrono::seconds;

struct Fixture {
  testing::FakeClock clock;
  State state{clock, StateOptions{}};
  Fixture() { state.Init(std::nullopt); }

  uint64_t Index() {
    struct V {
      uint64_t index;
    };
    return state.Block(0, {}, [](const State& s) { return V{s.index()}; }).index;
  }
  const KvEntry* Entry(const std::string& key) {
    struct V {
      uint64_t index;
      std::optional<KvEntry> e;
    };
    static std::optional<KvEntry> last;
    last = state
               .Block(0, {},
                      [&](const State& s) {
                        const KvEntry* e = s.kv().Get(key);
                        return V{1, e ? std::optional<KvEntry>(*e) : std::nullopt};
                      })
               .e;
    return last ? &*last : nullptr;
  }
  Check CheckOf(const std::string& id) {
    struct V {
      uint64_t index;
      Check c;
    };
    return state.Block(0, {}, [&](const State& s) { return V{1, *s.catalog().FindCheck(id)}; }).c;
  }
  size_t ServiceCount() {
    struct V {
      uint64_t index;
      size_t n;
    };
    return state.Block(0, {}, [](const State& s) { return V{1, s.catalog().services().size()}; }).n;
  }
  void RegisterWeb(Nanos ttl, Nanos deregister_after = Nanos(0)) {
    Service svc;
    svc.id = "web1";
    svc.name = "web";
    Check c;
    c.id = "service:web1";
    c.service_id = "web1";
    c.service_name = "web";
    c.type = "ttl";
    c.ttl = ttl;
    c.deregister_after = deregister_after;
    state.RegisterService(svc, {c}, false);
  }
};

TEST_CASE("every committed write takes the next index and idempotent writes take none") {
  Fixture f;
  uint64_t start = f.Index();
  f.state.KvSet("a", "1", 0);
  CHECK(f.Index() == start + 1);
  f.state.KvSet("a", "1", 0);
  CHECK(f.Index() == start + 1);
  REQUIRE(f.state.CreateSession({}).ok());
  CHECK(f.Index() == start + 2);
}

TEST_CASE("a session with a TTL expires at twice the TTL after the last renew") {
  Fixture f;
  SessionRequest r;
  r.ttl = "10s";
  Result<std::string> id = f.state.CreateSession(r);
  REQUIRE(id.ok());
  f.clock.Advance(seconds(15));
  REQUIRE(f.state.RenewSession(*id).ok());
  f.clock.Advance(seconds(19));
  f.state.ExpireDue();
  CHECK(f.state.RenewSession(*id).ok());
  f.clock.Advance(seconds(20));
  f.state.ExpireDue();
  CHECK(f.state.RenewSession(*id).status().message() == "Session id '" + *id + "' not found");
}

TEST_CASE("session validation answers with Consul's texts") {
  Fixture f;
  SessionRequest r;
  r.ttl = "5s";
  CHECK(f.state.CreateSession(r).status().message() ==
        "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
  r.ttl = "";
  r.behavior = "explode";
  CHECK(f.state.CreateSession(r).status().message() == "Invalid Behavior setting 'explode'");
  r.behavior = "";
  r.node = "elsewhere";
  CHECK(f.state.CreateSession(r).status().message() == "Missing node registration");
  r.node = "";
  r.node_checks = std::vector<std::string>{"nope"};
  CHECK(f.state.CreateSession(r).status().message() == "Missing check 'nope' registration");
}

TEST_CASE("a session bound to a critical check cannot be created and dies when it goes critical") {
  Fixture f;
  f.RegisterWeb(seconds(15));
  SessionRequest r;
  r.service_checks = {"service:web1"};
  CHECK(f.state.CreateSession(r).status().message() == "Check 'service:web1' is in critical state");
  REQUIRE(f.state.UpdateTtlCheck("service:web1", kPassing, "ok").ok());
  Result<std::string> id = f.state.CreateSession(r);
  REQUIRE(id.ok());
  REQUIRE(f.state.KvAcquire("lock", "me", 0, *id).ok());
  REQUIRE(f.state.UpdateTtlCheck("service:web1", kCritical, "down").ok());
  CHECK_FALSE(f.state.RenewSession(*id).ok());
  CHECK(f.Entry("lock")->session.empty());
}

TEST_CASE("an invalidated session's keys are in lock-delay but a voluntary release is not") {
  Fixture f;
  SessionRequest r;
  r.lock_delay = seconds(5);
  std::string s1 = *f.state.CreateSession(r);
  std::string s2 = *f.state.CreateSession(r);
  REQUIRE(f.state.KvAcquire("a", "", 0, s1)->ok);
  REQUIRE(f.state.KvAcquire("b", "", 0, s1)->ok);
  REQUIRE(f.state.KvRelease("b", "", 0, s1).ok);
  CHECK(f.state.KvAcquire("b", "", 0, s2)->ok);
  f.state.DestroySession(s1);
  CHECK_FALSE(f.state.KvAcquire("a", "", 0, s2)->ok);
  f.clock.Advance(seconds(5));
  CHECK(f.state.KvAcquire("a", "", 0, s2)->ok);
  CHECK(f.state.KvAcquire("a", "", 0, "nope").status().message() == "invalid session \"nope\"");
}

TEST_CASE("a TTL check that is not updated in time goes critical with the expiry output") {
  Fixture f;
  f.RegisterWeb(seconds(10));
  REQUIRE(f.state.UpdateTtlCheck("service:web1", kPassing, "fine").ok());
  f.clock.Advance(seconds(9));
  f.state.ExpireDue();
  CHECK(f.CheckOf("service:web1").status == kPassing);
  f.clock.Advance(seconds(1));
  f.state.ExpireDue();
  Check c = f.CheckOf("service:web1");
  CHECK(c.status == kCritical);
  CHECK(c.output == "TTL expired (last output before timeout follows): fine");
}

TEST_CASE("a TTL check that never had output expires with the bare TTL expired text") {
  Fixture f;
  f.RegisterWeb(seconds(10));
  f.clock.Advance(seconds(10));
  f.state.ExpireDue();
  CHECK(f.CheckOf("service:web1").output == "TTL expired");
}

TEST_CASE("a service critical for DeregisterCriticalServiceAfter (at least 1m) is removed") {
  Fixture f;
  f.RegisterWeb(seconds(10), seconds(30));
  f.clock.Advance(seconds(59));
  f.state.ExpireDue();
  CHECK(f.ServiceCount() == 1);
  f.clock.Advance(seconds(1));
  f.state.ExpireDue();
  CHECK(f.ServiceCount() == 0);
}

TEST_CASE("re-registering a service keeps the status of its existing checks") {
  Fixture f;
  f.RegisterWeb(seconds(10));
  REQUIRE(f.state.UpdateTtlCheck("service:web1", kPassing, "ok").ok());
  f.RegisterWeb(seconds(10));
  CHECK(f.CheckOf("service:web1").status == kPassing);
}

TEST_CASE("maintenance mode adds and removes a critical maintenance check") {
  Fixture f;
  f.RegisterWeb(seconds(10));
  REQUIRE(f.state.SetServiceMaintenance("web1", true, "").ok());
  Check m = f.CheckOf("_service_maintenance:web1");
  CHECK(m.status == kCritical);
  CHECK(m.type == "maintenance");
  REQUIRE(f.state.SetServiceMaintenance("web1", false, "").ok());
  CHECK(f.state.SetServiceMaintenance("nope", true, "").code() == Code::kNotFound);
}

TEST_CASE("updating a check that has no TTL is refused with Consul's text") {
  Fixture f;
  f.RegisterWeb(seconds(10));
  REQUIRE(f.state.SetServiceMaintenance("web1", true, "").ok());
  CHECK(f.state.UpdateTtlCheck("_service_maintenance:web1", kPassing, "").message() ==
        "CheckID \"_service_maintenance:web1\" does not have associated TTL");
  CHECK(f.state.UpdateTtlCheck("nope", kPassing, "").code() == Code::kNotFound);
}

TEST_CASE("restoring an older snapshot makes the index go backwards") {
  Fixture f;
  KvSnapshot snap;
  snap.index = 3;
  snap.kv_index = 3;
  snap.entries["k"] = KvEntry{"k", "v", 0, 0, "", 3, 3};
  testing::FakeClock clock;
  State restored(clock, StateOptions{});
  restored.Init(snap);
  struct V {
    uint64_t index;
  };
  CHECK(restored.Block(0, {}, [](const State& s) { return V{s.kv().KeyIndex("k")}; }).index == 3);
  CHECK(restored.Block(0, {}, [](const State& s) { return V{s.index()}; }).index == 3);
}

}  // namespace
}  // namespace shardgate::consul::dev
