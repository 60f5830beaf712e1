#include "core/json.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

TEST(JsonTest, ParsesValidText) {
  auto j = parse_json(R"({"a":[1,2,{"b":null}]})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"][1], 2);
}

TEST(JsonTest, MalformedTextIsAValidationErrorWithOffset) {
  auto j = parse_json("{\"a\": }");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), "VALIDATION_ERROR");
  EXPECT_NE(j.status().message().find("byte"), std::string::npos);
  EXPECT_FALSE(parse_json("").ok());
  EXPECT_FALSE(parse_json("{} {}").ok());
  EXPECT_FALSE(parse_json("\xff\xfe").ok());
}

TEST(JsonTest, DepthIsBounded) {
  std::string ok(kMaxJsonDepth, '['), ok_close(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json(ok + ok_close).ok());
  std::string deep(kMaxJsonDepth + 1, '['), close(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(parse_json(deep + close).ok());
  EXPECT_FALSE(parse_json(std::string(1'000'000, '[')).ok());  // no stack overflow
}

TEST(JsonTest, Pointers) {
  EXPECT_EQ(pointer_from_tokens({"a/b", "c~d", "0"}), "/a~1b/c~0d/0");
  EXPECT_EQ(pointer_from_tokens({}), "");
}

TEST(JsonTest, DumpNeverThrowsOnBadUtf8) {
  Json j = std::string("\xff");
  EXPECT_NO_THROW(dump_compact(j));
}

}  // namespace
}  // namespace anarq
