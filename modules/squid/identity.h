#pragma once
// sQuid identity records: the row model of squid_identities and its SQL, the
// wire views of a record, the signed strings, and the JSON Schema pieces the
// squid tools share. Private to modules/squid (squid_module.cc holds the
// tools and their rules). Pure functions over the caller's Db or Tx;
// thread-compatible.
//
// Signed strings (LockSig m, standards section 10):
//   create proof  m = "anarq-squid-create-v1\n" + squidId
//   delegation    m = "anarq-squid-delegation-v1\n" + root + "\n" + sub + "\n" + type
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/db.h"

namespace anarq::squid {

inline constexpr int kMaxSubidentities = 10;          // live (not DELETED) per root
inline constexpr int kMaxSubidentityRecords = 1000;   // ever created per root, DELETED included
inline constexpr size_t kMaxMetadataBytes = 8 * 1024;  // serialised
inline constexpr int64_t kProofWindowMs = 300'000;
inline constexpr int kRootReputation = 100;
inline constexpr int kMaxReputation = 1000;
inline constexpr int kMaxChildrenListed = 100;
inline constexpr size_t kMaxVerifyMessageBytes = 64 * 1024;

inline constexpr const char* kDidPattern = "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$";

inline const std::vector<std::string> kTypes = {"ROOT", "DAO", "ENTERPRISE", "CONSENTIDA", "AID"};
inline const std::vector<std::string> kSubTypes = {"DAO", "ENTERPRISE", "CONSENTIDA", "AID"};
inline const std::vector<std::string> kStatuses = {"ACTIVE", "INACTIVE", "SUSPENDED", "DELETED", "PENDING_VERIFICATION"};
inline const std::vector<std::string> kVerificationLevels = {"UNVERIFIED", "BASIC", "ENHANCED", "INSTITUTIONAL"};
inline const std::vector<std::string> kGovernance = {"SELF", "DAO", "PARENT", "AUTONOMOUS"};
inline const std::vector<std::string> kPrivacy = {"PUBLIC", "DAO_ONLY", "PRIVATE", "ANONYMOUS"};
inline const std::vector<std::string> kLevels = {"NOVICE", "TRUSTED", "EXPERT", "AUTHORITY"};

struct Identity {
  std::string squid_id, name, description, avatar;  // avatar "" = none
  Json tags = Json::array();
  std::string type, parent_id, root_id;  // parent_id "" for a root
  int64_t depth = 0;
  Json path = Json::array();
  std::string status = "ACTIVE", verification_level = "UNVERIFIED";
  int64_t reputation = kRootReputation;
  std::string reputation_updated_at;
  std::string governance_type = "SELF", privacy_level = "PUBLIC";
  std::string custody = "BYOK", key_id, custodian;  // key_id, custodian: CUSTODIAL only
  Json delegation;  // subidentities: the root's LockSig; null for roots
  std::string purpose;
  Json governance_config;  // null when none
  bool kyc_required = false;
  Json metadata = Json::object();
  std::string created_at, updated_at, last_used;
  std::string root_custodian;  // joined from the root's row on load, not stored
};

// NOVICE < 300 <= TRUSTED < 600 <= EXPERT < 800 <= AUTHORITY
std::string reputation_level(int64_t score);
std::string create_proof_message(const std::string& did);
std::string delegation_message(const std::string& root, const std::string& sub, const std::string& type);

// Module "squid": table squid_identities, indexed on parent_id and custodian.
std::vector<Migration> migrations();

// One indexed SELECT (joined with the root's row for root_custodian).
Result<std::optional<Identity>> load(Tx& tx, const std::string& did);
Result<std::optional<Identity>> load(Db& db, const std::string& did);
// Live (not DELETED) subidentities of parent, oldest first, at most limit.
Result<std::vector<Identity>> list_children(Db& db, const std::string& parent, int limit);
Result<int64_t> count_children(Tx& tx, const std::string& parent, bool live_only);

// Takes the row's write lock for the rest of tx (a no-op write): on PostgreSQL
// it serialises concurrent subidentity creation under, and deletion of, one
// root, so the live-children count stays exact (SQLite has one writer anyway).
Status lock_row(Tx& tx, const std::string& did);
Status insert(Tx& tx, const Identity& d);
// Writes the whitelisted profile fields, updated_at and last_used.
Status update_profile(Tx& tx, const Identity& d);
Status mark_deleted(Tx& tx, const std::string& did, const std::string& updated_at);
Status set_reputation(Tx& tx, const std::string& did, int64_t score, const std::string& at);
Status touch(Tx& tx, const std::string& did, const std::string& at);  // last_used

// The record as the wire shows it; keyId only when privileged.
Json view(const Identity& d, bool privileged);
// What the created events carry: no secrets, the name only when PUBLIC.
Json summary(const Identity& d);

// A timestamp after `previous`, so that updatedAt strictly increases
// (expectedUpdatedAt relies on it).
std::string next_time(int64_t now_ms, const std::string& previous);

// Errors.
Status not_found(const std::string& did);
// A LockSig failure as SIGNATURE_INVALID (did not verify) or VALIDATION_ERROR (malformed).
Status signature_status(const Status& s, const std::string& what);
Status check_metadata(const Json& in);  // metadata <= kMaxMetadataBytes serialised
Status check_did(const std::string& did, const char* field);  // an Ed25519 did:key

// Schema pieces.
Json enum_of(const std::vector<std::string>& values);
Json did_param(const std::string& description);
Json name_param();
Json description_param();
Json avatar_param();
Json tags_param();
Json privacy_param(const std::string& description);
Json metadata_param();
Json locksig_param(const std::string& description);
Json nullable_string(const std::string& description);
Json identity_schema();
Json nullable_identity_schema();
Json identity_reply_schema();  // {identity}

}  // namespace anarq::squid
