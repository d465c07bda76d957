// Binding shards without static backends to spare backend slots, and the shards-map edits that
// tell the router (pure, but for ApplyMapEdits).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "haproxy/runtime_client.h"

namespace shardgate::controller {

// Which backend base each shard uses in one HAProxy instance: the router sends a shard's
// connections to "<base>_rw" / "<base>_ro" (docs/router.md, "Backends").
struct BackendBinding {
  // shard -> base: the shard itself when HAProxy has its static backends (never written to the
  // shards map), else the spare slot "shardgate_spare_<i>" it is bound to.
  std::map<std::string, std::string> base;
  // Wanted shards with neither static backends nor a free slot, sorted: the router refuses
  // their connections (no_backend) until a slot frees up or HAProxy is reloaded with more.
  std::vector<std::string> unbound;
  bool operator==(const BackendBinding&) const = default;
};

// True when the binding puts the shard in a spare slot (an entry of the shards map).
bool IsSlotBound(const std::string& shard, const std::string& base);

// Binds every wanted shard. `shards`: what the controller wants served (Consul nodes and the
// range map); duplicates are ignored. `backends`: what `show backend` lists. `current`: the
// shards map as HAProxy holds it (shard -> base).
// Rules: a shard with static "<shard>_rw" and "<shard>_ro" uses them. Otherwise it keeps its
// current binding while that slot exists (a slot is "shardgate_spare_<i>" with both its _rw and
// _ro backend), so that its connections do not move; else it takes the lowest free slot (by i);
// none free -> unbound. A shard no longer wanted releases its slot. Shards are served in name
// order, so the result depends only on the arguments. A shard named like a slot is unbound
// (the name is reserved) and its slot is never handed out.
// A released slot's backends may still hold the old shard's servers: before binding a new
// shard to a slot, its server diff must have put them out of rotation (apply server commands
// first, then the map edits).
BackendBinding BindBackends(const std::vector<std::string>& shards,
                            const std::vector<std::string>& backends,
                            const std::map<std::string, std::string>& current);

// One runtime-API edit of the shards map, as a value.
struct MapEdit {
  enum class Kind { kAdd, kSet, kDel };
  Kind kind = Kind::kAdd;
  std::string key;
  std::string value;  // empty for kDel
  bool operator==(const MapEdit&) const = default;
};

// "add", "set", "del".
std::string_view MapEditKindName(MapEdit::Kind kind);

// The edits that take the shards map from `current` to `wanted`'s slot bindings: deletions
// first (entries of shards released, unbound or with static backends), then changed bindings
// (set), then new ones (add), each group in key order. Empty when the map is in line.
std::vector<MapEdit> DiffBindingMap(const std::map<std::string, std::string>& current,
                                    const BackendBinding& wanted);

// The shards map file for the binding: one "<shard> <base>" line per slot-bound shard, in shard
// order, so that an HAProxy restart starts from the same bindings.
std::string RenderBindingMap(const BackendBinding& binding);

// Sends the edits in order and stops at the first failure (a later add may reuse the slot an
// earlier del freed), returning it annotated with the edit. A set whose key HAProxy lacks
// becomes an add, and a del of a key HAProxy lacks is done already: the map may have changed
// since it was read. Thread-safety: as the client's socket.
Status ApplyMapEdits(haproxy::RuntimeClient& client, std::string_view map_path,
                     const std::vector<MapEdit>& edits);

}  // namespace shardgate::controller
