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
  // Brackets inside strings (escaped quotes included) are not nesting.
  std::string text = "[\"" + std::string(200, '[') + "\\\"" + std::string(200, '{') + "\"]";
  auto in_string = parse_json(text);
  ASSERT_TRUE(in_string.ok()) << in_string.status().to_string();
  EXPECT_EQ((*in_string)[0].get<std::string>().size(), 401u);
  // Many values at a shallow depth are fine (and parsed in linear time).
  std::string wide = "[";
  for (int i = 0; i < 50'000; ++i) wide += i ? ",{\"a\":[1]}" : "{\"a\":[1]}";
  wide += "]";
  auto many = parse_json(wide);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->size(), 50'000u);
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
