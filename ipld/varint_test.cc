#include "ipld/varint.h"

#include <gtest/gtest.h>

#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

TEST(Varint, EncodesSpecExamples) {
  // Examples from the multiformats unsigned-varint spec.
  struct Case { uint64_t v; const char* hex; } cases[] = {
      {0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"},
      {kMaxVarintValue, "ffffffffffffffff7f"},
  };
  for (const auto& c : cases) {
    std::string out;
    put_varint(out, c.v);
    EXPECT_EQ(hex(out), c.hex) << c.v;
    EXPECT_EQ(out.size(), varint_size(c.v));
    std::string_view in = out;
    Result<uint64_t> back = get_varint(in);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, c.v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(Varint, AdvancesOnlyPastTheVarint) {
  std::string buf = unhex("ac02ff");
  std::string_view in = buf;
  ASSERT_EQ(*get_varint(in), 300u);
  EXPECT_EQ(in.size(), 1u);
}

TEST(Varint, RefusesNonMinimalForms) {
  for (const char* h : {"8000", "ff00", "808000", "ac8200"}) {
    std::string buf = unhex(h);
    std::string_view in = buf;
    Result<uint64_t> v = get_varint(in);
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_NE(v.status().message().find("minimal"), std::string::npos) << v.status().message();
    EXPECT_EQ(in.size(), buf.size()) << "input must not advance on error";
  }
}

TEST(Varint, RefusesTenBytesAndTruncation) {
  std::string ten = unhex("80808080808080808001");
  std::string_view in = ten;
  Result<uint64_t> v = get_varint(in);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("9 bytes"), std::string::npos);
  // The 9-byte maximum is the largest accepted.
  std::string nine = unhex("ffffffffffffffff7f");
  in = nine;
  EXPECT_TRUE(get_varint(in).ok());
  // Continuation bit on the ninth byte: would need a tenth.
  std::string over = unhex("ffffffffffffffffff01");
  in = over;
  EXPECT_FALSE(get_varint(in).ok());

  for (const char* h : {"", "80", "ffff"}) {
    std::string buf = unhex(h);
    in = buf;
    Result<uint64_t> t = get_varint(in);
    EXPECT_FALSE(t.ok()) << h;
    EXPECT_EQ(t.status().code(), "VALIDATION_ERROR");
  }
}

}  // namespace
}  // namespace anarq::ipld
