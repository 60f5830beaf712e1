#pragma once
// Symmetric and public-key encryption over libsodium:
// - XChaCha20-Poly1305-IETF AEAD (32-byte key, 24-byte random nonce, 16-byte
//   tag appended to the ciphertext): data under keystore keys, and the
//   keystore's own sealing of key material under the master key;
// - sealed boxes (crypto_box_seal: ephemeral X25519 + XSalsa20-Poly1305) to
//   an identity, whose X25519 key is its Ed25519 did:key converted
//   birationally (crypto_sign_ed25519_pk_to_curve25519), so any did:key can
//   receive without publishing a second key.
// Pure functions; thread-safe.
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/ed25519.h"

namespace anarq::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kSealedBoxOverhead = 48;  // ephemeral public key + tag

std::string random_secret(size_t n);
// REQUIRES: key is 32 bytes and nonce 24 bytes (checked: VALIDATION_ERROR).
Result<std::string> aead_seal(std::string_view key, std::string_view nonce, std::string_view plaintext,
                              std::string_view aad);
// QLOCK_DECRYPTION_FAILED (400) when the ciphertext, nonce, aad or key differ from the sealing ones.
Result<std::string> aead_open(std::string_view key, std::string_view nonce, std::string_view ciphertext,
                              std::string_view aad);

// The X25519 public key of an Ed25519 public key; VALIDATION_ERROR for a key
// that is not a valid curve point.
Result<std::string> x25519_from_ed25519(std::string_view ed25519_public_key);
// did:key:z + base58btc(0xec 0x01 || X25519 public key): z6LS...
std::string did_key_from_x25519(std::string_view x25519_public_key);
Result<std::string> sealed_box_seal(std::string_view ed25519_public_key, std::string_view plaintext);
Result<std::string> sealed_box_open(const Ed25519KeyPair& recipient, std::string_view ciphertext);

}  // namespace anarq::crypto
