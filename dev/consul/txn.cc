// KV transaction verbs and their failure texts (as in Consul's state/txn.go).
#include "dev/consul/txn.h"

#include <set>

namespace shardgate::consul::dev {
namespace {

std::string Q(const std::string& s) { return "\"" + s + "\""; }

struct OpContext {
  KvStore& kv;
  const std::function<bool(const std::string&)>& session_exists;
  uint64_t idx;
  SteadyTime now;
  TxnOutcome& out;
};

void AddResult(OpContext& c, const KvEntry* e, bool with_value) {
  if (e == nullptr) return;
  c.out.results.push_back({*e, with_value});
}

// Returns the failure text, or "" on success.
std::string ApplyWrite(OpContext& c, const TxnOp& op) {
  KvWrite w;
  if (op.verb == "set") {
    w = c.kv.Set(op.key, op.value, op.flags, c.idx);
  } else if (op.verb == "cas") {
    w = c.kv.Cas(op.key, op.value, op.flags, op.index, c.idx);
    if (!w.ok) return "failed to set key " + Q(op.key) + ", index is stale";
  } else if (op.verb == "lock") {
    if (op.session.empty()) return "missing session";
    if (c.kv.InLockDelay(op.key, c.now))
      return "failed to lock key " + Q(op.key) + " due to lock delay";
    if (!c.session_exists(op.session)) return "invalid session " + Q(op.session);
    w = c.kv.Lock(op.key, op.value, op.flags, op.session, c.idx);
    if (!w.ok) return "failed to lock key " + Q(op.key) + ", lock is already held";
  } else if (op.verb == "unlock") {
    w = c.kv.Unlock(op.key, op.value, op.flags, op.session, c.idx);
    if (!w.ok) {
      return "failed to unlock key " + Q(op.key) +
             ", lock isn't held, or is held by another session";
    }
  }
  c.out.changed = c.out.changed || w.changed;
  AddResult(c, c.kv.Get(op.key), false);
  return "";
}

std::string ApplyDelete(OpContext& c, const TxnOp& op) {
  KvWrite w;
  if (op.verb == "delete") {
    w = c.kv.Delete(op.key, c.idx, c.now);
  } else if (op.verb == "delete-tree") {
    w = c.kv.DeleteTree(op.key, c.idx, c.now);
  } else {
    w = c.kv.DeleteCas(op.key, op.index, c.idx, c.now);
    if (!w.ok) return "failed to delete key " + Q(op.key) + ", index is stale";
  }
  c.out.changed = c.out.changed || w.changed;
  return "";
}

std::string ApplyRead(OpContext& c, const TxnOp& op) {
  const KvEntry* e = c.kv.Get(op.key);
  if (op.verb == "get") {
    if (e == nullptr) return "key " + Q(op.key) + " doesn't exist";
    AddResult(c, e, true);
  } else if (op.verb == "get-or-empty") {
    KvEntry empty{op.key};
    AddResult(c, e != nullptr ? e : &empty, true);
  } else if (op.verb == "get-tree") {
    for (const KvEntry* child : c.kv.List(op.key)) AddResult(c, child, true);
  } else if (op.verb == "check-index") {
    if (e == nullptr) return "failed to check index, key " + Q(op.key) + " doesn't exist";
    if (e->modify_index != op.index) {
      return "failed index check for key " + Q(op.key) + ", current modify index " +
             std::to_string(e->modify_index) + " != " + std::to_string(op.index);
    }
    AddResult(c, e, false);
  } else if (op.verb == "check-session") {
    if (e == nullptr) return "failed to check session, key " + Q(op.key) + " doesn't exist";
    if (e->session != op.session) {
      return "failed session check for key " + Q(op.key) + ", current session " + Q(e->session) +
             " != " + Q(op.session);
    }
    AddResult(c, e, false);
  } else {
    if (e != nullptr) return "key " + Q(op.key) + " exists";
  }
  return "";
}

const std::set<std::string>& WriteVerbs() {
  static const std::set<std::string> v{"set", "cas", "lock", "unlock"};
  return v;
}
const std::set<std::string>& DeleteVerbs() {
  static const std::set<std::string> v{"delete", "delete-tree", "delete-cas"};
  return v;
}
const std::set<std::string>& ReadVerbs() {
  static const std::set<std::string> v{"get",         "get-or-empty",  "get-tree",
                                       "check-index", "check-session", "check-not-exists"};
  return v;
}

}  // namespace

bool IsReadOnlyTxn(const std::vector<TxnOp>& ops) {
  for (const TxnOp& op : ops) {
    if (!ReadVerbs().contains(op.verb) || op.verb == "get-or-empty") return false;
  }
  return true;
}

TxnOutcome ApplyTxn(KvStore& kv, const std::vector<TxnOp>& ops,
                    const std::function<bool(const std::string&)>& session_exists, uint64_t idx,
                    SteadyTime now) {
  TxnOutcome out;
  OpContext c{kv, session_exists, idx, now, out};
  for (size_t i = 0; i < ops.size(); ++i) {
    const TxnOp& op = ops[i];
    std::string what;
    if (WriteVerbs().contains(op.verb)) {
      what = ApplyWrite(c, op);
    } else if (DeleteVerbs().contains(op.verb)) {
      what = ApplyDelete(c, op);
    } else if (ReadVerbs().contains(op.verb)) {
      what = ApplyRead(c, op);
    } else {
      what = "unknown KV verb " + Q(op.verb);
    }
    if (!what.empty()) out.errors.push_back({i, what});
  }
  out.ok = out.errors.empty();
  if (!out.ok) {
    out.results.clear();
    out.changed = false;
  }
  return out;
}

}  // namespace shardgate::consul::dev
