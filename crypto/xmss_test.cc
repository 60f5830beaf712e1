#include "crypto/xmss.h"

#include <gtest/gtest.h>

namespace anarq::crypto {
namespace {

// One key for the suite: generation costs ~0.4 s (more under sanitizers).
const XmssKey& key() {
  static const XmssKey k = xmss_generate();
  return k;
}

TEST(XmssTest, LayoutIsBotansRawKeyWithTheLeafAtOffset68) {
  EXPECT_EQ(key().private_key.size(), 136u);
  EXPECT_EQ(key().public_key.size(), 68u);
  EXPECT_EQ(key().private_key.substr(0, 4), std::string("\0\0\0\1", 4)) << "OID of XMSS-SHA2_10_256";
  EXPECT_EQ(*xmss_public_key(key().private_key), key().public_key);
  EXPECT_EQ(*xmss_next_leaf(key().private_key), 0u);
  auto moved = xmss_with_next_leaf(key().private_key, 513);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*xmss_next_leaf(*moved), 513u);
  EXPECT_EQ(xmss_with_next_leaf(key().private_key, kXmssLeaves + 1).status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(xmss_next_leaf("junk").status().code(), "VALIDATION_ERROR");
}

TEST(XmssTest, SignsWithTheNamedLeafAndFailsOnAnyAlteredByte) {
  auto at = xmss_with_next_leaf(key().private_key, 7);
  auto sig = xmss_sign(*at, "long-term statement");
  ASSERT_TRUE(sig.ok()) << sig.status().to_string();
  EXPECT_EQ(sig->size(), 2500u);
  EXPECT_EQ(*xmss_signature_leaf(*sig), 7u);
  EXPECT_TRUE(xmss_verify(key().public_key, "long-term statement", *sig));
  EXPECT_FALSE(xmss_verify(key().public_key, "long-term statemenT", *sig));
  for (size_t i : {size_t{0}, size_t{3}, size_t{4}, size_t{40}, size_t{1000}, size_t{2499}}) {
    std::string t = *sig;
    t[i] ^= 0x01;
    EXPECT_FALSE(xmss_verify(key().public_key, "long-term statement", t)) << "byte " << i;
  }
  std::string pub = key().public_key;
  pub[10] ^= 1;
  EXPECT_FALSE(xmss_verify(pub, "long-term statement", *sig));
  EXPECT_FALSE(xmss_verify("short", "m", *sig));
  EXPECT_FALSE(xmss_verify(key().public_key, "m", "short"));
  // Botan counts leaves per process too: a key naming a leaf behind that count
  // (a reused leaf) gets no signature at all.
  EXPECT_EQ(xmss_sign(*xmss_with_next_leaf(key().private_key, 3), "again").status().code(), "INTERNAL_ERROR");
}

TEST(XmssTest, AnExhaustedKeyIsRefused) {
  auto spent = xmss_with_next_leaf(key().private_key, kXmssLeaves);
  EXPECT_EQ(xmss_sign(*spent, "m").status().code(), "QLOCK_KEY_EXHAUSTED");
}

}  // namespace
}  // namespace anarq::crypto
