#include "bus/jcs.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

namespace anarq::bus {
namespace {

std::string jcs(const Json& j) {
  Result<std::string> r = jcs_serialize(j);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::string("<error>");
}

std::string jcs_text(const char* text) { return jcs(Json::parse(text)); }

void expect_refused(const Json& j) {
  Result<std::string> r = jcs_serialize(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "VALIDATION_ERROR");
}

// RFC 8785 section 3.2.2.
TEST(JcsTest, Rfc8785SampleObject) {
  const char* input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(jcs_text(input),
            "{\"literals\":[null,true,false],"
            "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 section 3.2.3: names sort as UTF-16 code units, so the emoji
// (surrogates D83D DE00) comes before U+FB33 although its code point is larger.
TEST(JcsTest, Rfc8785SortingExample) {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  EXPECT_EQ(jcs_text(input),
            "{\"\\r\":\"Carriage Return\","
            "\"1\":\"One\","
            "\"\xc2\x80\":\"Control\","
            "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
            "\"\xe2\x82\xac\":\"Euro Sign\","
            "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(JcsTest, NonBmpSortsBeforeHighBmpButAfterEuro) {
  Json j = Json::object();
  j["\xef\xbf\xbd"] = 3;       // U+FFFD
  j["\xf0\x9f\x98\x80"] = 2;   // U+1F600 -> D83D DE00
  j["\xe2\x82\xac"] = 1;       // U+20AC
  j["\xee\x80\x80"] = 4;       // U+E000, the first code point above the surrogates
  // UTF-8 byte order would be 20AC, E000, FFFD, 1F600; UTF-16 puts 1F600 second.
  EXPECT_EQ(jcs(j), "{\"\xe2\x82\xac\":1,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":4,\"\xef\xbf\xbd\":3}");
}

TEST(JcsTest, SortsRecursivelyAndKeepsArrayOrder) {
  EXPECT_EQ(jcs_text(R"([56,{"d":true,"10":null,"1":[]}])"), R"([56,{"1":[],"10":null,"d":true}])");
  EXPECT_EQ(jcs_text(R"({"b":{"z":1,"a":2},"a":[3,2,1],"":0})"), R"({"":0,"a":[3,2,1],"b":{"a":2,"z":1}})");
  EXPECT_EQ(jcs_text(R"({"peach":1,"péché":2,"pêche":3,"sin":4})"),
            "{\"peach\":1,\"p\xc3\xa9\x63h\xc3\xa9\":2,\"p\xc3\xaa\x63he\":3,\"sin\":4}");
  EXPECT_EQ(jcs_text("{}"), "{}");
  EXPECT_EQ(jcs_text("[]"), "[]");
  EXPECT_EQ(jcs_text(" [ 1 , { } , [ ] ] "), "[1,{},[]]");
}

double from_bits(uint64_t bits) { return std::bit_cast<double>(bits); }

// RFC 8785 Appendix B (values checked against Number.prototype.toString).
TEST(JcsTest, Rfc8785AppendixBNumbers) {
  struct Case {
    uint64_t bits;
    const char* expected;
  };
  const Case cases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},  // -0
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(jcs(Json(from_bits(c.bits))), c.expected) << std::hex << c.bits;
  }
  expect_refused(Json(from_bits(0x7fffffffffffffff)));  // NaN
  expect_refused(Json(from_bits(0x7ff0000000000000)));  // Infinity
  expect_refused(Json(from_bits(0xfff0000000000000)));  // -Infinity
}

TEST(JcsTest, MoreNumberForms) {
  EXPECT_EQ(jcs(Json(4.0)), "4");
  EXPECT_EQ(jcs(Json(-4.5)), "-4.5");
  EXPECT_EQ(jcs(Json(0.1)), "0.1");
  EXPECT_EQ(jcs(Json(1e21)), "1e+21");
  EXPECT_EQ(jcs(Json(1e20)), "100000000000000000000");
  EXPECT_EQ(jcs(Json(123e18)), "123000000000000000000");
  EXPECT_EQ(jcs(Json(1.5e-7)), "1.5e-7");
  EXPECT_EQ(jcs(Json(1e-6)), "0.000001");
  EXPECT_EQ(jcs(Json(1.25e-6)), "0.00000125");
  EXPECT_EQ(jcs(Json(-1e-7)), "-1e-7");
  EXPECT_EQ(jcs(Json(6.02214076e23)), "6.02214076e+23");
  EXPECT_EQ(jcs(Json(2.2250738585072014e-308)), "2.2250738585072014e-308");
  EXPECT_EQ(jcs_text("[1.0, 1e2, -0.0, 10E-1]"), "[1,100,0,1]");
}

TEST(JcsTest, IntegersUpToTwoToThe53) {
  const int64_t k = int64_t{1} << 53;
  EXPECT_EQ(jcs(Json(0)), "0");
  EXPECT_EQ(jcs(Json(-1)), "-1");
  EXPECT_EQ(jcs(Json(k)), "9007199254740992");
  EXPECT_EQ(jcs(Json(-k)), "-9007199254740992");
  EXPECT_EQ(jcs(Json(static_cast<uint64_t>(k))), "9007199254740992");
  EXPECT_EQ(jcs(Json(1764079200000)), "1764079200000");  // an epoch-ms ts
  expect_refused(Json(k + 1));
  expect_refused(Json(-k - 1));
  expect_refused(Json(static_cast<uint64_t>(k) + 1));
  expect_refused(Json(std::numeric_limits<int64_t>::min()));
  expect_refused(Json(std::numeric_limits<int64_t>::max()));
  expect_refused(Json(std::numeric_limits<uint64_t>::max()));
  expect_refused(Json::parse("[1, {\"a\": 18446744073709551615}]"));  // refusal from deep inside
}

TEST(JcsTest, StringEscapes) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls.push_back(static_cast<char>(c));
  EXPECT_EQ(jcs(Json(all_controls)),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
            "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
            "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
  EXPECT_EQ(jcs(Json("\"\\/")), "\"\\\"\\\\/\"");  // '/' is never escaped
  EXPECT_EQ(jcs(Json("\x7f")), "\"\x7f\"");         // DEL is literal
  // Non-ASCII stays literal UTF-8, including U+2028/2029 and non-BMP.
  EXPECT_EQ(jcs(Json("\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\xc3\xa9")),
            "\"\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\xc3\xa9\"");
  Json key = Json::object();
  key["a\nb"] = "c\td";
  EXPECT_EQ(jcs(key), "{\"a\\nb\":\"c\\td\"}");
}

TEST(JcsTest, RefusesInvalidUtf8) {
  for (const char* bad : {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "a\xe2\x82", "\xf0\x9f\x98"}) {
    expect_refused(Json(std::string(bad)));
    Json obj = Json::object();
    obj[bad] = 1;
    expect_refused(obj);
  }
  // Boundary code points that are valid.
  EXPECT_TRUE(jcs_serialize(Json("\xf4\x8f\xbf\xbf")).ok());  // U+10FFFF
  EXPECT_TRUE(jcs_serialize(Json("\xed\x9f\xbf")).ok());      // U+D7FF
  EXPECT_TRUE(jcs_serialize(Json("\xee\x80\x80")).ok());      // U+E000
}

TEST(JcsTest, RefusesBinary) { expect_refused(Json::binary({1, 2, 3})); }

Json nest(int levels) {
  Json j = 1;
  for (int i = 0; i < levels; ++i) j = (i % 2) ? Json::object({{"k", std::move(j)}}) : Json::array({std::move(j)});
  return j;
}

TEST(JcsTest, DepthBoundIs64Containers) {
  Result<std::string> at = jcs_serialize(nest(kMaxJcsDepth));
  ASSERT_TRUE(at.ok()) << at.status().to_string();
  EXPECT_EQ(at->size(), 1 + 32 * 2 + 32 * 6u);  // 32 [..] and 32 {"k":..}
  expect_refused(nest(kMaxJcsDepth + 1));
  expect_refused(nest(10000));
}

TEST(JcsTest, IsIdempotentOverItsOwnOutput) {
  const char* input = R"({"z":[1.5e300,{"y":"\u00e9","x":-0.0}],"a":"\u001f","m":{"\ud83d\ude00":1,"\uffff":2}})";
  std::string once = jcs_text(input);
  EXPECT_EQ(jcs(Json::parse(once)), once);
}

}  // namespace
}  // namespace anarq::bus
