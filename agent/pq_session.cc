// PqSession: libpq connect/query driven by poll(2) so every wait has a millisecond deadline.
#include "agent/pq_session.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace shardgate::agent {
namespace {

std::string Trimmed(std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  return msg;
}

std::string LastError(PGconn* conn) {
  return Trimmed(conn ? PQerrorMessage(conn) : "out of memory");
}

void AppendRows(PGresult* res, QueryResult* out) {
  out->columns.clear();
  out->rows.clear();
  for (int c = 0; c < PQnfields(res); ++c) out->columns.emplace_back(PQfname(res, c));
  for (int r = 0; r < PQntuples(res); ++r) {
    auto& row = out->rows.emplace_back();
    for (int c = 0; c < PQnfields(res); ++c) {
      if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
      else row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
    }
  }
}

}  // namespace

PqSession::PqSession(const Clock& clock, std::string conninfo, Millis connect_timeout)
    : clock_(clock), conninfo_(std::move(conninfo)), connect_timeout_(connect_timeout) {}

PqSession::~PqSession() { Close(); }

void PqSession::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

Status PqSession::Fail(Status status) {
  Close();
  return status;
}

Status PqSession::WaitSocket(bool for_write, SteadyTime deadline, const char* what) {
  for (;;) {
    auto left = std::chrono::ceil<Millis>(deadline - clock_.Now());
    if (left <= Millis(0)) return Timeout(std::string(what) + " deadline passed");
    pollfd pfd{PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    if (pfd.fd < 0) return Unavailable(std::string(what) + ": no socket");
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n > 0) return Status::Ok();
    if (n < 0 && errno != EINTR) return Unavailable(std::string(what) + ": poll failed");
  }
}

Status PqSession::Connect(SteadyTime deadline) {
  deadline = std::min(deadline, clock_.Now() + connect_timeout_);
  // application_name first so a value in the user's conninfo wins.
  const char* keys[] = {"application_name", "dbname", nullptr};
  const char* values[] = {"shardgate-agent", conninfo_.c_str(), nullptr};
  conn_ = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    return Fail(Unavailable("connect: " + LastError(conn_)));
  }
  for (;;) {
    PostgresPollingStatusType st = PQconnectPoll(conn_);
    if (st == PGRES_POLLING_OK) break;
    if (st == PGRES_POLLING_FAILED) return Fail(Unavailable("connect: " + LastError(conn_)));
    Status waited = WaitSocket(st == PGRES_POLLING_WRITING, deadline, "connect");
    if (!waited.ok()) return Fail(waited);
  }
  if (PQsetnonblocking(conn_, 1) != 0) return Fail(Unavailable("connect: " + LastError(conn_)));
  return Status::Ok();
}

Status PqSession::Send(const char* sql, SteadyTime deadline) {
  if (PQsendQuery(conn_, sql) == 0) return Fail(Unavailable("query: " + LastError(conn_)));
  for (int flushed = PQflush(conn_); flushed != 0; flushed = PQflush(conn_)) {
    if (flushed < 0) return Fail(Unavailable("query: " + LastError(conn_)));
    Status waited = WaitSocket(/*for_write=*/true, deadline, "query");
    if (!waited.ok()) return Fail(waited);
  }
  return Status::Ok();
}

Result<QueryResult> PqSession::RunQuery(const char* sql, SteadyTime deadline) {
  RETURN_IF_ERROR(Send(sql, deadline));
  QueryResult out;
  Status outcome = ProtocolError("query returned no result");
  for (;;) {
    while (PQisBusy(conn_)) {
      Status waited = WaitSocket(/*for_write=*/false, deadline, "query");
      if (!waited.ok()) return Fail(waited);
      if (PQconsumeInput(conn_) == 0) return Fail(Unavailable("query: " + LastError(conn_)));
    }
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) break;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
      AppendRows(res, &out);
      outcome = Status::Ok();
    } else {
      outcome = Unavailable("query: " + Trimmed(PQresultErrorMessage(res)));
    }
    PQclear(res);
  }
  if (!outcome.ok()) return Fail(outcome);
  return out;
}

Result<QueryResult> PqSession::Query(const char* sql, SteadyTime deadline) {
  if (conn_ != nullptr && PQstatus(conn_) != CONNECTION_OK) Close();
  bool reused = conn_ != nullptr;
  if (!reused) {
    RETURN_IF_ERROR(Connect(deadline));
  }
  auto result = RunQuery(sql, deadline);
  // A kept connection may have died with a restarted server: one fresh attempt within the same
  // deadline tells "server down" from "our old socket is stale".
  if (!result.ok() && reused && result.status().code() == Code::kUnavailable) {
    RETURN_IF_ERROR(Connect(deadline));
    result = RunQuery(sql, deadline);
  }
  return result;
}

}  // namespace shardgate::agent
