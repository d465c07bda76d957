// Backend slots: static shards, kept and new bindings, full slots, the map edits and file.
#include "controller/backend_slots.h"

#include <doctest/doctest.h>

#include <random>
#include <set>

#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::controller {
namespace {

using Kind = MapEdit::Kind;
using Bindings = std::map<std::string, std::string>;

// `show backend` of an HAProxy with static shards `statics` and spare slots 1..spares.
std::vector<std::string> Backends(const std::vector<std::string>& statics, int spares) {
  std::vector<std::string> out = {"shardgate_cancel"};
  for (const std::string& s : statics) {
    out.push_back(s + "_rw");
    out.push_back(s + "_ro");
  }
  for (int i = 1; i <= spares; ++i) {
    out.push_back("shardgate_spare_" + std::to_string(i) + "_rw");
    out.push_back("shardgate_spare_" + std::to_string(i) + "_ro");
  }
  return out;
}

// The shards map as HAProxy holds it after the binding was applied.
Bindings SlotEntries(const BackendBinding& binding) {
  Bindings out;
  for (const auto& [shard, base] : binding.base) {
    if (IsSlotBound(shard, base)) out[shard] = base;
  }
  return out;
}

TEST_CASE("a shard with static backends uses them and is never put in the map") {
  BackendBinding b = BindBackends({"shard_1", "shard_4"}, Backends({"shard_1"}, 2),
                                  {{"shard_1", "x"}});
  CHECK(b.base == Bindings{{"shard_1", "shard_1"}, {"shard_4", "shardgate_spare_1"}});
  CHECK(b.unbound.empty());
  CHECK(DiffBindingMap({{"shard_1", "shardgate_spare_2"}}, b) ==
        std::vector<MapEdit>{{Kind::kDel, "shard_1", ""},
                             {Kind::kAdd, "shard_4", "shardgate_spare_1"}});
  CHECK(RenderBindingMap(b) == "shard_4 shardgate_spare_1\n");
}

TEST_CASE("new shards take the lowest free slots, by number and not by spelling") {
  BackendBinding b = BindBackends({"b", "a", "c"}, Backends({}, 10), {{"x", "shardgate_spare_1"}});
  CHECK(b.base == Bindings{{"a", "shardgate_spare_1"},
                           {"b", "shardgate_spare_2"},
                           {"c", "shardgate_spare_3"}});
  b = BindBackends({"z"}, Backends({}, 10),
                   {{"a", "shardgate_spare_1"}, {"b", "shardgate_spare_2"}});
  CHECK(b.base == Bindings{{"z", "shardgate_spare_1"}});  // a and b are no longer wanted
}

TEST_CASE("a binding stays put while other shards come and go") {
  Bindings current = {{"shard_4", "shardgate_spare_2"}, {"shard_5", "shardgate_spare_1"}};
  BackendBinding b = BindBackends({"shard_0", "shard_4", "shard_5"}, Backends({}, 3), current);
  CHECK(b.base == Bindings{{"shard_0", "shardgate_spare_3"},
                           {"shard_4", "shardgate_spare_2"},
                           {"shard_5", "shardgate_spare_1"}});
  CHECK(DiffBindingMap(current, b) ==
        std::vector<MapEdit>{{Kind::kAdd, "shard_0", "shardgate_spare_3"}});
  // shard_5 leaves: its slot is released, shard_4 stays where it is.
  b = BindBackends({"shard_0", "shard_4"}, Backends({}, 3), SlotEntries(b));
  CHECK(b.base == Bindings{{"shard_0", "shardgate_spare_3"}, {"shard_4", "shardgate_spare_2"}});
  // a newcomer takes the released slot.
  Bindings before = SlotEntries(b);
  b = BindBackends({"shard_0", "shard_4", "shard_6"}, Backends({}, 3), before);
  CHECK(b.base.at("shard_6") == "shardgate_spare_1");
  CHECK(DiffBindingMap(before, b) ==
        std::vector<MapEdit>{{Kind::kAdd, "shard_6", "shardgate_spare_1"}});
}

TEST_CASE("shards beyond the free slots are unbound, and bound once a slot frees up") {
  BackendBinding b = BindBackends({"a", "b", "c"}, Backends({}, 2), {});
  CHECK(b.base == Bindings{{"a", "shardgate_spare_1"}, {"b", "shardgate_spare_2"}});
  CHECK(b.unbound == std::vector<std::string>{"c"});
  b = BindBackends({"b", "c"}, Backends({}, 2), SlotEntries(b));
  CHECK(b.base == Bindings{{"b", "shardgate_spare_2"}, {"c", "shardgate_spare_1"}});
  CHECK(b.unbound.empty());
}

TEST_CASE("a binding to a slot HAProxy lacks, or to a non-slot, moves to a free slot") {
  // After a reload with fewer spares, slot 3 is gone; "shard_1" is no slot even if it exists.
  Bindings current = {{"a", "shardgate_spare_3"}, {"b", "shard_1"}, {"c", "shardgate_spare_01"}};
  BackendBinding b = BindBackends({"a", "b", "c"}, Backends({"shard_1"}, 2), current);
  CHECK(b.base == Bindings{{"a", "shardgate_spare_1"}, {"b", "shardgate_spare_2"}});
  CHECK(b.unbound == std::vector<std::string>{"c"});
  CHECK(DiffBindingMap(current, b) == std::vector<MapEdit>{{Kind::kDel, "c", ""},
                                                           {Kind::kSet, "a", "shardgate_spare_1"},
                                                           {Kind::kSet, "b", "shardgate_spare_2"}});
}

TEST_CASE("a slot with only one of its two backends is not a slot") {
  std::vector<std::string> backends = {"shardgate_spare_1_rw", "shardgate_spare_2_rw",
                                       "shardgate_spare_2_ro"};
  BackendBinding b = BindBackends({"a"}, backends, {{"a", "shardgate_spare_1"}});
  CHECK(b.base == Bindings{{"a", "shardgate_spare_2"}});
}

TEST_CASE("two shards the map binds to one slot keep it for the first and move the second") {
  BackendBinding b = BindBackends({"a", "b"}, Backends({}, 2),
                                  {{"a", "shardgate_spare_1"}, {"b", "shardgate_spare_1"}});
  CHECK(b.base == Bindings{{"a", "shardgate_spare_1"}, {"b", "shardgate_spare_2"}});
}

TEST_CASE("a shard named like a slot is unbound and its slot is not handed out") {
  BackendBinding b = BindBackends({"shardgate_spare_1", "a"}, Backends({}, 2), {});
  CHECK(b.base == Bindings{{"a", "shardgate_spare_2"}});
  CHECK(b.unbound == std::vector<std::string>{"shardgate_spare_1"});
}

TEST_CASE("a map in line with the binding needs no edit and duplicates change nothing") {
  BackendBinding b = BindBackends({"a", "a", "shard_1"}, Backends({"shard_1"}, 1), {});
  CHECK(DiffBindingMap(SlotEntries(b), b).empty());
  CHECK(RenderBindingMap(BackendBinding{}).empty());
}

// Random rounds of wanted shards against a map carried over from round to round: no slot ever
// serves two shards, a shard keeps its slot while it stays wanted, nobody is unbound while a
// slot is free, and applying the diff gives the binding's map.
TEST_CASE("random shard sets over many rounds never bind two shards to one slot") {
  std::mt19937 rng(11);
  for (int run = 0; run < 50; ++run) {
    const int spares = static_cast<int>(rng() % 6);
    const std::vector<std::string> backends = Backends({"s0", "s1"}, spares);
    Bindings map;
    for (int round = 0; round < 30; ++round) {
      std::vector<std::string> wanted;
      for (int i = 0; i < 10; ++i) {
        if (rng() % 3 == 0) wanted.push_back("s" + std::to_string(i));
      }
      BackendBinding b = BindBackends(wanted, backends, map);
      std::set<std::string> slots;
      for (const auto& [shard, base] : b.base) {
        if (!IsSlotBound(shard, base)) {
          CHECK((shard == "s0" || shard == "s1"));
          continue;
        }
        CHECK_MESSAGE(slots.insert(base).second, base << " serves two shards");
        if (map.count(shard)) CHECK(map.at(shard) == base);
      }
      if (!b.unbound.empty()) CHECK(static_cast<int>(slots.size()) == spares);
      CHECK(b.base.size() + b.unbound.size() ==
            std::set<std::string>(wanted.begin(), wanted.end()).size());
      Bindings applied = map;
      for (const MapEdit& e : DiffBindingMap(map, b)) {
        if (e.kind == Kind::kDel) applied.erase(e.key);
        if (e.kind == Kind::kAdd) CHECK(applied.emplace(e.key, e.value).second);
        if (e.kind == Kind::kSet) applied.at(e.key) = e.value;
      }
      CHECK(applied == SlotEntries(b));
      map = applied;
    }
  }
}

TEST_CASE("map edits become add, set and del map commands in order") {
  testing::FakeRuntimeSocket socket;
  haproxy::RuntimeClient client(socket);
  Status s = ApplyMapEdits(client, "/m",
                           {{Kind::kDel, "a", ""},
                            {Kind::kSet, "b", "shardgate_spare_2"},
                            {Kind::kAdd, "c", "shardgate_spare_1"}});
  CHECK(s.ok());
  CHECK(socket.commands() == std::vector<std::string>{"del map /m a",
                                                      "set map /m b shardgate_spare_2",
                                                      "add map /m c shardgate_spare_1"});
}

TEST_CASE("a set of a vanished key adds it, and a del of a vanished key is done") {
  testing::FakeRuntimeSocket socket;
  socket.ReplyOnce("set map", std::string("entry not found.\n\n"));
  socket.ReplyOnce("del map", std::string("Key not found.\n\n"));
  haproxy::RuntimeClient client(socket);
  CHECK(ApplyMapEdits(client, "/m", {{Kind::kSet, "b", "shardgate_spare_2"}, {Kind::kDel, "a", ""}})
            .ok());
  CHECK(socket.commands() == std::vector<std::string>{"set map /m b shardgate_spare_2",
                                                      "add map /m b shardgate_spare_2",
                                                      "del map /m a"});
}

TEST_CASE("the first failed edit stops the rest and is named") {
  testing::FakeRuntimeSocket socket;
  socket.ReplyAlways("del map",
                     std::string("Unknown map identifier. Please use #<id> or <file>.\n\n"));
  haproxy::RuntimeClient client(socket);
  Status s = ApplyMapEdits(client, "/m",
                           {{Kind::kDel, "a", ""}, {Kind::kAdd, "c", "shardgate_spare_1"}});
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message().rfind("del a: ", 0) == 0);
  CHECK(socket.commands().size() == 1);
}

}  // namespace
}  // namespace shardgate::controller
