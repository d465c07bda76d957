// Wire names of the Consul enums in consul/types.h.
#include "consul/types.h"

namespace shardgate::consul {

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPassing: return "passing";
    case CheckStatus::kWarning: return "warning";
    case CheckStatus::kCritical: return "critical";
  }
  return "critical";
}

const char* TxnVerbName(TxnVerb verb) {
  switch (verb) {
    case TxnVerb::kSet: return "set";
    case TxnVerb::kCas: return "cas";
    case TxnVerb::kLock: return "lock";
    case TxnVerb::kUnlock: return "unlock";
    case TxnVerb::kGet: return "get";
    case TxnVerb::kGetOrEmpty: return "get-or-empty";
    case TxnVerb::kGetTree: return "get-tree";
    case TxnVerb::kCheckIndex: return "check-index";
    case TxnVerb::kCheckSession: return "check-session";
    case TxnVerb::kCheckNotExists: return "check-not-exists";
    case TxnVerb::kDelete: return "delete";
    case TxnVerb::kDeleteTree: return "delete-tree";
    case TxnVerb::kDeleteCas: return "delete-cas";
  }
  return "set";
}

const char* SessionBehaviorName(SessionBehavior behavior) {
  return behavior == SessionBehavior::kDelete ? "delete" : "release";
}

}  // namespace shardgate::consul
