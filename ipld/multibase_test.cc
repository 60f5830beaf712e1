#include "ipld/multibase.h"

#include <gtest/gtest.h>

#include <random>

namespace anarq::ipld {
namespace {

// github.com/multiformats/multibase tests: "yes mani !" in every base we speak.
TEST(Multibase, SpecVectors) {
  const std::string data = "yes mani !";
  EXPECT_EQ(multibase_encode(Multibase::kBase32, data), "bpfsxgidnmfxgsibb");
  EXPECT_EQ(multibase_encode(Multibase::kBase32Upper, data), "BPFSXGIDNMFXGSIBB");
  EXPECT_EQ(multibase_encode(Multibase::kBase58Btc, data), "z7paNL19xttacUY");
  EXPECT_EQ(multibase_encode(Multibase::kBase64Url, data), "ueWVzIG1hbmkgIQ");
  EXPECT_EQ(multibase_encode(Multibase::kBase64, data), "meWVzIG1hbmkgIQ");
  EXPECT_EQ(multibase_encode(Multibase::kBase58Btc, std::string("\0yes mani !", 11)), "z17paNL19xttacUY");
  EXPECT_EQ(multibase_encode(Multibase::kBase58Btc, std::string("\0\0yes mani !", 12)), "z117paNL19xttacUY");
  EXPECT_EQ(multibase_encode(Multibase::kBase64, "\xc3\xb7\xc3\xaf\xc3\xbf"), "mw7fDr8O/");

  for (const char* text : {"bpfsxgidnmfxgsibb", "BPFSXGIDNMFXGSIBB", "z7paNL19xttacUY", "ueWVzIG1hbmkgIQ",
                           "meWVzIG1hbmkgIQ"}) {
    Result<MultibaseBytes> d = multibase_decode(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status().to_string();
    EXPECT_EQ(d->bytes, data) << text;
    EXPECT_EQ(static_cast<char>(d->base), text[0]);
  }
  Result<MultibaseBytes> zeros = multibase_decode("z117paNL19xttacUY");
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(zeros->bytes, std::string("\0\0yes mani !", 12));
}

// RFC 4648 section 10.
TEST(Multibase, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* b32[] = {"", "my", "mzxq", "mzxw6", "mzxw6yq", "mzxw6ytb", "mzxw6ytboi"};
  const char* b64[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(base32_encode(plain[i]), b32[i]);
    EXPECT_EQ(*base32_decode(b32[i]), plain[i]);
    EXPECT_EQ(base64_encode(plain[i], false), b64[i]);
    EXPECT_EQ(*base64_decode(b64[i], false), plain[i]);
    EXPECT_EQ(*base64_decode(b64[i], true), plain[i]);
  }
}

TEST(Multibase, RandomRoundTrips) {
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string bytes(rng() % 70, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());
    for (Multibase b : {Multibase::kBase32, Multibase::kBase32Upper, Multibase::kBase58Btc,
                        Multibase::kBase64Url, Multibase::kBase64}) {
      const std::string text = multibase_encode(b, bytes);
      Result<MultibaseBytes> d = multibase_decode(text);
      ASSERT_TRUE(d.ok()) << text;
      EXPECT_EQ(d->bytes, bytes);
      EXPECT_EQ(d->base, b);
    }
  }
}

TEST(Multibase, StrictDecoding) {
  const char* bad[] = {
      "",                    // no prefix
      "x1234",               // unknown prefix
      "Qmfoo",               // 'Q' is not a multibase prefix
      "bPFSXGIDNMFXGSIBB",   // upper case under the lower-case prefix
      "Bpfsxgidnmfxgsibb",   // and the reverse
      "bpfsxgidnmfxgsib=",   // padding
      "bpfsxgidnmfxgsib1",   // '1' is not base32
      "bm",                  // base32 length 1 mod 8 is impossible
      "bmzx",                // length 3 mod 8
      "bmz",                 // 'z' carries non-zero unused bits
      "z0",                  // '0' is not base58
      "zOIl",                // neither are O, I, l
      "meWVzIG1hbmkgIQ==",   // base64 padding
      "ueWVzIG1hbmkgIQ+",    // '+' is not base64url
      "meWVzIG1hbmkgIQ_",    // '_' is not base64
      "mZ",                  // base64 length 1 mod 4
      "mZh",                 // non-zero unused bits (Zg is the canonical form)
      "b\xff",               // non-ASCII
  };
  for (const char* text : bad) {
    Result<MultibaseBytes> d = multibase_decode(text);
    EXPECT_FALSE(d.ok()) << text;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), "VALIDATION_ERROR");
    }
  }
  Result<MultibaseBytes> d = multibase_decode("bpfsxgidnmfxgsib1");
  EXPECT_NE(d.status().message().find("invalid character '1' at offset 15"), std::string::npos)
      << d.status().message();
}

TEST(Multibase, Bounds) {
  EXPECT_TRUE(base58btc_decode(std::string(kMaxBase58TextBytes, '2')).ok());
  EXPECT_FALSE(base58btc_decode(std::string(kMaxBase58TextBytes + 1, '2')).ok());
  EXPECT_TRUE(base32_decode(std::string(kMaxMultibaseTextBytes, 'a')).ok());
  EXPECT_FALSE(base32_decode(std::string(kMaxMultibaseTextBytes + 8, 'a')).ok());
}

}  // namespace
}  // namespace anarq::ipld
