// A deterministic (seeded) generator of random and mutated PostgreSQL startup sequences, plain
// and TLS-shaped, for fuzzing whatever parses the first bytes of a connection (the HAProxy Lua
// router, with TLS on or off).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::harness {

// Which mutation produced a case; names (FuzzKindName) are used in bench output.
enum class FuzzKind {
  kRandomBytes,     // 1..64 arbitrary bytes
  kShortLength,     // length field 0..7
  kHugeLength,      // length field > 10,000 or negative
  kTruncated,       // a valid startup cut short, then the client half-closes
  kLengthTooLong,   // length field larger than the bytes that follow, then half-close
  kLengthTooShort,  // length field smaller than the packet: terminator lands mid-packet
  kWrongProtocol,   // protocol 2.0, 4.0, or any major != 3
  kFlippedBytes,    // a valid startup with 1..4 bytes flipped
  kMissingNul,      // the final NUL(s) removed, length adjusted
  kSslThenGarbage,  // SSLRequest followed by random bytes
  kGssThenGarbage,  // GSSENCRequest followed by random bytes
  kSslThenTlsCut,   // SSLRequest, then 1..4 bytes of a TLS record header (cut short)
  kSslThenHello,    // SSLRequest, then a ClientHello record header with a random length and
                    // 0..64 random bytes (fewer or more than that length)
  kDirectTlsLike,   // 0x16 0x03 then 0..300 random bytes: looks like direct TLS (PostgreSQL 17)
  kOddCancel,       // CancelRequest code with a length other than 16
  kOddParams,       // a name without value, empty names, odd keys, duplicate options
  kOversize,        // a well-formed startup longer than 10,000 bytes
  kValidStartup,    // a well-formed startup with a random (mapped or unmapped) key
};
inline constexpr int kFuzzKindCount = 18;
std::string_view FuzzKindName(FuzzKind kind);

// One connection's worth of input and how to deliver it.
struct FuzzCase {
  FuzzKind kind = FuzzKind::kRandomBytes;
  std::string bytes;
  size_t chunk_bytes = 0;   // 0: one write; else fragment into chunks of this size
  bool half_close = false;  // shutdown(SHUT_WR) after sending, like a client that gave up
};

// Deterministic for a given seed (std::mt19937_64), so a failure can be replayed.
// Not thread-safe: use one generator per thread (e.g. seed + thread index).
class StartupFuzzer {
 public:
  explicit StartupFuzzer(uint64_t seed) : rng_(seed) {}
  FuzzCase Next();

 private:
  std::string ValidStartup();
  std::string RandomBytes(size_t min, size_t max);
  uint64_t Uniform(uint64_t lo, uint64_t hi);  // inclusive
  std::string Build(FuzzKind kind);
  std::string OddParams();
  std::string TlsRecordHeader();

  std::mt19937_64 rng_;
};

}  // namespace shardgate::harness
