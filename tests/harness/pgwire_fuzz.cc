// A deterministic generator of random and mutated startup sequences (see pgwire_fuzz.h).
#include "tests/harness/pgwire_fuzz.h"

#include <array>

#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {
namespace {

constexpr std::array<std::string_view, kFuzzKindCount> kKindNames = {
    "random_bytes",     "short_length",     "huge_length",    "truncated",       "length_too_long",
    "length_too_short", "wrong_protocol",   "flipped_bytes",  "missing_nul",     "ssl_then_garbage",
    "gss_then_garbage", "ssl_then_tls_cut", "ssl_then_hello", "direct_tls_like", "odd_cancel",
    "odd_params",       "oversize",         "valid_startup"};

// Key texts that are not signed 64-bit integers, or are at the edges of the range.
constexpr std::array<std::string_view, 10> kOddKeys = {"abc",
                                                       "99999999999999999999",
                                                       "",
                                                       "-",
                                                       "0x10",
                                                       "1e3",
                                                       " 42",
                                                       "9223372036854775807",
                                                       "-9223372036854775808",
                                                       "42;drop"};

void SetLength(std::string& packet, int32_t length) { packet = WithLength(packet, length); }

// The first bytes of a TLS record: content type 22 (handshake) and major version 3, which is
// what the router looks for after its 'S' and at the start of a direct TLS connection.
constexpr char kTlsHandshake = 0x16;
constexpr char kTlsMajor = 0x03;

}  // namespace

