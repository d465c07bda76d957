// The harness itself: PostgreSQL primary + replica, freeze/thaw, HAProxy, and a clean teardown.
#include <doctest/doctest.h>

#include <sys/types.h>

#include <vector>

#include "common/file.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/stack.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

using std::chrono::seconds;

// The pids of `pids` that still run.
std::vector<pid_t> LivePids(const std::vector<pid_t>& pids) {
  std::vector<pid_t> alive;
  for (pid_t pid : pids) {
    if (PidAlive(pid)) alive.push_back(pid);
  }
  return alive;
}

TEST_CASE("a variable given twice to a child takes its last value") {
  auto run = RunCommand({"sh", "-c", "printf %s \"$SG_TWICE\""},
                        {{"SG_TWICE", ""}, {"SG_TWICE", "b"}});
  REQUIRE(run.ok());
  CHECK(run->out == "b");
}

TEST_CASE("a replica streams what the primary writes and both report their cluster_name") {
  auto dir = TempDir::Create("shardgate-smoke");
  REQUIRE(dir.ok());
  auto primary = PgNode::StartPrimary({"n1", "shard_9/n1", (*dir)->path(), 0});
  REQUIRE_MESSAGE(primary.ok(), primary.status().ToString());
  auto replica = PgNode::StartReplica(**primary, {"n2", "shard_9/n2", (*dir)->path(), 0});
  REQUIRE_MESSAGE(replica.ok(), replica.status().ToString());

  CHECK((*primary)->Query("show cluster_name").value() == "shard_9/n1");
  CHECK((*replica)->Query("show cluster_name").value() == "shard_9/n2");
  CHECK((*replica)->role() == PgRole::kReplica);
  CHECK((*replica)->Query("select pg_is_in_recovery()").value() == "t");

  REQUIRE((*primary)->Query("create table smoke(v text); insert into smoke values ('hello')").ok());
  Status seen = (*replica)->WaitForValue("select coalesce((select v from smoke), 'none')", "hello",
                                         seconds(15));
  CHECK_MESSAGE(seen.ok(), seen.ToString());
}

TEST_CASE("a frozen node makes queries time out and answers again once thawed") {
  auto dir = TempDir::Create("shardgate-smoke");
  REQUIRE(dir.ok());
  auto node = PgNode::StartPrimary({"n1", "shard_9/n1", (*dir)->path(), 0});
  REQUIRE_MESSAGE(node.ok(), node.status().ToString());

  std::vector<pid_t> children = ChildPids((*node)->pid());
  REQUIRE_FALSE(children.empty());
  REQUIRE((*node)->Freeze().ok());
  CHECK(ProcessState((*node)->pid()) == 'T');
  for (pid_t child : children) CHECK(ProcessState(child) == 'T');
  auto frozen = (*node)->Query("select 1", seconds(2));
  REQUIRE_FALSE(frozen.ok());
  CHECK(frozen.status().code() == Code::kTimeout);

  REQUIRE((*node)->Thaw().ok());
  auto thawed = (*node)->Query("select 1", seconds(10));
  CHECK(thawed.ok());
  CHECK(thawed.value() == "1");
}

TEST_CASE("a stack starts haproxy from the rendered config and leaves nothing behind") {
  std::vector<pid_t> pids;
  std::filesystem::path dir;
  std::filesystem::path env_path = std::filesystem::temp_directory_path() / "shardgate-smoke.env";
  {
    StackOptions options;
    options.shards = {"shard_1", "shard_2"};
    options.replicas = 1;
    options.segments = {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
    auto stack = Stack::Start(options);
    REQUIRE_MESSAGE(stack.ok(), stack.status().ToString());
    Stack& s = **stack;
    dir = s.dir();
    for (PgNode* n : s.Nodes()) {
      pids.push_back(n->pid());
      for (pid_t child : ChildPids(n->pid())) pids.push_back(child);
    }
    pids.push_back(s.haproxy()->pid());
    CHECK(s.Nodes().size() == 4);
    CHECK(LivePids(pids).size() == pids.size());

    auto info = s.haproxy()->Runtime("show info");
    REQUIRE(info.ok());
    CHECK(info->find("Pid: " + std::to_string(s.haproxy()->pid())) != std::string::npos);

    REQUIRE(s.WriteEnvFile(env_path).ok());
    Result<std::string> env_file = ReadFile(env_path);
    REQUIRE_MESSAGE(env_file.ok(), env_file.status().ToString());
    const std::string& env = *env_file;
    CHECK(env.find("export SHARDGATE_RW_PORT='" + std::to_string(s.rw_port()) + "'") !=
          std::string::npos);
    CHECK(env.find("shard_2/n2:" + std::to_string(s.Node("shard_2", "n2")->port()) + ":replica") !=
          std::string::npos);

    PsqlArgs args;
    args.port = s.rw_port();
    args.options = "-c shardgate.key=42";
    args.sql = "show cluster_name";
    auto routed = Psql(args);
    REQUIRE(routed.ok());
    CHECK_MESSAGE(routed->exit_code == 0, routed->err);
    CHECK(FirstLine(routed->out) == "shard_1/n1");
  }
  std::filesystem::remove(env_path);
  CHECK(LivePids(pids).empty());
  CHECK_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace shardgate::harness
