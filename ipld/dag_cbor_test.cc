#include "ipld/dag_cbor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ipld/multicodec.h"
#include "ipld/testing.h"

namespace anarq::ipld {
namespace {

using testing::hex;
using testing::unhex;

std::string enc(const Json& j) {
  Result<std::string> r = dag_cbor_encode(j);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? hex(*r) : "<error>";
}

Status dec_status(const std::string& h) {
  Result<Json> r = dag_cbor_decode(unhex(h));
  return r.ok() ? Status() : r.status();
}

// Every fixture: decode, re-encode to the same bytes, and the CID matches.
TEST(DagCbor, CrossCodecFixtures) {
  const Json doc = testing::load_testdata("dag_cbor_fixtures.json");
  ASSERT_GE(doc["fixtures"].size(), 50u);
  for (const Json& f : doc["fixtures"]) {
    const std::string name = f["name"];
    const std::string bytes = unhex(f["hex"].get<std::string>());
    EXPECT_EQ(Cid::v1_sha256(kCodecDagCbor, bytes).to_string(), f["cid"]) << name << ": fixture bytes";
    Result<Json> value = dag_cbor_decode(bytes);
    ASSERT_TRUE(value.ok()) << name << ": " << value.status().to_string();
    Result<std::string> again = dag_cbor_encode(*value);
    ASSERT_TRUE(again.ok()) << name << ": " << again.status().to_string();
    EXPECT_EQ(hex(*again), f["hex"]) << name;
    Result<Cid> cid = dag_cbor_cid(*value);
    ASSERT_TRUE(cid.ok());
    EXPECT_EQ(cid->to_string(), f["cid"]) << name;
  }
  for (const Json& f : doc["invalid"]) {
    EXPECT_FALSE(dag_cbor_decode(unhex(f["hex"].get<std::string>())).ok()) << f["name"];
  }
}

TEST(DagCbor, FixtureValuesMeanWhatTheySay) {
  EXPECT_EQ(*dag_cbor_decode(unhex("1bffffffffffffffff")), Json(std::numeric_limits<uint64_t>::max()));
  EXPECT_EQ(dag_cbor_decode(unhex("3b7fffffffffffffff"))->get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(dag_cbor_decode(unhex("fb3ff199999999999a"))->get<double>(), 1.1);
  EXPECT_EQ(*dag_cbor_decode(unhex("6fc48c6175657320c39f76c49b746521")), Json("Čaues ßvěte!"));
  EXPECT_EQ(*dag_cbor_decode(unhex("d82a582300122031c3d57080d8463a3c63b2923df5a1d40ad7a73eae5a14af584213e5f504ac33")),
            Json({{"/", "QmRgutAxd8t7oGkSm4wmeuByG6M51wcTso6cubDdQtuEfL"}}));
  Result<Json> bytes = dag_cbor_decode(unhex("41a1"));
  ASSERT_TRUE(bytes->is_binary());
  EXPECT_EQ(bytes->get_binary(), Json::binary_t(std::vector<uint8_t>{0xa1}));
}

TEST(DagCbor, EncodesCanonicalForms) {
  // Shortest integer forms at every boundary.
  EXPECT_EQ(enc(23), "17");
  EXPECT_EQ(enc(24), "1818");
  EXPECT_EQ(enc(255), "18ff");
  EXPECT_EQ(enc(256), "190100");
  EXPECT_EQ(enc(65535), "19ffff");
  EXPECT_EQ(enc(65536), "1a00010000");
  EXPECT_EQ(enc(4294967295u), "1affffffff");
  EXPECT_EQ(enc(4294967296u), "1b0000000100000000");
  EXPECT_EQ(enc(-1), "20");
  EXPECT_EQ(enc(-24), "37");
  EXPECT_EQ(enc(-25), "3818");
  EXPECT_EQ(enc(std::numeric_limits<int64_t>::min()), "3b7fffffffffffffff");
  // Floats are always 64-bit, even when a shorter form would be exact.
  EXPECT_EQ(enc(0.5), "fb3fe0000000000000");
  EXPECT_EQ(enc(1.0), "fb3ff0000000000000");
  EXPECT_EQ(enc(-0.0), "fb8000000000000000");
  // Map keys by length, then bytes (not nlohmann's lexicographic order).
  EXPECT_EQ(enc(Json{{"bb", 1}, {"a", 2}, {"c", 3}}), "a361610261630362626201");
  // A link and the two bytes forms.
  const std::string cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  EXPECT_EQ(enc(Json{{"/", cid}}),
            "d82a58250001551220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(enc(Json{{"/", Json{{"bytes", "AQID"}}}}), "43010203");
  EXPECT_EQ(enc(Json::binary({1, 2, 3})), "43010203");
  // "/" with other keys, or a non-string value, is a plain map.
  EXPECT_EQ(enc(Json{{"/", 1}}), "a1612f01");
  EXPECT_EQ(enc(Json{{"/", cid}, {"x", 1}}).substr(0, 6), "a2612f");
}

TEST(DagCbor, EncodeRefusals) {
  auto refused = [](const Json& j, const std::string& why) {
    Result<std::string> r = dag_cbor_encode(j);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.status().code(), "VALIDATION_ERROR");
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  refused(std::nan(""), "NaN");
  refused(Json{{"a", Json::array({1, std::numeric_limits<double>::infinity()})}}, "(at /a/1)");
  refused(Json{{"/", "not a cid"}}, "link");
  refused(Json{{"/", Json{{"bytes", "AQID="}}}}, "bytes");
  refused(Json("\xff"), "UTF-8");
  refused(Json{{"\xc0\x80", 1}}, "UTF-8");
  Json deep = 1;
  for (size_t i = 0; i < kMaxDagCborDepth; ++i) deep = Json::array({deep});
  EXPECT_TRUE(dag_cbor_encode(deep).ok());
  refused(Json::array({deep}), "nesting deeper than 64");
  refused(Json::binary(std::vector<uint8_t>(kMaxDagCborBytes)), "exceeds");
}

TEST(DagCbor, DecodeRefusesNonCanonicalInput) {
  struct Case { const char* hex; const char* why; } cases[] = {
      {"1817", "shortest form"},                 // 23 in two bytes
      {"190017", "shortest form"},
      {"1a0000ffff", "shortest form"},
      {"1b00000000ffffffff", "shortest form"},
      {"3817", "shortest form"},
      {"5801ff", "shortest form"},               // byte string length
      {"780161", "shortest form"},               // text length
      {"980101", "shortest form"},            // array length
      {"b80161610101", "shortest form"},         // map length
      {"d9002a4100", "shortest form"},           // tag 42 in two bytes
      {"5f41ff", "indefinite"},
      {"7f6161ff", "indefinite"},
      {"9f01ff", "indefinite"},
      {"bf616101ff", "indefinite"},
      {"ff", "break"},
      {"1c", "reserved"},
      {"a2616201616101", "out of order"},         // {"b":1,"a":1}
      {"a2626161016162" "01", "out of order"},      // {"aa":1,"b":1}: shorter key first
      {"a2616101616102", "duplicate"},
      {"a10101", "keys must be strings"},
      {"a1410101", "keys must be strings"},
      {"c11a514b67b0", "tag 1"},                 // epoch time tag
      {"d82b4100", "tag 43"},
      {"d82a6161", "byte string"},               // tag 42 over text
      {"d82a4101", "0x00"},                      // missing 0x00 prefix
      {"d82a4100", "tag 42"},                    // empty CID
      {"d82a4400015500", "tag 42"},              // bad CID (no digest length)
      {"f93c00", "16-bit"},
      {"fa3f800000", "32-bit"},
      {"fb7ff8000000000000", "NaN"},
      {"fb7ff0000000000000", "NaN and infinities"},
      {"fbfff0000000000000", "NaN and infinities"},
      {"f7", "undefined"},
      {"f0", "simple value"},
      {"f820", "simple value"},
      {"0000", "trailing"},
      {"", "end of input"},
      {"62ff61", "UTF-8"},                       // invalid UTF-8 text
      {"62c080", "UTF-8"},                       // overlong
      {"63eda080", "UTF-8"},                     // surrogate
      {"5a00010000ff", "runs past the end"},     // 65536-byte string in 1 byte
      {"7a7fffffff", "runs past the end"},
      {"9b0000000100000000", "runs past the end"},
      {"bb0000000100000000", "runs past the end"},
      {"3bffffffffffffffff", "below -2^63"},
      {"a1612f6161", "reserved shape"},          // {"/": "a"} as a real map
      {"a1612fa1656279746573624141", "reserved shape"},  // {"/": {"bytes": "AA"}}
      {"1a0000", "truncated"},
      {"fb3ff0", "truncated"},
  };
  for (const auto& c : cases) {
    Status s = dec_status(c.hex);
    ASSERT_FALSE(s.ok()) << "accepted " << c.hex;
    EXPECT_EQ(s.code(), "VALIDATION_ERROR");
    EXPECT_NE(s.message().find(c.why), std::string::npos) << c.hex << " -> " << s.message();
  }
}

TEST(DagCbor, DecodeDepthAndSizeBounds) {
  std::string ok(kMaxDagCborDepth, '\x81');
  ok.push_back('\x01');
  EXPECT_TRUE(dag_cbor_decode(ok).ok());
  std::string deep(kMaxDagCborDepth + 1, '\x81');
  deep.push_back('\x01');
  Result<Json> r = dag_cbor_decode(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper than 64"), std::string::npos) << r.status().message();
  // Maps count too.
  std::string maps;
  for (size_t i = 0; i <= kMaxDagCborDepth; ++i) maps += "\xa1\x61x";
  maps.push_back('\x01');
  EXPECT_FALSE(dag_cbor_decode(maps).ok());
  EXPECT_FALSE(dag_cbor_decode(std::string(kMaxDagCborBytes + 1, '\0')).ok());
  // An error deep inside says where.
  Result<Json> at = dag_cbor_decode(unhex("a1616182f6f7"));
  ASSERT_FALSE(at.ok());
  EXPECT_NE(at.status().message().find("(at /a/1)"), std::string::npos) << at.status().message();
}

// Random values: encode, decode, encode again gives the same bytes and value.
class RandomValue {
 public:
  explicit RandomValue(uint32_t seed) : rng_(seed) {}
  Json make(int depth) {
    switch (depth >= 4 ? rng_() % 7 : rng_() % 9) {
      case 0: return nullptr;
      case 1: return rng_() % 2 == 0;
      case 2: return rng_() % 2 ? -static_cast<int64_t>(big() >> 1) - 1 : -static_cast<int64_t>(rng_() % 1000);
      case 3: return big() * (rng_() % 2 ? 1u : 2u);
      case 4: {
        double d = std::ldexp(static_cast<double>(rng_()) - 2147483648.0, static_cast<int>(rng_() % 200) - 100);
        return d;
      }
      case 5: return text();
      case 6: {
        if (rng_() % 3 == 0) return dag_json_link(Cid::v1_sha256(kCodecRaw, text()));
        std::vector<uint8_t> b(rng_() % 40);
        for (auto& x : b) x = static_cast<uint8_t>(rng_());
        return Json::binary(std::move(b));
      }
      case 7: {
        Json a = Json::array();
        for (size_t i = rng_() % 5; i > 0; --i) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        Json o = Json::object();
        for (size_t i = rng_() % 5; i > 0; --i) o[text()] = make(depth + 1);
        if (o.size() == 1 && o.contains("/")) o["//"] = 1;
        return o;
      }
    }
  }

 private:
  uint64_t big() {
    const int shift = static_cast<int>(rng_() % 63);
    return ((uint64_t{rng_()} << 32) | rng_()) >> shift;
  }
  std::string text() {
    static const char* kPieces[] = {"a", "b", "/", "~", "é", "水", "𐅑", "key", "", " "};
    std::string s;
    for (size_t i = rng_() % 4; i > 0; --i) s += kPieces[rng_() % 10];
    return s;
  }
  std::mt19937 rng_;
};

TEST(DagCbor, RandomRoundTrips) {
  for (uint32_t seed = 1; seed <= 500; ++seed) {
    RandomValue gen(seed);
    const Json value = gen.make(0);
    Result<std::string> bytes = dag_cbor_encode(value);
    ASSERT_TRUE(bytes.ok()) << value.dump() << ": " << bytes.status().to_string();
    Result<Json> back = dag_cbor_decode(*bytes);
    ASSERT_TRUE(back.ok()) << value.dump() << ": " << back.status().to_string();
    EXPECT_EQ(*back, value) << "seed " << seed;
    Result<std::string> again = dag_cbor_encode(*back);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *bytes) << "seed " << seed;
  }
}

// Bytes that are not DAG-CBOR must come back as errors, never a crash.
TEST(DagCbor, GarbageNeverCrashes) {
  std::mt19937 rng(7);
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 24, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    Result<Json> r = dag_cbor_decode(bytes);
    if (r.ok()) {
      ++accepted;
      EXPECT_EQ(*dag_cbor_encode(*r), bytes) << "accepted input must be canonical: " << hex(bytes);
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace anarq::ipld
