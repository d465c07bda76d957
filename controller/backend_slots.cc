// Binding shards without static backends to spare backend slots, and the shards-map edits.
#include "controller/backend_slots.h"

#include <algorithm>
#include <set>

#include "common/numbers.h"
#include "haproxy/config.h"

namespace shardgate::controller {
namespace {

// The slot index of a spare base "shardgate_spare_<i>" (i >= 1, written as SpareBackendBase
// writes it), or 0 when `base` is not one.
int SlotIndex(std::string_view base) {
  if (base.substr(0, haproxy::kSpareBackendPrefix.size()) != haproxy::kSpareBackendPrefix) return 0;
  int index = 0;
  if (!ParseInteger(base.substr(haproxy::kSpareBackendPrefix.size()), &index) || index < 1)
    return 0;
  return haproxy::SpareBackendBase(index) == base ? index : 0;
}

// What `show backend` says about bases: the ones with both backends of a pair, and the slots
// among them by index.
struct Pairs {
  std::set<std::string> both;  // bases with "<base>_rw" and "<base>_ro"
  std::map<int, std::string> slots;
};

Pairs FindPairs(const std::vector<std::string>& backends) {
  std::set<std::string> rw;
  std::set<std::string> ro;
  for (const std::string& name : backends) {
    if (name.size() <= 3) continue;
    std::string base = name.substr(0, name.size() - 3);
    std::string_view suffix = std::string_view(name).substr(name.size() - 3);
    if (suffix == "_rw") rw.insert(base);
    if (suffix == "_ro") ro.insert(base);
  }
  Pairs pairs;
  for (const std::string& base : rw) {
    if (!ro.count(base)) continue;
    pairs.both.insert(base);
    if (int index = SlotIndex(base); index > 0) pairs.slots[index] = base;
  }
  return pairs;
}

}  // namespace

bool IsSlotBound(const std::string& shard, const std::string& base) { return shard != base; }

BackendBinding BindBackends(const std::vector<std::string>& shards,
                            const std::vector<std::string>& backends,
                            const std::map<std::string, std::string>& current) {
  const Pairs pairs = FindPairs(backends);
  const std::set<std::string> wanted(shards.begin(), shards.end());
  BackendBinding binding;
  std::set<std::string> taken;  // slot bases in use
  std::vector<std::string> unplaced;
  for (const std::string& shard : wanted) {
    if (SlotIndex(shard) > 0) {
      binding.unbound.push_back(shard);
      taken.insert(shard);
    } else if (pairs.both.count(shard)) {
      binding.base[shard] = shard;
    } else {
      unplaced.push_back(shard);
    }
  }
  // Kept bindings first, so that a new shard never takes a slot a bound shard still holds.
  std::vector<std::string> need_slot;
  for (const std::string& shard : unplaced) {
    auto it = current.find(shard);
    bool keep = it != current.end() && SlotIndex(it->second) > 0 && pairs.both.count(it->second) &&
                !taken.count(it->second);
    if (keep) {
      binding.base[shard] = it->second;
      taken.insert(it->second);
    } else {
      need_slot.push_back(shard);
    }
  }
  auto next = pairs.slots.begin();
  for (const std::string& shard : need_slot) {
    while (next != pairs.slots.end() && taken.count(next->second)) ++next;
    if (next == pairs.slots.end()) {
      binding.unbound.push_back(shard);
      continue;
    }
    binding.base[shard] = next->second;
    taken.insert(next->second);
  }
  std::sort(binding.unbound.begin(), binding.unbound.end());
  return binding;
}

std::string_view MapEditKindName(MapEdit::Kind kind) {
  switch (kind) {
    case MapEdit::Kind::kAdd: return "add";
    case MapEdit::Kind::kSet: return "set";
    case MapEdit::Kind::kDel: return "del";
  }
  return "?";
}

std::vector<MapEdit> DiffBindingMap(const std::map<std::string, std::string>& current,
                                    const BackendBinding& wanted) {
  std::vector<MapEdit> dels;
  std::vector<MapEdit> sets;
  std::vector<MapEdit> adds;
  for (const auto& [shard, base] : current) {
    auto it = wanted.base.find(shard);
    if (it == wanted.base.end() || !IsSlotBound(shard, it->second)) {
      dels.push_back({MapEdit::Kind::kDel, shard, ""});
    }
  }
  for (const auto& [shard, base] : wanted.base) {
    if (!IsSlotBound(shard, base)) continue;
    auto it = current.find(shard);
    if (it == current.end()) {
      adds.push_back({MapEdit::Kind::kAdd, shard, base});
    } else if (it->second != base) {
      sets.push_back({MapEdit::Kind::kSet, shard, base});
    }
  }
  dels.insert(dels.end(), sets.begin(), sets.end());
  dels.insert(dels.end(), adds.begin(), adds.end());
  return dels;
}

std::string RenderBindingMap(const BackendBinding& binding) {
  std::string text;
  for (const auto& [shard, base] : binding.base) {
    if (IsSlotBound(shard, base)) text += shard + " " + base + "\n";
  }
  return text;
}

namespace {

Status ApplyMapEdit(haproxy::RuntimeClient& client, std::string_view map_path,
                    const MapEdit& edit) {
  switch (edit.kind) {
    case MapEdit::Kind::kAdd: return client.AddMapEntry(map_path, edit.key, edit.value);
    case MapEdit::Kind::kSet: {
      ASSIGN_OR_RETURN(bool found, client.SetMapEntry(map_path, edit.key, edit.value));
      return found ? Status::Ok() : client.AddMapEntry(map_path, edit.key, edit.value);
    }
    case MapEdit::Kind::kDel: return client.DelMapEntry(map_path, edit.key).status();
  }
  return Status::Ok();
}

}  // namespace

Status ApplyMapEdits(haproxy::RuntimeClient& client, std::string_view map_path,
                     const std::vector<MapEdit>& edits) {
  for (const MapEdit& edit : edits) {
    RETURN_IF_ERROR(Annotate(ApplyMapEdit(client, map_path, edit),
                             std::string(MapEditKindName(edit.kind)) + " " + edit.key));
  }
  return Status::Ok();
}

}  // namespace shardgate::controller
