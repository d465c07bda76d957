// Names of status codes, Status formatting and annotation, and the abort on a misused Result.
#include "common/status.h"

#include <cstdio>
#include <cstdlib>

namespace shardgate {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimeout: return "timeout";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kProtocol: return "protocol";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Annotate(const Status& status, std::string_view context) {
  if (status.ok()) return status;
  std::string message(context);
  message += ": ";
  message += status.message();
  return Status(status.code(), std::move(message));
}

namespace internal {

void DieOnErrorValue(const Status& status) {
  std::fprintf(stderr, "Result::value() on error: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace internal

}  // namespace shardgate
