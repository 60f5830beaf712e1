#pragma once
// Clock: the only source of wall and monotonic time, so tests can inject one.
// SystemClock is stateless and thread-safe; ManualClock is thread-safe (atomic).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anarq {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall clock).
  virtual int64_t now_ms() const = 0;
  // Monotonic nanoseconds, for durations only.
  virtual int64_t mono_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
  int64_t mono_ns() const override;
  static const SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : ms_(start_ms) {}
  int64_t now_ms() const override { return ms_.load(); }
  int64_t mono_ns() const override { return ms_.load() * 1'000'000; }
  void advance_ms(int64_t d) { ms_ += d; }
  void set_ms(int64_t v) { ms_ = v; }

 private:
  std::atomic<int64_t> ms_;
};

// RFC 3339 UTC with milliseconds: 2026-11-25T14:00:00.000Z
std::string format_rfc3339_ms(int64_t epoch_ms);
// Parses RFC 3339 (any offset, optional fraction); nullopt when malformed.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace anarq
