// Tests for whole-file reads and writes (in a fresh directory under the system temp dir).
#include "common/file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fakes/scratch_dir.h"

namespace shardgate {
namespace {

using testing::ScratchDir;

TEST_CASE("a written file reads back byte for byte") {
  ScratchDir dir;
  std::string bytes("a\0b\r\n\xff", 6);
  REQUIRE(WriteFile(dir / "f", bytes).ok());
  CHECK(ReadFile(dir / "f").value() == bytes);
  REQUIRE(WriteFile(dir / "f", "shorter").ok());
  CHECK(ReadFile(dir / "f").value() == "shorter");
  REQUIRE(WriteFile(dir / "empty", "").ok());
  CHECK(ReadFile(dir / "empty").value().empty());
}

TEST_CASE("reading a missing file is not_found and names the path and the reason") {
  ScratchDir dir;
  Result<std::string> r = ReadFile(dir / "nope");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
  CHECK(r.status().message() ==
        "cannot read " + (dir / "nope").string() + ": No such file or directory");
}

TEST_CASE("reading a directory or writing into a missing one is an error, not empty content") {
  ScratchDir dir;
  Result<std::string> r = ReadFile(dir / "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("Is a directory") != std::string::npos);
  Status w = WriteFile(dir / "missing/f", "x");
  CHECK(w.code() == Code::kNotFound);
  CHECK(w.message().starts_with("cannot write " + (dir / "missing/f").string() + ": "));
}

TEST_CASE("an atomic write replaces the file, leaves no temporary file and keeps the mode") {
  ScratchDir dir;
  REQUIRE(WriteFile(dir / "snap", "old").ok());
  REQUIRE(WriteFileAtomically(dir / "snap", "new", 0600).ok());
  CHECK(ReadFile(dir / "snap").value() == "new");
  CHECK_FALSE(std::filesystem::exists(dir / "snap.tmp"));
  struct stat st {};
  REQUIRE(stat((dir / "snap").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

}  // namespace
}  // namespace shardgate
