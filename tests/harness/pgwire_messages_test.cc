// Unit tests of the test-side wire bytes and of the fuzz generator's determinism.
#include <doctest/doctest.h>

#include "tests/harness/pgwire_fuzz.h"
#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {
namespace {

TEST_CASE("a startup message carries its length, protocol 3.0, the params and a final NUL") {
  std::string packet = StartupMessage({{"user", "u"}});
  CHECK(packet == std::string("\0\0\0\x10\0\3\0\0user\0u\0\0", 16));
}

TEST_CASE("ssl, gssenc and cancel requests use the documented codes and lengths") {
  CHECK(SslRequest() == std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8));
  CHECK(ReadInt32(GssEncRequest(), 4) == 80877104);
  std::string cancel = CancelRequest(7, -1);
  CHECK(cancel.size() == 16);
  CHECK(ReadInt32(cancel, 8) == 7);
  CHECK(ReadInt32(cancel, 12) == -1);
}

TEST_CASE("take message waits for a whole message and then removes exactly it") {
  std::string wire = ReadyForQuery('I') + TerminateMessage();
  std::string buffer = wire.substr(0, 5);
  auto partial = TakeMessage(buffer);
  REQUIRE(partial.ok());
  CHECK_FALSE(partial->has_value());
  buffer = wire;
  auto first = TakeMessage(buffer);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((**first).type == 'Z');
  CHECK((**first).body == "I");
  CHECK(buffer == TerminateMessage());
}

TEST_CASE("take message refuses a length below four") {
  std::string buffer("E\0\0\0\x02", 5);
  CHECK(TakeMessage(buffer).status().code() == Code::kProtocol);
}

TEST_CASE("an error response round-trips its SQLSTATE and message") {
  std::string buffer = ErrorResponse("08P01", "invalid startup packet");
  auto message = TakeMessage(buffer);
  REQUIRE(message.ok());
  auto fields = ParseErrorFields((**message).body);
  REQUIRE(fields.ok());
  CHECK(fields->severity == "FATAL");
  CHECK(fields->sqlstate == "08P01");
  CHECK(fields->message == "invalid startup packet");
}

TEST_CASE("an error response without its final NUL is refused") {
  CHECK_FALSE(ParseErrorFields(std::string("C08P01\0", 7)).ok());
}

TEST_CASE("a data row yields values and SQL NULLs") {
  std::string body("\0\2", 2);
  AppendInt32(body, 2);
  body += "ab";
  AppendInt32(body, -1);
  auto row = ParseDataRow(body);
  REQUIRE(row.ok());
  REQUIRE(row->size() == 2);
  CHECK((*row)[0] == "ab");
  CHECK_FALSE((*row)[1].has_value());
  CHECK_FALSE(ParseDataRow(body.substr(0, 8)).ok());
}

TEST_CASE("a row description yields the column names") {
  std::string body("\0\1cluster_name\0", 15);
  body.append(18, '\0');
  auto columns = ParseRowDescription(body);
  REQUIRE(columns.ok());
  CHECK(*columns == std::vector<std::string>{"cluster_name"});
  CHECK_FALSE(ParseRowDescription(body.substr(0, 20)).ok());
}

TEST_CASE("the fuzzer replays the same cases for the same seed and differs for another") {
  StartupFuzzer a(7), b(7), c(8);
  bool any_difference = false;
  for (int i = 0; i < 200; ++i) {
    FuzzCase x = a.Next(), y = b.Next(), z = c.Next();
    CHECK(x.bytes == y.bytes);
    CHECK(x.kind == y.kind);
    any_difference = any_difference || x.bytes != z.bytes;
  }
  CHECK(any_difference);
}

TEST_CASE("the fuzzer produces every kind, and oversize cases exceed the startup limit") {
  StartupFuzzer fuzzer(1);
  std::vector<int> seen(kFuzzKindCount, 0);
  for (int i = 0; i < 3000; ++i) {
    FuzzCase c = fuzzer.Next();
    ++seen[static_cast<size_t>(c.kind)];
    CHECK_FALSE(c.bytes.empty());
    if (c.kind == FuzzKind::kOversize) CHECK(c.bytes.size() > kMaxStartupPacketBytes);
    if (c.kind == FuzzKind::kOddCancel) CHECK(ReadInt32(c.bytes, 0) != 16);
    if (c.kind == FuzzKind::kWrongProtocol) CHECK((ReadInt32(c.bytes, 4) >> 16) != 3);
  }
  for (int i = 0; i < kFuzzKindCount; ++i) CHECK_MESSAGE(seen[i] > 0, FuzzKindName(FuzzKind(i)));
}

TEST_CASE("the TLS-shaped cases start as the router's TLS detection expects, then go wrong") {
  StartupFuzzer fuzzer(3);
  const std::string ssl = SslRequest();
  const std::string tls_start("\x16\x03", 2);
  std::vector<int> seen(kFuzzKindCount, 0);
  for (int i = 0; i < 5000; ++i) {
    FuzzCase c = fuzzer.Next();
    ++seen[static_cast<size_t>(c.kind)];
    std::string after_ssl = c.bytes.substr(std::min(c.bytes.size(), ssl.size()));
    switch (c.kind) {
      case FuzzKind::kSslThenTlsCut:
        CHECK(c.bytes.substr(0, ssl.size()) == ssl);
        CHECK(after_ssl.size() >= 1);
        CHECK(after_ssl.size() <= 4);  // a record header is 5 bytes
        CHECK(after_ssl[0] == '\x16');
        break;
      case FuzzKind::kSslThenHello:
        CHECK(c.bytes.substr(0, ssl.size()) == ssl);
        CHECK(after_ssl.substr(0, 3) == std::string("\x16\x03\x01", 3));
        CHECK(after_ssl.size() >= 5);
        break;
      case FuzzKind::kDirectTlsLike: CHECK(c.bytes.substr(0, 2) == tls_start); break;
      default: break;
    }
  }
  for (FuzzKind kind :
       {FuzzKind::kSslThenTlsCut, FuzzKind::kSslThenHello, FuzzKind::kDirectTlsLike}) {
    CHECK_MESSAGE(seen[static_cast<size_t>(kind)] > 100, FuzzKindName(kind));
  }
}

}  // namespace
}  // namespace shardgate::harness
