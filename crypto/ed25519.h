#pragma once
// Ed25519 (RFC 8032) over libsodium, and the identifiers derived from an
// Ed25519 public key: did:key (z6Mk...) and the libp2p peer id (12D3KooW...).
// Pure functions; thread-safe after sodium_init (done on first use).
//
//   auto kp = ed25519_generate();
//   std::string sig = ed25519_sign(kp, "message");
//   bool ok = ed25519_verify(kp.public_key(), "message", sig);
//   std::string did = did_key_from_ed25519(kp.public_key());
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::crypto {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SeedBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;

class Ed25519KeyPair {
 public:
  std::string_view public_key() const { return {reinterpret_cast<const char*>(pk_.data()), pk_.size()}; }
  std::string_view seed() const { return {reinterpret_cast<const char*>(sk_.data()), kEd25519SeedBytes}; }
  const std::array<uint8_t, 64>& secret_key() const { return sk_; }
  ~Ed25519KeyPair();

 private:
  friend Ed25519KeyPair ed25519_generate();
  friend Result<Ed25519KeyPair> ed25519_from_seed(std::string_view seed);
  std::array<uint8_t, 32> pk_{};
  std::array<uint8_t, 64> sk_{};  // libsodium layout: seed || public key
};

Ed25519KeyPair ed25519_generate();
Result<Ed25519KeyPair> ed25519_from_seed(std::string_view seed);
// 64-byte detached signature.
std::string ed25519_sign(const Ed25519KeyPair& key, std::string_view message);
// False for a malformed key or signature, never an exception.
bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature);

// did:key:z + base58btc(0xed 0x01 || public key)
std::string did_key_from_ed25519(std::string_view public_key);
// The 32-byte public key of an Ed25519 did:key; VALIDATION_ERROR otherwise.
Result<std::string> ed25519_from_did_key(std::string_view did);

// libp2p: base58btc(identity multihash(protobuf PublicKey{Type: Ed25519, Data: key})).
std::string libp2p_peer_id(std::string_view public_key);
// The protobuf-encoded libp2p PublicKey (for /api/v0/id's PublicKey, base64).
std::string libp2p_public_key_proto(std::string_view public_key);

}  // namespace anarq::crypto
