// pgbench runs for the router benches: one timed run against a target, and rounds over several
// targets in alternating order (so drift of a noisy machine does not favour one of them).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace shardgate::bench {

struct PgbenchTarget {
  std::string name;       // printed
  int port = 0;           // on 127.0.0.1
  std::string pgoptions;  // PGOPTIONS, e.g. "-c shardgate.key=42"
  std::string sslmode;    // PGSSLMODE; "" = libpq's default (prefer)
};

// `pgbench -n -S -C -c <clients> -T <seconds>`: a select-only transaction on a new connection
// each. Bounded: killed after seconds + 30 s. Returns tps from the summary line. Errors:
// kInternal with the start of pgbench's stderr, kTimeout.
Result<double> RunPgbench(const PgbenchTarget& target, int clients, int seconds);

// `pgbench -i -q -s 1` against the server on `port`.
Status InitPgbench(int port);

// `rounds` rounds of RunPgbench over every target, even rounds in reverse order; prints one
// line per run ("<prefix>: round <r> <name> tps=<x>") and returns the mean tps per target, in
// the targets' order (a failed run counts as 0).
std::vector<double> RunPgbenchRounds(const std::string& prefix,
                                     const std::vector<PgbenchTarget>& targets, int rounds,
                                     int clients, int seconds);

}  // namespace shardgate::bench
