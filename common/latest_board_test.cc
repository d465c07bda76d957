// LatestBoard: versions, edits, and every way a wait ends (news, Wake, deadline, stop).
#include "common/latest_board.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>

namespace shardgate {
namespace {

struct Figures {
  std::string text;
  int side = 0;
  uint64_t version = 0;
};

// A deadline no test reaches: waits in these tests end for another reason.
SteadyTime Never() { return std::chrono::steady_clock::now() + std::chrono::hours(1); }
// A deadline that has already passed.
SteadyTime Past() { return std::chrono::steady_clock::now() - std::chrono::seconds(1); }

TEST_CASE("a new board holds a default snapshot at version 0") {
  LatestBoard<Figures> board;
  Figures f = board.Snapshot();
  CHECK(f.version == 0);
  CHECK(f.text.empty());
}

TEST_CASE("each post replaces the snapshot and bumps the version, whatever the value says") {
  LatestBoard<Figures> board;
  board.Post(Figures{"a", 1, 77});
  CHECK(board.Snapshot().version == 1);
  CHECK(board.Snapshot().text == "a");
  board.PostEdit([](Figures& f) { f.text += "b"; });
  CHECK(board.Snapshot().version == 2);
  CHECK(board.Snapshot().text == "ab");
  CHECK(board.Snapshot().side == 1);
}

TEST_CASE("an amendment changes the snapshot without a new version and wakes no waiter") {
  LatestBoard<Figures> board;
  board.Post(Figures{"a"});
  board.Amend([](Figures& f) { f.side = 5; });
  Figures f = board.WaitNewer(1, Past());  // times out: nothing new
  CHECK(f.version == 1);
  CHECK(f.side == 5);
}

TEST_CASE("a wait returns at once when a newer version is already there") {
  LatestBoard<Figures> board;
  board.Post(Figures{"a"});
  CHECK(board.WaitNewer(0, Never()).text == "a");
  std::stop_source never;
  CHECK(board.WaitNewer(0, never.get_token()).version == 1);
}

TEST_CASE("a wait for news ends at its deadline with the current snapshot") {
  LatestBoard<Figures> board;
  board.Post(Figures{"a"});
  CHECK(board.WaitNewer(1, Past()).version == 1);
}

TEST_CASE("a stop request ends a wait, with or without a deadline") {
  LatestBoard<Figures> board;
  std::stop_source stop;
  stop.request_stop();
  CHECK(board.WaitNewer(0, Never(), stop.get_token()).version == 0);
  CHECK(board.WaitNewer(0, stop.get_token()).version == 0);
}

TEST_CASE("a Wake before the wait ends that wait once") {
  LatestBoard<Figures> board;
  board.Wake();
  CHECK(board.WaitNewer(0, Never()).version == 0);
  CHECK(board.WaitNewer(0, Past()).version == 0);  // consumed: this one runs to its deadline
}

TEST_CASE("a waiting reader is woken by a post from another thread") {
  LatestBoard<Figures> board;
  std::stop_source never;
  std::thread writer([&] { board.Post(Figures{"news"}); });
  Figures f = board.WaitNewer(0, never.get_token());  // no deadline: only the post ends it
  writer.join();
  CHECK(f.version == 1);
  CHECK(f.text == "news");
}

TEST_CASE("a waiting reader is released by a stop request from another thread") {
  LatestBoard<Figures> board;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  CHECK(board.WaitNewer(0, Never(), stop.get_token()).version == 0);
  stopper.join();
}

}  // namespace
}  // namespace shardgate
