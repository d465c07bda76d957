// StatsConnection: one-shot exchanges (read until HAProxy closes) and the kept interactive
// connection (read until the prompt).
#include "haproxy/stats_connection.h"

#include <optional>

#include "haproxy/cli_prompt.h"

namespace shardgate::haproxy {
namespace {

// A command is one line, optionally followed by "<<\n" and a payload of complete lines; HAProxy
// ends the payload at the first empty line, which Execute adds.
Status CheckCommand(std::string_view command) {
  size_t marker = command.find("<<\n");
  std::string_view line = command.substr(0, marker);
  if (line.empty()) return InvalidArgument("empty runtime-API command");
  if (line.find('\n') != std::string_view::npos) {
    return InvalidArgument("runtime-API command contains a newline outside its payload");
  }
  if (marker == std::string_view::npos) return Status::Ok();
  std::string_view payload = command.substr(marker + 3);
  if (payload.empty() || payload.back() != '\n' || payload.find("\n\n") != std::string_view::npos ||
      payload.front() == '\n') {
    return InvalidArgument("runtime-API payload must be non-empty lines each ending in a newline");
  }
  return Status::Ok();
}

// The bytes that carry `command`: its final newline ends the command line, or, after a payload,
// is the empty line that ends the payload.
std::string Wire(std::string_view command) {
  std::string out(command);
  out += '\n';
  return out;
}

}  // namespace

Result<std::string> StatsConnection::Execute(std::string_view command) {
  RETURN_IF_ERROR(CheckCommand(command));
  const auto deadline = SteadyClock::now() + timeout_;
  if (!policy_.keep_alive) return ExecutePerCommand(command, deadline);
  std::lock_guard<std::mutex> lock(mu_);
  Result<std::string> reply = ExecuteKept(command, deadline);
  if (!reply.ok()) kept_.reset();
  return reply;
}

Result<std::string> StatsConnection::ExecutePerCommand(std::string_view command,
                                                       SteadyClock::time_point deadline) {
  ASSIGN_OR_RETURN(Endpoint endpoint, resolve_());
  ASSIGN_OR_RETURN(Fd fd, ConnectWithin(endpoint, deadline, peer_));
  RETURN_IF_ERROR(SendAll(fd.get(), Wire(command), deadline, peer_).status);
  std::string reply;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSome(fd.get(), &reply, deadline, peer_));
    if (n == 0) return reply;  // non-interactive mode: HAProxy closes after the reply
  }
}

Result<std::string> StatsConnection::ExecuteKept(std::string_view command,
                                                 SteadyClock::time_point deadline) {
  if (kept_.valid() &&
      (SteadyClock::now() - opened_at_ >= policy_.max_age || IdleConnectionIsDead(kept_.get()))) {
    kept_.reset();
  }
  if (!kept_.valid()) RETURN_IF_ERROR(Open(deadline));
  RETURN_IF_ERROR(SendKept(Wire(command), deadline));
  return ReadInteractiveReply(command, deadline);
}

Status StatsConnection::Open(SteadyClock::time_point deadline) {
  kept_.reset();
  ASSIGN_OR_RETURN(Endpoint endpoint, resolve_());
  ASSIGN_OR_RETURN(kept_, ConnectWithin(endpoint, deadline, peer_));
  opened_at_ = SteadyClock::now();
  RETURN_IF_ERROR(SendAll(kept_.get(), Wire(kPromptCommand), deadline, peer_).status);
  Result<std::string> reply = ReadInteractiveReply(kPromptCommand, deadline);
  if (!reply.ok() || *reply == "\n") return reply.status();
  return ProtocolError(peer_ + " did not enter interactive mode: '" + reply->substr(0, 80) + "'");
}

Status StatsConnection::SendKept(std::string_view bytes, SteadyClock::time_point deadline) {
  SendOutcome sent = SendAll(kept_.get(), bytes, deadline, peer_);
  if (sent.status.ok() || !sent.peer_closed) return sent.status;
  // HAProxy closed the connection between the check and the write: the command did not reach
  // it (its last byte, the one that runs it, was not sent), so it goes once more on a new one.
  RETURN_IF_ERROR(Open(deadline));
  return SendAll(kept_.get(), bytes, deadline, peer_).status;
}

Result<std::string> StatsConnection::ReadInteractiveReply(std::string_view command,
                                                          SteadyClock::time_point deadline) {
  std::string bytes;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSome(kept_.get(), &bytes, deadline, peer_));
    if (n == 0) {
      return Unavailable(peer_ + " closed the connection before the end of the reply to '" +
                         std::string(command.substr(0, command.find('\n'))) + "' (" +
                         std::to_string(bytes.size()) + " bytes read)");
    }
    ASSIGN_OR_RETURN(std::optional<std::string> reply, UnframeInteractiveReply(command, bytes));
    if (reply) return std::move(*reply);
  }
}

}  // namespace shardgate::haproxy
