#pragma once
// LockSig: the common signature object of ../shared/spec/standards.md section 10.
//
//   LockSig = {alg, pub, sig, ts, nonce}
//   signed bytes = "anarq-locksig-v1\n" ‖ <ts as decimal> ‖ "\n" ‖ <nonce> ‖ "\n" ‖ m
//
// alg "Ed25519"; pub the signer's did:key; sig base64url without padding; ts
// epoch milliseconds; nonce 16-64 chars of [A-Za-z0-9_-]. Anyone holding the
// DID verifies with a plain Ed25519 library. Pure functions; thread-safe.
#include <string>
#include <string_view>

#include "crypto/ed25519.h"

namespace anarq::crypto {

// The exact bytes a LockSig covers.
std::string locksig_message(int64_t ts_ms, std::string_view nonce, std::string_view m);
// A fresh 22-character base64url nonce (128 random bits).
std::string new_locksig_nonce();
// VALIDATION_ERROR for a nonce outside the standard's alphabet or length.
Status validate_locksig_nonce(std::string_view nonce);

Result<Json> locksig_sign(const Ed25519KeyPair& key, std::string_view m, int64_t ts_ms, std::string nonce);
// SIGNATURE_INVALID when the signature does not verify; VALIDATION_ERROR when
// the object is malformed (fields, alg, DID, encodings).
Status locksig_verify(const Json& locksig, std::string_view m);

}  // namespace anarq::crypto
