// sQuid identity records: SQL, views, schema pieces (see identity.h).
#include "modules/squid/identity.h"

#include "core/clock.h"
#include "core/json.h"
#include "crypto/ed25519.h"

namespace anarq::squid {
namespace {

const char* kNamePattern = "^[A-Za-z0-9 _.-]{1,100}$";
const char* kTagPattern = "^[a-z0-9_-]{1,32}$";
const char* kCreateProofPrefix = "anarq-squid-create-v1\n";
const char* kDelegationPrefix = "anarq-squid-delegation-v1\n";

const char* kSelect =
    "SELECT i.squid_id, i.name, i.description, i.avatar, i.tags, i.type, i.parent_id, i.root_id, i.depth, i.path,"
    " i.status, i.verification_level, i.reputation, i.reputation_updated_at, i.governance_type, i.privacy_level,"
    " i.custody, i.key_id, i.custodian, i.delegation, i.purpose, i.governance_config, i.kyc_required, i.metadata,"
    " i.created_at, i.updated_at, i.last_used, r.custodian"
    " FROM squid_identities i LEFT JOIN squid_identities r ON r.squid_id = i.root_id";

std::string text(const Row& r, size_t i) { return r.is_null(i) ? std::string() : r.str(i); }

Result<Json> json_column(const Row& r, size_t i, const char* what, Json absent) {
  if (r.is_null(i)) return absent;
  auto j = parse_json(r.str(i));
  if (!j.ok()) return Status::internal(std::string("stored squid ") + what + " does not parse");
  return *j;
}

Result<Identity> from_row(const Row& r) {
  Identity d;
  d.squid_id = r.str(0);
  d.name = r.str(1);
  d.description = text(r, 2);
  d.avatar = text(r, 3);
  auto tags = json_column(r, 4, "tags", Json::array());
  auto path = json_column(r, 9, "path", Json::array());
  auto delegation = json_column(r, 19, "delegation", nullptr);
  auto governance = json_column(r, 21, "governance_config", nullptr);
  auto metadata = json_column(r, 23, "metadata", Json::object());
  for (const auto* j : {&tags, &path, &delegation, &governance, &metadata})
    if (!j->ok()) return j->status();
  d.tags = *tags;
  d.type = r.str(5);
  d.parent_id = text(r, 6);
  d.root_id = r.str(7);
  d.depth = r.i64(8);
  d.path = *path;
  d.status = r.str(10);
  d.verification_level = r.str(11);
  d.reputation = r.i64(12);
  d.reputation_updated_at = r.str(13);
  d.governance_type = r.str(14);
  d.privacy_level = r.str(15);
  d.custody = r.str(16);
  d.key_id = text(r, 17);
  d.custodian = text(r, 18);
  d.delegation = *delegation;
  d.purpose = text(r, 20);
  d.governance_config = *governance;
  d.kyc_required = r.i64(22) != 0;
  d.metadata = *metadata;
  d.created_at = r.str(24);
  d.updated_at = r.str(25);
  d.last_used = text(r, 26);
  d.root_custodian = text(r, 27);
  return d;
}

Value nullable(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }
Value nullable(const Json& j) { return j.is_null() ? Value(nullptr) : Value(dump_compact(j)); }

Status done(const Result<int64_t>& r) { return r.ok() ? Status() : r.status(); }

// Q is a Tx (inside a transaction) or a Db (a committed read).
template <typename Q>
Result<std::optional<Identity>> load_from(Q& q, const std::string& did) {
  auto rows = q.query(std::string(kSelect) + " WHERE i.squid_id = ?", {did});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Identity>();
  auto d = from_row((*rows)[0]);
  if (!d.ok()) return d.status();
  return std::optional<Identity>(std::move(*d));
}

template <typename Q>
Result<int64_t> count_children_in(Q& q, const std::string& parent, bool live_only) {
  auto rows = q.query(std::string("SELECT COUNT(*) FROM squid_identities WHERE parent_id = ?") +
                          (live_only ? " AND status <> 'DELETED'" : ""),
                      {parent});
  if (!rows.ok()) return rows.status();
  return (*rows)[0].i64(0);
}

}  // namespace

std::string reputation_level(int64_t score) {
  if (score < 300) return "NOVICE";
  if (score < 600) return "TRUSTED";
  if (score < 800) return "EXPERT";
  return "AUTHORITY";
}

std::string create_proof_message(const std::string& did) { return kCreateProofPrefix + did; }
std::string delegation_message(const std::string& root, const std::string& sub, const std::string& type) {
  return kDelegationPrefix + root + "\n" + sub + "\n" + type;
}

std::vector<Migration> migrations() {
  return {{1, "identities",
           "CREATE TABLE squid_identities ("
           " squid_id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, avatar TEXT,"
           " tags TEXT NOT NULL, type TEXT NOT NULL, parent_id TEXT, root_id TEXT NOT NULL,"
           " depth INTEGER NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL, verification_level TEXT NOT NULL,"
           " reputation INTEGER NOT NULL, reputation_updated_at TEXT NOT NULL, governance_type TEXT NOT NULL,"
           " privacy_level TEXT NOT NULL, custody TEXT NOT NULL, key_id TEXT, custodian TEXT, delegation TEXT,"
           " purpose TEXT, governance_config TEXT, kyc_required INTEGER NOT NULL, metadata TEXT NOT NULL,"
           " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_used TEXT);"
           "CREATE INDEX squid_identities_parent ON squid_identities (parent_id);"
           "CREATE INDEX squid_identities_custodian ON squid_identities (custodian)"}};
}

Result<std::optional<Identity>> load(Tx& tx, const std::string& did) { return load_from(tx, did); }
Result<std::optional<Identity>> load(Db& db, const std::string& did) { return load_from(db, did); }
Result<int64_t> count_children(Tx& tx, const std::string& parent, bool live_only) {
  return count_children_in(tx, parent, live_only);
}

Result<std::vector<Identity>> list_children(Db& db, const std::string& parent, int limit) {
  auto rows = db.query(std::string(kSelect) + " WHERE i.parent_id = ? AND i.status <> 'DELETED'"
                                              " ORDER BY i.created_at, i.squid_id LIMIT ?",
                       {parent, int64_t{limit}});
  if (!rows.ok()) return rows.status();
  std::vector<Identity> out;
  for (const Row& r : rows->rows) {
    auto c = from_row(r);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  return out;
}

Status insert(Tx& tx, const Identity& d) {
  return done(tx.exec(
      "INSERT INTO squid_identities (squid_id, name, description, avatar, tags, type, parent_id, root_id, depth, path,"
      " status, verification_level, reputation, reputation_updated_at, governance_type, privacy_level, custody,"
      " key_id, custodian, delegation, purpose, governance_config, kyc_required, metadata, created_at, updated_at,"
      " last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {d.squid_id, d.name, d.description, nullable(d.avatar), dump_compact(d.tags), d.type, nullable(d.parent_id),
       d.root_id, d.depth, dump_compact(d.path), d.status, d.verification_level, d.reputation,
       d.reputation_updated_at, d.governance_type, d.privacy_level, d.custody, nullable(d.key_id),
       nullable(d.custodian), nullable(d.delegation), nullable(d.purpose), nullable(d.governance_config),
       int64_t{d.kyc_required ? 1 : 0}, dump_compact(d.metadata), d.created_at, d.updated_at, nullable(d.last_used)}));
}


Status lock_row(Tx& tx, const std::string& did) {
  return done(tx.exec("UPDATE squid_identities SET status = status WHERE squid_id = ?", {did}));
}

Status update_profile(Tx& tx, const Identity& d) {
  return done(tx.exec(
      "UPDATE squid_identities SET name = ?, description = ?, avatar = ?, tags = ?, privacy_level = ?,"
      " metadata = ?, updated_at = ?, last_used = ? WHERE squid_id = ?",
      {d.name, d.description, nullable(d.avatar), dump_compact(d.tags), d.privacy_level, dump_compact(d.metadata),
       d.updated_at, nullable(d.last_used), d.squid_id}));
}

Status mark_deleted(Tx& tx, const std::string& did, const std::string& updated_at) {
  return done(tx.exec("UPDATE squid_identities SET status = 'DELETED', updated_at = ? WHERE squid_id = ?", {updated_at, did}));
}

Status set_reputation(Tx& tx, const std::string& did, int64_t score, const std::string& at) {
  return done(tx.exec("UPDATE squid_identities SET reputation = ?, reputation_updated_at = ?, updated_at = ? WHERE squid_id = ?",
                      {score, at, at, did}));
}

Status touch(Tx& tx, const std::string& did, const std::string& at) {
  return done(tx.exec("UPDATE squid_identities SET last_used = ? WHERE squid_id = ?", {at, did}));
}

// The record as the wire shows it. keyId only to privileged viewers.
Json view(const Identity& d, bool privileged) {
  Json j = {{"squidId", d.squid_id},
            {"name", d.name},
            {"description", d.description},
            {"avatar", d.avatar.empty() ? Json(nullptr) : Json(d.avatar)},
            {"tags", d.tags},
            {"type", d.type},
            {"parentId", d.parent_id.empty() ? Json(nullptr) : Json(d.parent_id)},
            {"rootId", d.root_id},
            {"depth", d.depth},
            {"path", d.path},
            {"status", d.status},
            {"verificationLevel", d.verification_level},
            {"reputation", d.reputation},
            {"reputationLevel", reputation_level(d.reputation)},
            {"governanceType", d.governance_type},
            {"privacyLevel", d.privacy_level},
            {"custody", d.custody},
            {"kyc", {{"required", d.kyc_required}}},
            {"createdAt", d.created_at},
            {"updatedAt", d.updated_at},
            {"lastUsed", d.last_used.empty() ? Json(nullptr) : Json(d.last_used)},
            {"metadata", d.metadata}};
  if (privileged && !d.key_id.empty()) j["keyId"] = d.key_id;
  if (!d.custodian.empty()) j["custodian"] = d.custodian;
  if (!d.delegation.is_null()) j["delegation"] = d.delegation;
  if (!d.purpose.empty()) j["purpose"] = d.purpose;
  if (!d.governance_config.is_null()) j["governanceConfig"] = d.governance_config;
  return j;
}

// What the created events carry: no secrets, the name only when PUBLIC.
Json summary(const Identity& d) {
  Json j = {{"squidId", d.squid_id},       {"type", d.type},
            {"rootId", d.root_id},         {"depth", d.depth},
            {"status", d.status},          {"verificationLevel", d.verification_level},
            {"reputation", d.reputation},  {"reputationLevel", reputation_level(d.reputation)},
            {"governanceType", d.governance_type}, {"privacyLevel", d.privacy_level},
            {"createdAt", d.created_at}};
  if (d.privacy_level == "PUBLIC") j["name"] = d.name;
  if (!d.parent_id.empty()) {
    j["parentId"] = d.parent_id;
    j["path"] = d.path;
    j["kycRequired"] = d.kyc_required;
  }
  return j;
}

Json enum_of(const std::vector<std::string>& values) {
  Json e = Json::array();
  for (const auto& v : values) e.push_back(v);
  return e;
}
Json did_param(const std::string& description) {
  // The description opens with what the pattern expects: validation errors quote it.
  return {{"type", "string"}, {"pattern", kDidPattern},
          {"description", "an Ed25519 did:key (did:key:z6Mk..., 56 characters): " + description}};
}
Json name_param() {
  return {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", kNamePattern},
          {"description", "1-100 characters of [A-Za-z0-9 _.-]"}};
}
Json description_param() { return {{"type", "string"}, {"maxLength", 500}, {"description", "at most 500 characters"}}; }
Json avatar_param() {
  return {{"type", "string"}, {"maxLength", 2048}, {"description", "URL or CID of an image, at most 2048 characters (\"\" clears)"}};
}
Json tags_param() {
  return {{"type", "array"}, {"maxItems", 10}, {"uniqueItems", true},
          {"items", {{"type", "string"}, {"pattern", kTagPattern}, {"description", "a tag: 1-32 characters of [a-z0-9_-]"}}},
          {"description", "at most 10 tags of 1-32 characters [a-z0-9_-]"}};
}
Json privacy_param(const std::string& description) {
  return {{"type", "string"}, {"enum", enum_of(kPrivacy)}, {"description", description}};
}
Json metadata_param() {
  return {{"type", "object"}, {"maxProperties", 64},
          {"description", "free-form JSON object, at most 64 keys and 8 KiB serialised"}};
}
Json locksig_param(const std::string& description) {
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"alg", "pub", "sig", "ts", "nonce"}},
          {"description", description},
          {"properties",
           {{"alg", {{"type", "string"}, {"maxLength", 64}, {"description", "Ed25519"}}},
            {"pub", {{"type", "string"}, {"maxLength", 128}, {"description", "the signer's did:key"}}},
            {"sig", {{"type", "string"}, {"maxLength", 16384}, {"description", "base64url signature, no padding"}}},
            {"ts", {{"type", "integer"}, {"minimum", 0}, {"maximum", 253402300799999}, {"description", "signing time, epoch milliseconds"}}},
            {"nonce", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{16,64}$"}, {"description", "16-64 characters of [A-Za-z0-9_-]"}}}}}};
}
Json nullable_string(const std::string& description) {
  return {{"type", {"string", "null"}}, {"description", description}};
}

Json identity_schema() {
  Json did = {{"type", "string"}, {"description", "did:key"}};
  return {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"squidId", "name", "description", "avatar", "tags", "type", "parentId", "rootId", "depth", "path",
                    "status", "verificationLevel", "reputation", "reputationLevel", "governanceType", "privacyLevel",
                    "custody", "kyc", "createdAt", "updatedAt", "lastUsed", "metadata"}},
      {"properties",
       {{"squidId", {{"type", "string"}, {"description", "the identity's did:key (Ed25519)"}}},
        {"name", {{"type", "string"}, {"description", "display name"}}},
        {"description", {{"type", "string"}, {"description", "free text (\"\" when none)"}}},
        {"avatar", nullable_string("image URL or CID, null when none")},
        {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "tags"}}},
        {"type", {{"type", "string"}, {"enum", enum_of(kTypes)}, {"description", "ROOT or the kind of subidentity"}}},
        {"parentId", nullable_string("the root of a subidentity; null for a root")},
        {"rootId", {{"type", "string"}, {"description", "the root (itself for a root)"}}},
        {"depth", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1}, {"description", "0 root, 1 subidentity"}}},
        {"path", {{"type", "array"}, {"items", did}, {"description", "DIDs from the root to this identity"}}},
        {"status", {{"type", "string"}, {"enum", enum_of(kStatuses)}, {"description", "ACTIVE, or DELETED after squid.delete"}}},
        {"verificationLevel", {{"type", "string"}, {"enum", enum_of(kVerificationLevels)}, {"description", "KYC level"}}},
        {"reputation", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxReputation}, {"description", "score 0-1000"}}},
        {"reputationLevel", {{"type", "string"}, {"enum", enum_of(kLevels)}, {"description", "level of the score"}}},
        {"governanceType", {{"type", "string"}, {"enum", enum_of(kGovernance)}, {"description", "who governs it"}}},
        {"privacyLevel", {{"type", "string"}, {"enum", enum_of(kPrivacy)}, {"description", "who may read the record"}}},
        {"custody", {{"type", "string"}, {"enum", {"BYOK", "CUSTODIAL"}}, {"description", "who holds the private key"}}},
        {"keyId", {{"type", "string"}, {"description", "CUSTODIAL: the keystore key id (shown to the identity, its root, custodian and the operator)"}}},
        {"custodian", {{"type", "string"}, {"description", "CUSTODIAL: the DID that created the identity and controls its key"}}},
        {"delegation", {{"type", "object"}, {"description", "subidentities: the root's LockSig binding it"}}},
        {"purpose", {{"type", "string"}, {"description", "subidentities: what it is for"}}},
        {"governanceConfig", {{"type", "object"}, {"description", "subidentities: {daoId?, parentalConsent?}"}}},
        {"kyc", {{"type", "object"}, {"required", {"required"}},
                 {"properties", {{"required", {{"type", "boolean"}, {"description", "KYC required for this type"}}}}},
                 {"description", "KYC requirements"}}},
        {"createdAt", {{"type", "string"}, {"format", "date-time"}, {"description", "RFC 3339 UTC ms"}}},
        {"updatedAt", {{"type", "string"}, {"format", "date-time"}, {"description", "strictly increases with each change"}}},
        {"lastUsed", nullable_string("last write the identity itself made through sQuid")},
        {"metadata", {{"type", "object"}, {"description", "free-form JSON object"}}}}}};
}
Json nullable_identity_schema() {
  return {{"oneOf", {{{"type", "null"}}, identity_schema()}}, {"description", "the record, or null"}};
}
Json identity_reply_schema() {
  return {{"type", "object"}, {"additionalProperties", false}, {"required", {"identity"}},
          {"properties", {{"identity", identity_schema()}}}};
}

