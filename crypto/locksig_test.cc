#include "crypto/locksig.h"

#include <gtest/gtest.h>

#include "ipld/multibase.h"

namespace anarq::crypto {
namespace {

TEST(LockSigTest, SignsTheDocumentedBytes) {
  EXPECT_EQ(locksig_message(1764079200000, "abcdefghijklmnop", "data"),
            "anarq-locksig-v1\n1764079200000\nabcdefghijklmnop\ndata");
  auto key = ed25519_generate();
  auto s = locksig_sign(key, "hello", 1764079200000, "nonce_0123456789-AB");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["alg"], "Ed25519");
  EXPECT_EQ((*s)["pub"], did_key_from_ed25519(key.public_key()));
  EXPECT_TRUE(locksig_verify(*s, "hello").ok());
  // A plain Ed25519 verify over the documented bytes agrees.
  auto sig = ipld::base64_decode((*s)["sig"].get<std::string>(), /*url=*/true);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(ed25519_verify(key.public_key(), locksig_message(1764079200000, "nonce_0123456789-AB", "hello"), *sig));
}

TEST(LockSigTest, AnyAlteredFieldFails) {
  auto key = ed25519_generate();
  Json s = *locksig_sign(key, "msg", 1000, new_locksig_nonce());
  EXPECT_EQ(locksig_verify(s, "msg!").code(), "SIGNATURE_INVALID");
  Json ts = s;
  ts["ts"] = 1001;
  EXPECT_EQ(locksig_verify(ts, "msg").code(), "SIGNATURE_INVALID");
  Json nonce = s;
  nonce["nonce"] = "zzzzzzzzzzzzzzzzzzzzzz";
  EXPECT_EQ(locksig_verify(nonce, "msg").code(), "SIGNATURE_INVALID");
  Json pub = s;
  pub["pub"] = did_key_from_ed25519(ed25519_generate().public_key());
  EXPECT_EQ(locksig_verify(pub, "msg").code(), "SIGNATURE_INVALID");
}

TEST(LockSigTest, MalformedObjectsAreValidationErrors) {
  auto key = ed25519_generate();
  Json s = *locksig_sign(key, "m", 1, new_locksig_nonce());
  for (const char* field : {"alg", "pub", "sig", "ts", "nonce"}) {
    Json bad = s;
    bad.erase(field);
    EXPECT_EQ(locksig_verify(bad, "m").code(), "VALIDATION_ERROR") << field;
  }
  Json alg = s;
  alg["alg"] = "RSA";
  EXPECT_EQ(locksig_verify(alg, "m").code(), "VALIDATION_ERROR");
  Json sig = s;
  sig["sig"] = "not base64!";
  EXPECT_EQ(locksig_verify(sig, "m").code(), "VALIDATION_ERROR");
  EXPECT_FALSE(locksig_sign(key, "m", 1, "short").ok());
  EXPECT_FALSE(locksig_sign(key, "m", 1, "bad chars here!!!!").ok());
  EXPECT_EQ(new_locksig_nonce().size(), 22u);
  EXPECT_TRUE(validate_locksig_nonce(new_locksig_nonce()).ok());
  EXPECT_EQ(locksig_verify(Json::array(), "m").code(), "VALIDATION_ERROR");
}

}  // namespace
}  // namespace anarq::crypto
