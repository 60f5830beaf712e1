#pragma once
// Keystore: versioned keys whose private material is sealed at rest with
// XChaCha20-Poly1305 under a 32-byte master key (ANARQ_MASTER_KEY, base64, or
// DATA_DIR/master.key, 0600, created on first start). Every version of a key
// keeps decrypting and verifying until it is revoked; rotation adds a version
// and only the newest ACTIVE version encrypts or signs. A key belongs to one
// environment (dev | staging | prod); using a key of another environment is
// refused (a staging data dir started as prod cannot use staging keys).
//
// The keystore does not publish events (store/ sits below the bus): callers
// pass their own transaction to create/rotate/revoke and publish the
// q.qlock.key.<op>.v1 audit event in it, so a key change and its audit commit
// together or not at all.
//
// Thread-safe: state lives in the Db; the master key is immutable after open.
// XMSS signing is serialised per process (see xmss_sign).
//
//   auto ks = Keystore::open(db, clock, {.environment = "dev", .data_dir = dir});
//   db.transaction([&](Tx& tx) {
//     auto k = ks->create(tx, {.owner = did, .purpose = KeyPurpose::kEncryption});
//     ...publish q.qlock.key.created.v1 in tx...
//   });
//   auto box = ks->encrypt(key_id, "plaintext", aad);   // newest version
//   auto pt = ks->decrypt(key_id, box->version, box->nonce, box->ciphertext, aad);
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/ed25519.h"
#include "store/db.h"

namespace anarq {

enum class KeyPurpose { kSigning, kEncryption, kKeyDerivation, kAuthentication };
enum class KeyStatus { kActive, kRotating, kDeprecated, kRevoked };
const char* key_purpose_name(KeyPurpose p);  // SIGNING ENCRYPTION KEY_DERIVATION AUTHENTICATION
const char* key_status_name(KeyStatus s);    // ACTIVE ROTATING DEPRECATED REVOKED
std::optional<KeyPurpose> parse_key_purpose(std::string_view name);

// Algorithms, by registered name.
inline constexpr const char* kAlgEd25519 = "Ed25519";
inline constexpr const char* kAlgXChaCha = "XChaCha20-Poly1305";
inline constexpr const char* kAlgXmss = "XMSS-SHA2_10_256";
inline constexpr const char* kAlgHkdf = "HKDF-SHA256";

inline constexpr int64_t kMaxKeysPerOwner = 1000;  // QLOCK_KEY_LIMIT (409) beyond
inline constexpr int kMaxListedVersions = 100;

// ISO 8601 duration (PnYnMnDTnHnMnS, PnW; years 365 d, months 30 d) in
// milliseconds; VALIDATION_ERROR when malformed, zero or over 100 years.
Result<int64_t> parse_iso8601_duration_ms(std::string_view text);

struct KeyVersion {
  std::string key_id;  // UUIDv7 (or a fixed name such as "node")
  int version = 1;
  std::string owner;  // did:key of the owning identity, or "node"
  KeyPurpose purpose = KeyPurpose::kEncryption;
  std::string algorithm;
  std::string environment;
  KeyStatus status = KeyStatus::kActive;
  int64_t created_ms = 0;
  std::string rotate_after;  // ISO 8601 duration; empty = rotated by hand only
  std::string public_key;    // did:key (Ed25519), base64url raw key (XMSS), empty (symmetric)
  std::string label;
  int64_t revoked_ms = 0;
};

// The record as the wire shows it (tools, q.qlock.key.*.v1 events): keyId,
// version, owner, purpose, algorithm, environment, status, createdAt,
// rotateAfter (null = by hand only), publicKey (omitted when symmetric),
// label, revokedAt (when revoked). Never the material.
Json key_version_json(const KeyVersion& v);

// The node's own signing key (events, checkpoints, peer id).
inline constexpr const char* kNodeKeyId = "node";

struct NewKey {
  std::string key_id;  // empty = a fresh UUIDv7
  std::string owner;
  KeyPurpose purpose = KeyPurpose::kEncryption;
  std::string algorithm;     // empty = the purpose's default (XChaCha20-Poly1305, Ed25519, HKDF-SHA256)
  std::string rotate_after;  // empty = the purpose's default (signing P30D, encryption P90D, API keys P7D)
  bool manual_rotation = false;  // true: never rotated by the scheduled job (identity keys: the DID is the key)
  std::string label;
};

struct KeystoreOptions {
  std::string environment = "dev";
  std::string master_key_b64;  // ANARQ_MASTER_KEY; empty = DATA_DIR/master.key
  std::string data_dir;        // empty with no master key = an ephemeral master key (in-memory nodes)
};

struct SealedData {
  int version = 0;
  std::string nonce;       // 24 bytes
  std::string ciphertext;  // ciphertext || 16-byte tag
};

struct XmssSignature {
  int version = 0;
  std::string public_key;  // raw Botan XMSS public key
  std::string signature;
  uint64_t leaf = 0;       // the one-time leaf it used (persisted as spent before this returns)
  uint64_t leaves_left = 0;
};

class Keystore {
 public:
  static std::vector<Migration> migrations();  // module name "keystore"
  // Refuses a master key that does not open the keys already stored.
  static Result<std::unique_ptr<Keystore>> open(Db& db, const Clock& clock, KeystoreOptions options);
  ~Keystore();

