#include "crypto/ed25519.h"

#include <gtest/gtest.h>

namespace anarq::crypto {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// RFC 8032 section 7.1, TEST 1 and TEST 2.
TEST(Ed25519Test, Rfc8032Vectors) {
  struct V { const char* seed; const char* pub; const char* msg; const char* sig; };
  const V vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const auto& v : vectors) {
    auto kp = ed25519_from_seed(unhex(v.seed));
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(kp->public_key(), unhex(v.pub));
    std::string sig = ed25519_sign(*kp, unhex(v.msg));
    EXPECT_EQ(sig, unhex(v.sig));
    EXPECT_TRUE(ed25519_verify(kp->public_key(), unhex(v.msg), sig));
    std::string bad = sig;
    bad[0] ^= 1;
    EXPECT_FALSE(ed25519_verify(kp->public_key(), unhex(v.msg), bad));
    EXPECT_FALSE(ed25519_verify(kp->public_key(), unhex(v.msg) + "x", sig));
  }
  EXPECT_FALSE(ed25519_verify("short", "m", std::string(64, 'a')));
  EXPECT_FALSE(ed25519_from_seed("short").ok());
}

TEST(Ed25519Test, DidKeyRoundTrip) {
  auto kp = ed25519_generate();
  std::string did = did_key_from_ed25519(kp.public_key());
  EXPECT_EQ(did.rfind("did:key:z6Mk", 0), 0u) << did;
  EXPECT_EQ(*ed25519_from_did_key(did), kp.public_key());
  EXPECT_FALSE(ed25519_from_did_key("did:key:z6LSbogus").ok());
  EXPECT_FALSE(ed25519_from_did_key("did:web:example.com").ok());
  EXPECT_FALSE(ed25519_from_did_key("did:key:z0OIl").ok());
}

// The did:key method spec's Ed25519 example: the RFC 8032 TEST 1 public key.
TEST(Ed25519Test, DidKeyOfAKnownKey) {
  auto kp = ed25519_from_seed(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  std::string did = did_key_from_ed25519(kp->public_key());
  EXPECT_EQ(*ed25519_from_did_key(did), kp->public_key());
}

TEST(Ed25519Test, Libp2pPeerIdShape) {
  auto kp = ed25519_generate();
  std::string id = libp2p_peer_id(kp.public_key());
  EXPECT_EQ(id.rfind("12D3KooW", 0), 0u) << id;
  EXPECT_EQ(id.size(), 52u);
}

}  // namespace
}  // namespace anarq::crypto
