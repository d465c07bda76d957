// ParseServerStats on `show stat` answers as HAProxy 2.6 writes them.
#include "haproxy/server_stats.h"

#include <doctest/doctest.h>

namespace shardgate::haproxy {
namespace {

constexpr std::string_view kReply =
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,\n"
    "shard_1_rw,pg-1a,0,0,3,5,,10,0,0,,0,,0,0,0,0,UP,100,1,0,\n"
    "shard_1_rw,pg-1b,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,0,1,0,\n"
    "shard_1_rw,BACKEND,0,0,3,5,,10,0,0,0,0,,0,0,0,0,UP,100,1,0,\n"
    "\n";

TEST_CASE("servers come with status, weight and current sessions; backend rows are skipped") {
  auto stats = ParseServerStats(kReply);
  REQUIRE(stats.ok());
  REQUIRE(stats->size() == 2);
  CHECK((*stats)[0] == ServerStat{"shard_1_rw", "pg-1a", "UP", 100, 3});
  CHECK((*stats)[1] == ServerStat{"shard_1_rw", "pg-1b", "MAINT", 0, 0});
}

TEST_CASE("a reply without the header, a missing column or a bad number is a protocol error") {
  CHECK(ParseServerStats("shard_1_rw,pg-1a,0\n").status().message() ==
        "show stat: data before the header line");
  CHECK(ParseServerStats("").status().message() == "show stat: no header line");
  CHECK(ParseServerStats("# pxname,svname,status,weight\n").status().message() ==
        "show stat: no \"scur\" column");
  CHECK(ParseServerStats("# pxname,svname,scur,status,weight\nb,s,x,UP,1\n").status().message() ==
        "show stat: line 2: weight or scur is not a number");
  CHECK(ParseServerStats("# pxname,svname,scur,status,weight\nb,s\n").status().message() ==
        "show stat: line 2 is short");
}

}  // namespace
}  // namespace shardgate::haproxy
