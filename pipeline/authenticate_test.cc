// The worked example of docs/signing.md, byte for byte, and the stage alone.
#include "pipeline/authenticate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/ed25519.h"
#include "ipld/multibase.h"

namespace anarq {
namespace {

constexpr const char* kSeedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kDid = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";
constexpr const char* kBody = R"({"topic":"q.shop.order.placed.v1","payload":{"id":"o-1"}})";
constexpr const char* kCanonical =
    "anarq-request-v1\nPOST\n/events/v1/publish\n1764079200000\nn0nce-0123456789ab\n"
    "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw\n\n"
    "b5ca05fb6ccbc2651c9e10090df50efd140b4f33fccbced78fab8309bca54bf5";
constexpr const char* kSig = "-GPes99ojDrb1K_MjjJ4g4mjGagxruM-KrMozLVQDY9q14NdUe_UR1a12JcnpnIj8PJ5GyE-o3CXGdDCV8CtCA";

crypto::Ed25519KeyPair example_key() {
  std::string seed, hex = kSeedHex;
  for (size_t i = 0; i < hex.size(); i += 2) seed += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return *crypto::ed25519_from_seed(seed);
}

TEST(SigningDoc, WorkedExampleIsWhatTheCodeComputes) {
  auto key = example_key();
  EXPECT_EQ(crypto::did_key_from_ed25519(key.public_key()), kDid);
  std::string canonical = canonical_request("post", "/events/v1/publish", "1764079200000", "n0nce-0123456789ab", kDid, "", kBody);
  EXPECT_EQ(canonical, kCanonical);
  EXPECT_EQ(ipld::base64_encode(crypto::ed25519_sign(key, canonical), /*url=*/true), kSig);
  auto pk = crypto::ed25519_from_did_key(kDid);
  ASSERT_TRUE(pk.ok());
  EXPECT_TRUE(crypto::ed25519_verify(*pk, kCanonical, *ipld::base64_decode(kSig, true)));
}

TEST(SigningDoc, TheDocumentShowsTheseFigures) {
  std::ifstream f(std::string(ANARQ_SOURCE_DIR) + "/docs/signing.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string doc = ss.str();
  EXPECT_NE(doc.find(std::string("```\n") + kCanonical + "\n```"), std::string::npos) << "canonical string block";
  EXPECT_NE(doc.find(kSig), std::string::npos);
  EXPECT_NE(doc.find(kDid), std::string::npos);
  EXPECT_NE(doc.find(kSeedHex), std::string::npos);
}

TEST(SigningDoc, EmptyBodyHashesTheEmptyString) {
  std::string c = canonical_request("GET", "/node/v1/info?x=1", "1", "n0nce-0123456789ab", kDid, "", "");
  EXPECT_TRUE(c.ends_with("\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_NE(c.find("\nGET\n/node/v1/info?x=1\n"), std::string::npos);
}

}  // namespace
}  // namespace anarq

namespace anarq {
namespace {

TEST(NonceCache, OneIdentityCannotFillTheTableForTheOthers) {
  NonceCache cache(/*max_total=*/100, /*max_per_identity=*/10);
  const int64_t now = 1'000'000'000;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(*cache.insert("did:key:zA", "nonce-a-" + std::to_string(i), now, now));
  auto over = cache.insert("did:key:zA", "nonce-a-over", now, now);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), "RATE_LIMIT_EXCEEDED");
  EXPECT_GT(over.status().retry_after(), 0);
  // Others keep their share.
  EXPECT_TRUE(*cache.insert("did:key:zB", "nonce-b-1", now, now));
  // A replay is still a replay, not a quota error.
  EXPECT_FALSE(*cache.insert("did:key:zA", "nonce-a-3", now, now));
  // Once the window has passed, the share comes back.
  const int64_t later = now + 2 * kSignatureWindowMs + 1;
  EXPECT_TRUE(*cache.insert("did:key:zA", "nonce-a-new", later, later));
}

TEST(NonceCache, TheTotalBoundHoldsAcrossIdentities) {
  NonceCache cache(/*max_total=*/20, /*max_per_identity=*/10);
  const int64_t now = 1'000'000'000;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(*cache.insert("did:key:z" + std::to_string(i), "nonce-0000000000", now, now));
  auto full = cache.insert("did:key:zX", "nonce-0000000000", now, now);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), "SERVICE_UNAVAILABLE");
}

}  // namespace
}  // namespace anarq
