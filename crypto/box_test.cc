#include "crypto/box.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace anarq::crypto {
namespace {

TEST(AeadTest, RoundTripsAndRefusesEveryAlteredByte) {
  std::string key = random_secret(kAeadKeyBytes), nonce = random_secret(kAeadNonceBytes);
  auto ct = aead_seal(key, nonce, "attack at dawn", "header");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), 14 + kAeadTagBytes);
  EXPECT_EQ(*aead_open(key, nonce, *ct, "header"), "attack at dawn");
  for (size_t i = 0; i < ct->size(); ++i) {
    std::string t = *ct;
    t[i] ^= 0x01;
    EXPECT_EQ(aead_open(key, nonce, t, "header").status().code(), "QLOCK_DECRYPTION_FAILED") << "byte " << i;
  }
  EXPECT_EQ(aead_open(key, nonce, *ct, "Header").status().code(), "QLOCK_DECRYPTION_FAILED") << "aad is bound";
  std::string n2 = nonce;
  n2[0] ^= 1;
  EXPECT_EQ(aead_open(key, n2, *ct, "header").status().code(), "QLOCK_DECRYPTION_FAILED");
  EXPECT_EQ(aead_open(random_secret(32), nonce, *ct, "header").status().code(), "QLOCK_DECRYPTION_FAILED");
  EXPECT_EQ(aead_open(key, nonce, "short", "header").status().code(), "QLOCK_DECRYPTION_FAILED");
  EXPECT_EQ(aead_seal("short key", nonce, "x", "").status().code(), "VALIDATION_ERROR");
}

// libsodium's own XChaCha20-Poly1305 test vector (test/default/aead_xchacha20poly1305.c,
// from draft-irtf-cfrg-xchacha-03 section A.3.1).
TEST(AeadTest, MatchesTheXChaChaDraftVector) {
  auto hex = [](const char* h) {
    std::string out;
    for (size_t i = 0; h[i] && h[i + 1]; i += 2) out += static_cast<char>(std::stoi(std::string(h + i, 2), nullptr, 16));
    return out;
  };
  std::string key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  std::string nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  std::string aad = hex("50515253c0c1c2c3c4c5c6c7");
  std::string pt = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
                   "sunscreen would be it.";
  auto ct = aead_seal(key, nonce, pt, aad);
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->substr(ct->size() - 16), hex("c0875924c1c7987947deafd8780acf49"));
  EXPECT_EQ(ct->substr(0, 8), hex("bd6d179d3e83d43b"));
}

TEST(SealedBoxTest, AnyDidKeyReceivesAndOnlyItOpens) {
  auto alice = ed25519_generate(), eve = ed25519_generate();
  auto ct = sealed_box_seal(alice.public_key(), "for alice");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), 9 + kSealedBoxOverhead);
  EXPECT_EQ(*sealed_box_open(alice, *ct), "for alice");
  EXPECT_EQ(sealed_box_open(eve, *ct).status().code(), "QLOCK_DECRYPTION_FAILED");
  std::string t = *ct;
  t.back() ^= 1;
  EXPECT_EQ(sealed_box_open(alice, t).status().code(), "QLOCK_DECRYPTION_FAILED");
  // The recipient can open it with plain libsodium and the converted key.
  unsigned char xpk[32], xsk[32];
  ASSERT_EQ(crypto_sign_ed25519_pk_to_curve25519(xpk, reinterpret_cast<const unsigned char*>(alice.public_key().data())), 0);
  ASSERT_EQ(crypto_sign_ed25519_sk_to_curve25519(xsk, alice.secret_key().data()), 0);
  std::string out(ct->size() - crypto_box_SEALBYTES, '\0');
  ASSERT_EQ(crypto_box_seal_open(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(ct->data()), ct->size(), xpk, xsk), 0);
  EXPECT_EQ(out, "for alice");
  EXPECT_EQ(did_key_from_x25519(*x25519_from_ed25519(alice.public_key())).rfind("did:key:z6LS", 0), 0u);
  EXPECT_EQ(sealed_box_seal("short", "x").status().code(), "VALIDATION_ERROR");
}

}  // namespace
}  // namespace anarq::crypto