  const std::string& environment() const { return environment_; }

  // Version 1 of a new key with fresh material (VERSION_CONFLICT when key_id exists).
  Result<KeyVersion> create(Tx& tx, const NewKey& key);
  // Version 1 from existing secret material (the legacy node.key seed).
  Result<KeyVersion> import(Tx& tx, const NewKey& key, std::string_view secret);
  // A new ACTIVE version; the previous ACTIVE one becomes ROTATING and older
  // ROTATING ones DEPRECATED (all still decrypt and verify).
  // material: pre-generated secret for the new version (XMSS trees take
  // ~0.4 s: build them outside the transaction); empty = fresh here.
  Result<KeyVersion> rotate(Tx& tx, const std::string& key_id, std::string_view material = {});
  // REVOKED: refused for every use from now on. version 0 = every version.
  Result<std::vector<KeyVersion>> revoke(Tx& tx, const std::string& key_id, int version);

  // version 0 = the newest. NOT_FOUND when absent.
  Result<KeyVersion> get(const std::string& key_id, int version = 0) const;
  // The newest kMaxListedVersions versions, oldest first.
  Result<std::vector<KeyVersion>> versions(const std::string& key_id) const;
  // Newest version of each of owner's keys, by key id; at most `limit`.
  Result<std::vector<KeyVersion>> list(const std::string& owner, int limit, const std::string& after) const;
  // Key ids whose newest version is older than its rotate_after.
  Result<std::vector<std::string>> due_for_rotation(int64_t now_ms) const;

  // Uses. Each refuses REVOKED versions (QLOCK_KEY_REVOKED, 403), keys of
  // another environment (QLOCK_KEY_ENVIRONMENT, 403) and the wrong purpose or
  // algorithm (VALIDATION_ERROR).
  Result<SealedData> encrypt(const std::string& key_id, std::string_view plaintext, std::string_view aad) const;
  // QLOCK_DECRYPTION_FAILED (400) when the ciphertext or aad was altered.
  Result<std::string> decrypt(const std::string& key_id, int version, std::string_view nonce,
                              std::string_view ciphertext, std::string_view aad) const;
  // An Ed25519 key (SIGNING or AUTHENTICATION); version 0 = the newest ACTIVE.
  Result<crypto::Ed25519KeyPair> ed25519(const std::string& key_id, int version = 0) const;
  // XMSS: reserves the next leaf durably (its own transaction) before signing,
  // so a leaf is never used twice, even across crashes; QLOCK_KEY_EXHAUSTED
  // (409) once every leaf is spent. About 0.3 s per signature.
  Result<XmssSignature> xmss_sign(const std::string& key_id, std::string_view message);

 private:
  Keystore(Db& db, const Clock& clock, std::string environment, std::string master);
  Result<Blob> seal_material(KeyVersion& v, std::string_view given) const;
  struct Impl;
  Db& db_;
  const Clock& clock_;
  std::string environment_;
  std::string master_;  // 32 bytes, locked in memory where the OS allows
  std::unique_ptr<Impl> impl_;
};

}  // namespace anarq
