#include "core/ids.h"

#include <sys/random.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "core/clock.h"

namespace anarq {

void random_bytes(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");  // the kernel has no entropy API: a broken host
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* b, size_t n) {
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kHex[b[i] >> 4];
    s[2 * i + 1] = kHex[b[i] & 15];
  }
  return s;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

std::string hex_lower(std::string_view bytes) {
  return hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string random_hex(size_t n_bytes) {
  unsigned char buf[64];
  std::string out;
  while (n_bytes > 0) {
    size_t k = n_bytes < sizeof buf ? n_bytes : sizeof buf;
    random_bytes(buf, k);
    out += hex(buf, k);
    n_bytes -= k;
  }
  return out;
}

namespace {

struct Xoshiro256 {
  uint64_t s[4];
  Xoshiro256() {
    do random_bytes(s, sizeof s);
    while ((s[0] | s[1] | s[2] | s[3]) == 0);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

}  // namespace

uint64_t fast_random_u64() {
  // Per thread; a fork()ed child would continue its parent's sequence, and the
  // node never forks without exec.
  thread_local Xoshiro256 gen;
  return gen.next();
}

std::string fast_random_hex(size_t n_bytes) {
  std::string out;
  out.reserve(n_bytes * 2);
  while (n_bytes > 0) {
    uint64_t v = fast_random_u64();
    unsigned char b[8];
    std::memcpy(b, &v, 8);
    size_t k = n_bytes < 8 ? n_bytes : 8;
    out += hex(b, k);
    n_bytes -= k;
  }
  return out;
}

std::string uuid_v7(const Clock& clock) {
  // Monotonic within the process: if the clock has not advanced, the 12-bit
  // rand_a field counts up (RFC 9562 section 6.2, method 1).
  static std::mutex mu;
  static int64_t last_ms = 0;
  static uint16_t seq = 0;
  int64_t ms = clock.now_ms();
  uint16_t counter;
  {
    std::lock_guard lock(mu);
    // A small regression (NTP slew) keeps the sequence; a large jump (a
    // different clock, e.g. in tests) starts over from it.
    if (ms <= last_ms && last_ms - ms < 10'000) {
      ms = last_ms;
      if (++seq > 0x0fff) {  // counter exhausted: borrow the next millisecond
        ++ms;
        last_ms = ms;
        seq = 0;
      }
    } else {
      last_ms = ms;
      seq = 0;
    }
    counter = seq;
  }
  unsigned char b[16];
  uint64_t r = fast_random_u64();
  std::memcpy(b + 8, &r, 8);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>((static_cast<uint64_t>(ms) >> (40 - 8 * i)) & 0xff);
  b[6] = static_cast<unsigned char>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<unsigned char>(counter & 0xff);
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
  std::string h = hex(b, 16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s.substr(i, 1))) {
      return false;
    }
  }
  return true;
}

std::string TraceContext::traceparent() const {
  static constexpr char kFlagHex[] = "0123456789abcdef";
  std::string f{kFlagHex[flags >> 4], kFlagHex[flags & 15]};
  return "00-" + trace_id + "-" + span_id + "-" + f;
}

TraceContext TraceContext::from_header(std::string_view h) {
  TraceContext t;
  t.span_id = fast_random_hex(8);
  // version(2) - trace(32) - parent(16) - flags(2) = 55 chars; future versions may append.
  bool valid = h.size() >= 55 && h[2] == '-' && h[35] == '-' && h[52] == '-' && is_hex(h.substr(0, 2)) &&
               h.substr(0, 2) != "ff" && is_hex(h.substr(3, 32)) && is_hex(h.substr(36, 16)) &&
               is_hex(h.substr(53, 2)) && !all_zero(h.substr(3, 32)) && !all_zero(h.substr(36, 16)) &&
               (h.size() == 55 ? true : (h.substr(0, 2) != "00" && h[55] == '-'));
  if (valid) {
    t.trace_id = std::string(h.substr(3, 32));
    t.parent_id = std::string(h.substr(36, 16));
    t.flags = static_cast<uint8_t>(std::stoi(std::string(h.substr(53, 2)), nullptr, 16));
  } else {
    t.trace_id = fast_random_hex(16);
    t.flags = 1;
  }
  return t;
}

}  // namespace anarq
