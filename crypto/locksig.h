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
#include <vector>
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
// the object is malformed (fields, alg, DID, encodings) or its alg is not registered.
Status locksig_verify(const Json& locksig, std::string_view m);

// Registered algorithms (a table, not a switch: a new one is one row):
//   "Ed25519"                   pub = did:key, sig = Ed25519 signature
//   "XMSS-SHA2_10_256"          pub = base64url raw XMSS public key (68 B), sig = XMSS signature (RFC 8391)
//   "Ed25519+XMSS-SHA2_10_256"  hybrid: pub and sig are the Ed25519 pair, and
//                               pq = {alg: "XMSS-SHA2_10_256", pub, sig}; both
//                               must verify over the same signed bytes
// Every alg signs the same bytes (locksig_message), so formats never break.
inline constexpr const char* kLockSigXmss = "XMSS-SHA2_10_256";
inline constexpr const char* kLockSigHybrid = "Ed25519+XMSS-SHA2_10_256";
std::vector<std::string> locksig_algorithms();

}  // namespace anarq::crypto