Status signature_status(const Status& s, const std::string& what) {
  if (s.code() == "SIGNATURE_INVALID") return Status(ErrorCode::kSignatureInvalid, what + " does not verify: " + s.message());
  return Status::validation(what + " is malformed: " + s.message());
}

Status check_metadata(const Json& in) {
  if (in.contains("metadata") && dump_compact(in["metadata"]).size() > kMaxMetadataBytes)
    return Status::validation("metadata is larger than 8 KiB serialised",
                              {{"violations", {{{"pointer", "/metadata"}, {"reason", "at most 8192 bytes"}}}}});
  return {};
}

Status check_did(const std::string& did, const char* field) {
  if (!crypto::ed25519_from_did_key(did).ok())
    return Status::validation(std::string(field) + " is not an Ed25519 did:key",
                              {{"violations", {{{"pointer", std::string("/") + field}, {"reason", "not an Ed25519 did:key"}}}}});
  return {};
}

Status not_found(const std::string& did) {
  return Status(ErrorCode::kNotFound, "identity " + did + " not found")
      .with_suggestion("register it with squid.create");
}

// A timestamp after `previous`, so that updatedAt strictly increases (expectedUpdatedAt relies on it).
std::string next_time(int64_t now_ms, const std::string& previous) {
  auto prev = parse_rfc3339_ms(previous);
  return format_rfc3339_ms(prev && *prev >= now_ms ? *prev + 1 : now_ms);
}

}  // namespace anarq::squid
