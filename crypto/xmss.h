#pragma once
// XMSS (RFC 8391) over Botan 2, parameter set XMSS-SHA2_10_256: 1,024
// one-time leaves per key, 2,500-byte signatures, about 0.3 s per signature
// here (Botan rebuilds the authentication path each time). Stateful: a leaf
// must never sign twice, so callers persist the next leaf index before a
// signature leaves the process (store/keystore.cc does, in its own
// transaction). Pure functions; thread-safe.
//
// Raw private key (Botan's layout, 136 bytes): 4-byte OID ‖ 32-byte root ‖
// 32-byte public seed ‖ 4-byte big-endian next leaf index ‖ 32-byte PRF seed ‖
// 32-byte private seed. Raw public key (68 bytes): OID ‖ root ‖ public seed.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace anarq::crypto {

inline constexpr uint64_t kXmssLeaves = 1024;

struct XmssKey {
  std::string private_key;  // raw, as above
  std::string public_key;   // raw, as above
};

XmssKey xmss_generate();
// The next unused leaf recorded in a raw private key; VALIDATION_ERROR when malformed.
Result<uint64_t> xmss_next_leaf(std::string_view private_key);
// The raw private key with its next-leaf index set to `leaf`.
Result<std::string> xmss_with_next_leaf(std::string_view private_key, uint64_t leaf);
Result<std::string> xmss_public_key(std::string_view private_key);
// Signs with the leaf the raw key names (REQUIRES: that leaf is reserved for
// this signature alone). INTERNAL_ERROR if Botan picked any other leaf.
Result<std::string> xmss_sign(std::string_view private_key, std::string_view message);
// The leaf index a signature used (its first 4 bytes).
Result<uint64_t> xmss_signature_leaf(std::string_view signature);
// False on any malformed input, never an exception.
bool xmss_verify(std::string_view public_key, std::string_view message, std::string_view signature);

}  // namespace anarq::crypto