std::string_view FuzzKindName(FuzzKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

uint64_t StartupFuzzer::Uniform(uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
}

std::string StartupFuzzer::RandomBytes(size_t min, size_t max) {
  std::string out(Uniform(min, max), '\0');
  for (char& c : out) c = static_cast<char>(Uniform(0, 255));
  return out;
}

std::string StartupFuzzer::ValidStartup() {
  // Mapped keys of the usual bench map, one unmapped key, and any 64-bit key.
  static constexpr std::array<int64_t, 4> kKeys = {42, 7000, -5, 20000};
  int64_t key = Uniform(0, 4) < 4 ? kKeys[Uniform(0, 3)] : static_cast<int64_t>(rng_());
  StartupParams params = {{"user", "postgres"},
                          {"database", "postgres"},
                          {"options", "-c shardgate.key=" + std::to_string(key)}};
  if (Uniform(0, 1) == 0) params.emplace_back("application_name", "fuzz");
  return StartupMessage(params);
}

std::string StartupFuzzer::OddParams() {
  std::string body;
  AppendInt32(body, kProtocol30);
  switch (Uniform(0, 4)) {
    case 0:  // a name without its value
      body.append("user\0postgres\0options", 21);
      break;
    case 1:  // an empty name
      body.append(std::string("\0x\0", 3));
      break;
    case 2:  // a key that is not a signed 64-bit integer
      body.append("options").push_back('\0');
      body.append("-c shardgate.key=").append(kOddKeys[Uniform(0, kOddKeys.size() - 1)]);
      body.push_back('\0');
      break;
    case 3:  // duplicate carrier parameters
      body.append(std::string("options\0-c shardgate.key=1\0options\0-c shardgate.key=x\0", 54));
      break;
    default:  // a bad role next to a good key
      body.append(std::string("options\0-c shardgate.key=42 -c shardgate.role=zz\0", 49));
      break;
  }
  body.push_back('\0');
  std::string packet;
  AppendInt32(packet, static_cast<int32_t>(body.size() + 4));
  return packet + body;
}

std::string StartupFuzzer::TlsRecordHeader() {
  // Handshake record, version 3.1 (what clients put in a ClientHello record), random length.
  std::string header = {kTlsHandshake, kTlsMajor, 0x01};
  uint64_t length = Uniform(0, 0xffff);
  header.push_back(static_cast<char>(length >> 8));
  header.push_back(static_cast<char>(length & 0xff));
  return header;
}

std::string StartupFuzzer::Build(FuzzKind kind) {
  switch (kind) {
    case FuzzKind::kRandomBytes: return RandomBytes(1, 64);
    case FuzzKind::kShortLength: {
      std::string packet = ValidStartup();
      SetLength(packet, static_cast<int32_t>(Uniform(0, 7)));
      return packet;
    }
    case FuzzKind::kHugeLength: {
      std::string packet = ValidStartup();
      bool negative = Uniform(0, 3) == 0;
      SetLength(packet, negative ? -static_cast<int32_t>(Uniform(1, 1u << 30))
                                 : static_cast<int32_t>(Uniform(10001, 0x7fffffff)));
      return packet;
    }
    case FuzzKind::kTruncated: {
      std::string packet = ValidStartup();
      return packet.substr(0, Uniform(1, packet.size() - 1));
    }
    case FuzzKind::kLengthTooLong: {
      std::string packet = ValidStartup();
      SetLength(packet, static_cast<int32_t>(packet.size() + Uniform(1, 200)));
      return packet;
    }
    case FuzzKind::kLengthTooShort: {
      std::string packet = ValidStartup();
      SetLength(packet, static_cast<int32_t>(Uniform(8, packet.size() - 1)));
      return packet;
    }
    case FuzzKind::kWrongProtocol: {
      static constexpr std::array<int32_t, 4> kCodes = {2 << 16, 4 << 16, 0, 1234 << 16};
      int32_t code = Uniform(0, 4) < 4 ? kCodes[Uniform(0, 3)] : static_cast<int32_t>(rng_());
      if ((code >> 16) == 3) code = 2 << 16;
      std::string packet = ValidStartup();
      std::string bytes;
      AppendInt32(bytes, code);
      packet.replace(4, 4, bytes);
      return packet;
    }
    case FuzzKind::kFlippedBytes: {
      std::string packet = ValidStartup();
      for (uint64_t i = Uniform(1, 4); i > 0; --i) {
        packet[Uniform(0, packet.size() - 1)] ^= static_cast<char>(Uniform(1, 255));
      }
      return packet;
    }
    case FuzzKind::kMissingNul: {
      std::string packet = ValidStartup();
      size_t drop = Uniform(1, 2);  // the final NUL, or it and the last value's NUL
      packet.resize(packet.size() - drop);
      SetLength(packet, static_cast<int32_t>(packet.size()));
      return packet;
    }
    case FuzzKind::kSslThenGarbage: return SslRequest() + RandomBytes(1, 48);
    case FuzzKind::kGssThenGarbage: return GssEncRequest() + RandomBytes(1, 48);
    case FuzzKind::kSslThenTlsCut: return SslRequest() + TlsRecordHeader().substr(0, Uniform(1, 4));
    case FuzzKind::kSslThenHello: return SslRequest() + TlsRecordHeader() + RandomBytes(0, 64);
    case FuzzKind::kDirectTlsLike:
      return std::string{kTlsHandshake, kTlsMajor} + RandomBytes(0, 300);
    case FuzzKind::kOddCancel: {
      size_t length = Uniform(8, 40);
      if (length == 16) length = 12;
      std::string packet;
      AppendInt32(packet, static_cast<int32_t>(length));
      AppendInt32(packet, kCancelRequestCode);
      return packet + RandomBytes(length - 8, length - 8);
    }
    case FuzzKind::kOddParams: return OddParams();
    case FuzzKind::kOversize:
      return StartupMessage({{"user", "postgres"},
                             {"options", "-c shardgate.key=42"},
                             {"application_name", std::string(Uniform(10001, 20000), 'a')}});
    case FuzzKind::kValidStartup: return ValidStartup();
  }
  return {};
}

FuzzCase StartupFuzzer::Next() {
  FuzzCase c;
  c.kind = static_cast<FuzzKind>(Uniform(0, kFuzzKindCount - 1));
  c.bytes = Build(c.kind);
  // A quarter of the cases arrive fragmented, to exercise reassembly of partial packets.
  if (Uniform(0, 3) == 0) c.chunk_bytes = Uniform(1, 16);
  switch (c.kind) {
    case FuzzKind::kTruncated:
    case FuzzKind::kLengthTooLong:
    case FuzzKind::kSslThenTlsCut:
    case FuzzKind::kSslThenHello:
      // Incomplete input (also a TLS record shorter than its header says): mostly the client
      // gives up (half-close); rarely it stays silent so the run also proves the inspect-delay
      // bound, without every such case costing a delay.
      c.half_close = Uniform(0, 499) != 0;
      break;
    case FuzzKind::kRandomBytes:
    case FuzzKind::kFlippedBytes:
    case FuzzKind::kSslThenGarbage:
    case FuzzKind::kGssThenGarbage:
    case FuzzKind::kDirectTlsLike:
      // A mutated length may promise more bytes than follow.
      c.half_close = Uniform(0, 9) != 0;
      break;
    default: break;
  }
  return c;
}

}  // namespace shardgate::harness
