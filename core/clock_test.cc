#include "core/clock.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

TEST(ClockTest, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1764079200123), "2025-11-25T14:00:00.123Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ClockTest, ParsesWhatItFormatsAndOffsets) {
  for (int64_t ms : {int64_t{0}, int64_t{1764079200123}, int64_t{951782400000}, int64_t{4102444799999}})
    EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(ms)), ms);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-25T15:00:00+01:00"), 1764079200000);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-25T14:00:00.5Z"), 1764079200500);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(ClockTest, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2025-11-25", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2025-11-25T24:00:00Z", "2025-11-25T14:00:00", "2025-11-25T14:00:00.Z",
                          "2025-11-25T14:00:00Zjunk", "2025-11-25T14:00:00+1:00", "abcd-11-25T14:00:00Z"})
    EXPECT_EQ(parse_rfc3339_ms(bad), std::nullopt) << bad;
}

TEST(ClockTest, ManualClockIsInjectable) {
  ManualClock c(1000);
  EXPECT_EQ(c.now_ms(), 1000);
  c.advance_ms(5);
  EXPECT_EQ(c.now_ms(), 1005);
  EXPECT_GT(SystemClock::instance().now_ms(), 1'700'000'000'000);
}

}  // namespace
}  // namespace anarq
