#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

#include "core/clock.h"

namespace anarq {
namespace {

TEST(UuidV7Test, LayoutVersionAndVariant) {
  ManualClock clock(0x0123456789ab);
  std::string id = uuid_v7(clock);
  ASSERT_TRUE(is_uuid(id)) << id;
  EXPECT_EQ(id.substr(0, 8), "01234567");
  EXPECT_EQ(id.substr(9, 4), "89ab");
  EXPECT_EQ(id[14], '7');
  EXPECT_TRUE(std::string("89ab").find(id[19]) != std::string::npos);
}

TEST(UuidV7Test, SortsInCreationOrderWithinOneMillisecond) {
  ManualClock clock(1764079200000);
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(uuid_v7(clock));  // exceeds the 12-bit counter
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_LT(ids[i - 1], ids[i]);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(UuidTest, Recognises) {
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("01234567-89ab-7def-8123-456789ABCDEF"));  // we emit lower case
}

TEST(TraceContextTest, ContinuesAValidParent) {
  auto t = TraceContext::from_header("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(t.span_id.size(), 16u);
  EXPECT_NE(t.span_id, t.parent_id);
  EXPECT_EQ(t.traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
}

TEST(TraceContextTest, StartsFreshOnInvalidHeaders) {
  for (const char* bad : {"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"}) {
    auto t = TraceContext::from_header(bad);
    EXPECT_TRUE(t.parent_id.empty()) << bad;
    EXPECT_EQ(t.trace_id.size(), 32u);
  }
  // A future version may append fields.
  auto future = TraceContext::from_header("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what");
  EXPECT_EQ(future.parent_id, "00f067aa0ba902b7");
}

TEST(RandomTest, HexLength) {
  EXPECT_EQ(random_hex(100).size(), 200u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

}  // namespace
}  // namespace anarq

namespace anarq {
namespace {

TEST(FastRandomTest, HexLengthAndVariety) {
  EXPECT_EQ(fast_random_hex(5).size(), 10u);
  EXPECT_EQ(fast_random_hex(16).size(), 32u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(fast_random_hex(8));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace anarq
