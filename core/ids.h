#pragma once
// Identifiers: UUIDv7 (RFC 9562) for ids, W3C trace-context ids for tracing.
// All functions are thread-safe (randomness from getrandom(2)).
#include <cstdint>
#include <string>
#include <string_view>

namespace anarq {

class Clock;

// UUIDv7: 48-bit epoch ms, version 7, 12 bits of sub-ms ordering counter, variant
// 10, 62 random bits. Ids minted by one process sort in creation order.
std::string uuid_v7(const Clock& clock);
bool is_uuid(std::string_view s);

// Lower-case hex of bytes (digests, for canonical strings).
std::string hex_lower(std::string_view bytes);
// Lower-case hex of n random bytes from the kernel CSPRNG (getrandom): for
// anything that must be unguessable (session ids, nonces).
std::string random_hex(size_t n_bytes);
void random_bytes(void* out, size_t n);
// Fast per-thread generator (xoshiro256**, seeded from getrandom) for ids that
// must be unique but not secret: trace and span ids, UUIDv7 random bits.
uint64_t fast_random_u64();
std::string fast_random_hex(size_t n_bytes);

struct TraceContext {
  std::string trace_id;   // 32 lower-case hex, not all zero
  std::string span_id;    // 16 lower-case hex, this hop's span
  std::string parent_id;  // caller's span id, empty when we started the trace
  uint8_t flags = 1;

  // "00-<trace>-<span>-<flags>" for the outgoing traceparent header.
  std::string traceparent() const;
  // Parses an incoming traceparent (version 00 rules; unknown future versions
  // are read by their first four fields) and starts a child span. A malformed
  // or absent header starts a fresh trace, as the W3C spec requires.
  static TraceContext from_header(std::string_view header);
};

}  // namespace anarq
