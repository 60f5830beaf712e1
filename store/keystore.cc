#include "store/keystore.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "core/ids.h"
#include "crypto/box.h"
#include "crypto/node_key.h"
#include "crypto/xmss.h"
#include "ipld/multibase.h"

namespace anarq {
namespace {

// Sealed material, one BLOB per key version:
//   nonce (24) ‖ XChaCha20-Poly1305(master, nonce, secret, aad)
//   aad = "anarq-keystore-v1\n" key_id \n version \n owner \n purpose \n algorithm \n environment
// The aad binds the material to its record: a row copied under another id,
// version, owner, purpose or environment no longer opens.
constexpr const char* kAadPrefix = "anarq-keystore-v1\n";
constexpr const char* kVerifierPlain = "anarq-keystore-verifier-v1";
constexpr int kMaxListed = 1000;
constexpr int64_t kMaxDurationMs = 100LL * 365 * 86'400'000;  // rotation periods up to 100 years

const char* kColumns =
    "key_id, version, owner, purpose, algorithm, environment, status, created_ms, rotate_after, public_key, label, "
    "revoked_ms";

Status key_revoked(const KeyVersion& v) {
  return Status::custom("QLOCK_KEY_REVOKED", 403, false,
                        "key " + v.key_id + " version " + std::to_string(v.version) + " is revoked",
                        Json{{"keyId", v.key_id}, {"version", v.version}})
      .with_suggestion("data under a revoked version cannot be used; rewrap data before revoking a version");
}

Status environment_refused(const std::string& key_id, const std::string& key_env, const std::string& node_env) {
  return Status::custom("QLOCK_KEY_ENVIRONMENT", 403, false,
                        "key " + key_id + " belongs to environment " + key_env + ", this node runs " + node_env,
                        Json{{"keyId", key_id}, {"keyEnvironment", key_env}, {"nodeEnvironment", node_env}});
}

std::optional<KeyStatus> parse_status(std::string_view s) {
  for (auto st : {KeyStatus::kActive, KeyStatus::kRotating, KeyStatus::kDeprecated, KeyStatus::kRevoked})
    if (s == key_status_name(st)) return st;
  return std::nullopt;
}

KeyVersion from_row(const Row& r) {
  KeyVersion v;
  v.key_id = r.str(0);
  v.version = static_cast<int>(r.i64(1));
  v.owner = r.str(2);
  v.purpose = parse_key_purpose(r.str(3)).value_or(KeyPurpose::kEncryption);
  v.algorithm = r.str(4);
  v.environment = r.str(5);
  v.status = parse_status(r.str(6)).value_or(KeyStatus::kRevoked);
  v.created_ms = r.i64(7);
  v.rotate_after = r.str(8);
  v.public_key = r.str(9);
  v.label = r.str(10);
  v.revoked_ms = r.i64(11);
  return v;
}

std::string record_aad(const KeyVersion& v) {
  return std::string(kAadPrefix) + v.key_id + "\n" + std::to_string(v.version) + "\n" + v.owner + "\n" +
         key_purpose_name(v.purpose) + "\n" + v.algorithm + "\n" + v.environment;
}

const char* default_algorithm(KeyPurpose p) {
  switch (p) {
    case KeyPurpose::kSigning:
    case KeyPurpose::kAuthentication: return kAlgEd25519;
    case KeyPurpose::kEncryption: return kAlgXChaCha;
    case KeyPurpose::kKeyDerivation: return kAlgHkdf;
  }
  return kAlgXChaCha;
}

const char* default_rotation(KeyPurpose p) {
  switch (p) {
    case KeyPurpose::kSigning: return "P30D";
    case KeyPurpose::kEncryption: return "P90D";
    case KeyPurpose::kAuthentication: return "P7D";  // API keys
    case KeyPurpose::kKeyDerivation: return "P90D";
  }
  return "P90D";
}

Status check_algorithm(KeyPurpose p, const std::string& alg) {
  bool ok = false;
  switch (p) {
    case KeyPurpose::kSigning: ok = alg == kAlgEd25519 || alg == kAlgXmss; break;
    case KeyPurpose::kAuthentication: ok = alg == kAlgEd25519; break;
    case KeyPurpose::kEncryption: ok = alg == kAlgXChaCha; break;
    case KeyPurpose::kKeyDerivation: ok = alg == kAlgHkdf; break;
  }
  if (!ok)
    return Status::validation(std::string("algorithm ") + alg + " does not serve purpose " + key_purpose_name(p),
                              Json{{"purpose", key_purpose_name(p)}, {"algorithm", alg}});
  return {};
}

// Fresh secret material for an algorithm, and the public key it implies.
struct Material {
  std::string secret;
  std::string public_key;
};

Result<Material> material_for(const std::string& alg, std::string_view given) {
  Material m;
  if (alg == kAlgXmss) {
    if (given.empty()) {
      auto k = crypto::xmss_generate();
      m.secret = std::move(k.private_key);
    } else {
      m.secret = std::string(given);
    }
    auto pub = crypto::xmss_public_key(m.secret);
    if (!pub.ok()) return pub.status();
    m.public_key = ipld::base64_encode(*pub, /*url=*/true);
    return m;
  }
  m.secret = given.empty() ? crypto::random_secret(32) : std::string(given);
  if (m.secret.size() != 32) return Status::validation(alg + " material is 32 bytes");
  if (alg == kAlgEd25519) {
    auto kp = crypto::ed25519_from_seed(m.secret);
    if (!kp.ok()) return kp.status();
    m.public_key = crypto::did_key_from_ed25519(kp->public_key());
  }
  return m;
}

Result<std::string> decode_master(const std::string& b64) {
  std::string text = b64;
  while (!text.empty() && (text.back() == '=' || text.back() == '\n')) text.pop_back();
  bool url = text.find_first_of("-_") != std::string::npos;
  auto raw = ipld::base64_decode(text, url);
  if (!raw.ok() || raw->size() != 32)
    return Status::validation("ANARQ_MASTER_KEY must be base64 of exactly 32 bytes (e.g. openssl rand -base64 32)");
  return std::move(*raw);
}

}  // namespace

Json key_version_json(const KeyVersion& v) {
  Json j = {{"keyId", v.key_id},
            {"version", v.version},
            {"owner", v.owner},
            {"purpose", key_purpose_name(v.purpose)},
            {"algorithm", v.algorithm},
            {"environment", v.environment},
            {"status", key_status_name(v.status)},
            {"createdAt", format_rfc3339_ms(v.created_ms)},
            {"rotateAfter", v.rotate_after.empty() ? Json(nullptr) : Json(v.rotate_after)},
            {"label", v.label}};
  if (!v.public_key.empty()) j["publicKey"] = v.public_key;
  if (v.revoked_ms) j["revokedAt"] = format_rfc3339_ms(v.revoked_ms);
  return j;
}

const char* key_purpose_name(KeyPurpose p) {
  switch (p) {
    case KeyPurpose::kSigning: return "SIGNING";
    case KeyPurpose::kEncryption: return "ENCRYPTION";
    case KeyPurpose::kKeyDerivation: return "KEY_DERIVATION";
    case KeyPurpose::kAuthentication: return "AUTHENTICATION";
  }
  return "ENCRYPTION";
}

const char* key_status_name(KeyStatus s) {
  switch (s) {
    case KeyStatus::kActive: return "ACTIVE";
    case KeyStatus::kRotating: return "ROTATING";
    case KeyStatus::kDeprecated: return "DEPRECATED";
    case KeyStatus::kRevoked: return "REVOKED";
  }
  return "REVOKED";
}

std::optional<KeyPurpose> parse_key_purpose(std::string_view name) {
  for (auto p : {KeyPurpose::kSigning, KeyPurpose::kEncryption, KeyPurpose::kKeyDerivation, KeyPurpose::kAuthentication})
    if (name == key_purpose_name(p)) return p;
  return std::nullopt;
}

Result<int64_t> parse_iso8601_duration_ms(std::string_view t) {
  auto bad = [&] {
    return Status::validation("'" + std::string(t) + "' is not an ISO 8601 duration such as P30D or PT12H");
  };
  if (t.size() < 3 || t.size() > 32 || t[0] != 'P') return bad();
  int64_t total = 0;
  bool time = false, any = false, time_any = false;
  size_t i = 1;
  while (i < t.size()) {
    if (t[i] == 'T') {
      if (time) return bad();
      time = true;
      ++i;
      continue;
    }
    int64_t n = 0;
    size_t digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (++digits > 9) return bad();
      n = n * 10 + (t[i++] - '0');
    }
    if (digits == 0 || i >= t.size()) return bad();
    char u = t[i++];
    int64_t unit = 0;
    if (!time && u == 'Y') unit = 365LL * 86'400'000;
    else if (!time && u == 'M') unit = 30LL * 86'400'000;
    else if (!time && u == 'W') unit = 7LL * 86'400'000;
    else if (!time && u == 'D') unit = 86'400'000;
    else if (time && u == 'H') unit = 3'600'000;
    else if (time && u == 'M') unit = 60'000;
    else if (time && u == 'S') unit = 1'000;
    else return bad();
    if (n > kMaxDurationMs / unit) return bad();  // checked before multiplying: no overflow
    total += n * unit;
    if (total > kMaxDurationMs) return bad();
    any = true;
    time_any |= time;
  }
  if (!any || (time && !time_any) || total <= 0) return bad();
  return total;
}

struct Keystore::Impl {
  std::mutex xmss_mu;  // one XMSS signature at a time per process (see xmss_sign)
};

Keystore::Keystore(Db& db, const Clock& clock, std::string environment, std::string master)
    : db_(db), clock_(clock), environment_(std::move(environment)), master_(std::move(master)),
      impl_(std::make_unique<Impl>()) {
  sodium_mlock(master_.data(), master_.size());
}

Keystore::~Keystore() {
  sodium_munlock(master_.data(), master_.size());  // also zeroes it
}

std::vector<Migration> Keystore::migrations() {
  return {{1, "sealed versioned keys",
           "CREATE TABLE keystore_meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);"
           "CREATE TABLE keystore_keys (key_id TEXT NOT NULL, version INTEGER NOT NULL, owner TEXT NOT NULL, "
           "purpose TEXT NOT NULL, algorithm TEXT NOT NULL, environment TEXT NOT NULL, status TEXT NOT NULL, "
           "created_ms BIGINT NOT NULL, rotate_after TEXT NOT NULL, public_key TEXT NOT NULL, label TEXT NOT NULL, "
           "revoked_ms BIGINT NOT NULL, rotate_at_ms BIGINT NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (key_id, version));"
           "CREATE INDEX keystore_keys_owner ON keystore_keys (owner, key_id);"
           "CREATE INDEX keystore_keys_due ON keystore_keys (status, rotate_at_ms)"}};
}

Result<std::unique_ptr<Keystore>> Keystore::open(Db& db, const Clock& clock, KeystoreOptions o) {
  if (o.environment != "dev" && o.environment != "staging" && o.environment != "prod")
    return Status::validation("ANARQ_ENV must be dev, staging or prod");
  ANARQ_RETURN_IF_ERROR(db.migrate("keystore", migrations()));
  // A verifier sealed under the master key: a changed master key is refused
  // at start, not discovered at the first decryption. Its absence also says
  // whether this keystore is new: only a new one gets a new master.key.
  auto rows = db.query("SELECT v FROM keystore_meta WHERE k = 'verifier'");
  if (!rows.ok()) return rows.status();
  std::string master;
  std::string source;
  if (!o.master_key_b64.empty()) {
    auto m = decode_master(o.master_key_b64);
    if (!m.ok()) return m.status();
    master = std::move(*m);
    source = "ANARQ_MASTER_KEY";
  } else if (!o.data_dir.empty()) {
    const std::string path = (std::filesystem::path(o.data_dir) / "master.key").string();
    auto m = crypto::load_secret_file(path);
    if (m.status().code() == "NOT_FOUND" && !rows->empty())
      return Status::unavailable("no master key for this keystore: " + path + " is missing and ANARQ_MASTER_KEY is not set")
          .with_suggestion("set ANARQ_MASTER_KEY to the key this data dir was created with, or restore DATA_DIR/master.key");
    if (m.status().code() == "NOT_FOUND") {
      std::string fresh = crypto::random_secret(32);
      ANARQ_RETURN_IF_ERROR(crypto::write_new_secret_file(path, fresh));
      m = std::move(fresh);
    }
    if (!m.ok()) return m.status();
    master = std::move(*m);
    source = path;
  } else {
    master = crypto::random_secret(32);
    source = "an ephemeral key";
  }
  if (rows->empty()) {
    std::string nonce = crypto::random_secret(crypto::kAeadNonceBytes);
    auto sealed = crypto::aead_seal(master, nonce, kVerifierPlain, "keystore");
    if (!sealed.ok()) return sealed.status();
    ANARQ_RETURN_IF_ERROR(db.transaction([&](Tx& tx) -> Status {
      auto r = tx.exec("INSERT INTO keystore_meta (k, v) VALUES ('verifier', ?) ON CONFLICT (k) DO NOTHING",
                       {Blob{nonce + *sealed}});
      return r.ok() ? Status() : r.status();
    }));
  } else {
    const auto& v = std::get<Blob>((*rows)[0].at(0)).bytes;
    auto plain = v.size() > crypto::kAeadNonceBytes
                     ? crypto::aead_open(master, std::string_view(v).substr(0, crypto::kAeadNonceBytes),
                                         std::string_view(v).substr(crypto::kAeadNonceBytes), "keystore")
                     : Result<std::string>(Status::internal("short verifier"));
    if (!plain.ok() || *plain != kVerifierPlain)
      return Status::unavailable("the master key from " + source +
                                 " does not open this keystore: it was sealed under another master key")
          .with_suggestion("start with the ANARQ_MASTER_KEY or DATA_DIR/master.key this data dir was created with");
  }
  return std::unique_ptr<Keystore>(new Keystore(db, clock, std::move(o.environment), std::move(master)));
}

namespace {

// When the scheduled job rotates this version (0 = by hand only).
int64_t rotate_at(const KeyVersion& v) {
  if (v.rotate_after.empty()) return 0;
  auto d = parse_iso8601_duration_ms(v.rotate_after);
  return d.ok() ? v.created_ms + *d : 0;
}

Result<int64_t> insert_version(Tx& tx, const KeyVersion& v, Blob sealed) {
  return tx.exec(std::string("INSERT INTO keystore_keys (") + kColumns +
                     ", rotate_at_ms, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {v.key_id, int64_t{v.version}, v.owner, key_purpose_name(v.purpose), v.algorithm, v.environment,
                  key_status_name(v.status), v.created_ms, v.rotate_after, v.public_key, v.label, int64_t{0},
                  rotate_at(v), std::move(sealed)});
}

}  // namespace

Result<KeyVersion> Keystore::create(Tx& tx, const NewKey& key) { return import(tx, key, {}); }

// Fresh (or given) material for v, sealed under the master key and bound to
// v's record; sets v.public_key.
Result<Blob> Keystore::seal_material(KeyVersion& v, std::string_view given) const {
  auto m = material_for(v.algorithm, given);
  if (!m.ok()) return m.status();
  v.public_key = m->public_key;
  std::string nonce = crypto::random_secret(crypto::kAeadNonceBytes);
  auto sealed = crypto::aead_seal(master_, nonce, m->secret, record_aad(v));
  sodium_memzero(m->secret.data(), m->secret.size());
  if (!sealed.ok()) return sealed.status();
  return Blob{nonce + *sealed};
}

Result<KeyVersion> Keystore::import(Tx& tx, const NewKey& key, std::string_view secret) {
  KeyVersion v;
  v.key_id = key.key_id.empty() ? uuid_v7(clock_) : key.key_id;
  if (v.key_id.size() > 128) return Status::validation("keyId is at most 128 characters");
  v.version = 1;
  v.owner = key.owner;
  v.purpose = key.purpose;
  v.algorithm = key.algorithm.empty() ? default_algorithm(key.purpose) : key.algorithm;
  ANARQ_RETURN_IF_ERROR(check_algorithm(v.purpose, v.algorithm));
  v.environment = environment_;
  v.status = KeyStatus::kActive;
  v.created_ms = clock_.now_ms();
  v.rotate_after = key.manual_rotation ? "" : key.rotate_after.empty() ? default_rotation(key.purpose) : key.rotate_after;
  if (!v.rotate_after.empty()) {
    auto d = parse_iso8601_duration_ms(v.rotate_after);
    if (!d.ok()) return d.status();
  }
  v.label = key.label;
  auto existing = tx.query("SELECT 1 FROM keystore_keys WHERE key_id = ?", {v.key_id});
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) return Status(ErrorCode::kVersionConflict, "key " + v.key_id + " exists");
  auto owned = tx.query("SELECT COUNT(*) FROM keystore_keys WHERE owner = ? AND version = 1", {v.owner});
  if (!owned.ok()) return owned.status();
  if ((*owned)[0].i64(0) >= kMaxKeysPerOwner)
    return Status::custom("QLOCK_KEY_LIMIT", 409, false,
                          v.owner + " already has " + std::to_string(kMaxKeysPerOwner) + " keys",
                          Json{{"max", kMaxKeysPerOwner}})
        .with_suggestion("rotate existing keys instead of creating new ones");
  auto sealed = seal_material(v, secret);
  if (!sealed.ok()) return sealed.status();
  auto r = insert_version(tx, v, std::move(*sealed));
  if (!r.ok()) return r.status();
  return v;
}

Result<KeyVersion> Keystore::rotate(Tx& tx, const std::string& key_id, std::string_view material) {
  auto rows = tx.query(std::string("SELECT ") + kColumns + " FROM keystore_keys WHERE key_id = ? ORDER BY version DESC",
                       {key_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::not_found("no key " + key_id);
  KeyVersion newest = from_row((*rows)[0]);
  if (newest.environment != environment_) return environment_refused(key_id, newest.environment, environment_);
  KeyVersion v = newest;
  v.version = newest.version + 1;
  v.status = KeyStatus::kActive;
  v.created_ms = clock_.now_ms();
  v.revoked_ms = 0;
  auto sealed = seal_material(v, material);
  if (!sealed.ok()) return sealed.status();
  // The previous ACTIVE version still decrypts and verifies (ROTATING); older
  // ROTATING ones step down to DEPRECATED. REVOKED stays revoked.
  auto a = tx.exec("UPDATE keystore_keys SET status = 'DEPRECATED' WHERE key_id = ? AND status = 'ROTATING'", {key_id});
  if (!a.ok()) return a.status();
  auto b = tx.exec("UPDATE keystore_keys SET status = 'ROTATING' WHERE key_id = ? AND status = 'ACTIVE'", {key_id});
  if (!b.ok()) return b.status();
  auto r = insert_version(tx, v, std::move(*sealed));
  if (!r.ok()) return r.status();
  return v;
}

Result<std::vector<KeyVersion>> Keystore::revoke(Tx& tx, const std::string& key_id, int version) {
  auto rows = tx.query(std::string("SELECT ") + kColumns + " FROM keystore_keys WHERE key_id = ? AND (? = 0 OR version = ?)"
                       " ORDER BY version", {key_id, int64_t{version}, int64_t{version}});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status::not_found("no key " + key_id + (version ? " version " + std::to_string(version) : ""));
  int64_t now = clock_.now_ms();
  std::vector<KeyVersion> out;
  for (const auto& row : rows->rows) {
    KeyVersion v = from_row(row);
    if (v.status == KeyStatus::kRevoked) continue;
    auto r = tx.exec("UPDATE keystore_keys SET status = 'REVOKED', revoked_ms = ? WHERE key_id = ? AND version = ?",
                     {now, key_id, int64_t{v.version}});
    if (!r.ok()) return r.status();
    v.status = KeyStatus::kRevoked;
    v.revoked_ms = now;
    out.push_back(std::move(v));
  }
  return out;
}

Result<KeyVersion> Keystore::get(const std::string& key_id, int version) const {
  auto rows = version == 0
                  ? db_.query(std::string("SELECT ") + kColumns +
                                  " FROM keystore_keys WHERE key_id = ? ORDER BY version DESC LIMIT 1",
                              {key_id})
                  : db_.query(std::string("SELECT ") + kColumns + " FROM keystore_keys WHERE key_id = ? AND version = ?",
                              {key_id, int64_t{version}});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status::not_found("no key " + key_id + (version ? " version " + std::to_string(version) : ""));
  return from_row((*rows)[0]);
}

Result<std::vector<KeyVersion>> Keystore::versions(const std::string& key_id) const {
  auto rows = db_.query(std::string("SELECT ") + kColumns +
                            " FROM keystore_keys WHERE key_id = ? ORDER BY version DESC LIMIT ?",
                        {key_id, int64_t{kMaxListedVersions}});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::not_found("no key " + key_id);
  std::vector<KeyVersion> out;
  for (auto it = rows->rows.rbegin(); it != rows->rows.rend(); ++it) out.push_back(from_row(*it));
  return out;
}

Result<std::vector<KeyVersion>> Keystore::list(const std::string& owner, int limit, const std::string& after) const {
  limit = std::clamp(limit, 1, kMaxListed);
  auto rows = db_.query(std::string("SELECT ") + kColumns +
                            " FROM keystore_keys k WHERE owner = ? AND key_id > ? AND version = "
                            "(SELECT MAX(version) FROM keystore_keys m WHERE m.key_id = k.key_id) ORDER BY key_id LIMIT ?",
                        {owner, after, int64_t{limit}});
  if (!rows.ok()) return rows.status();
  std::vector<KeyVersion> out;
  for (const auto& r : rows->rows) out.push_back(from_row(r));
  return out;
}

Result<std::vector<std::string>> Keystore::due_for_rotation(int64_t now_ms) const {
  // Only the newest version of a key is ACTIVE; rotate_at_ms orders the due
  // ones, so keys not yet due never crowd out those that are.
  auto rows = db_.query("SELECT key_id FROM keystore_keys WHERE status = 'ACTIVE' AND rotate_at_ms > 0 AND "
                        "rotate_at_ms <= ? AND environment = ? ORDER BY rotate_at_ms LIMIT ?",
                        {now_ms, environment_, int64_t{kMaxListed}});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const auto& r : rows->rows) out.push_back(r.str(0));
  return out;
}

namespace {

// Loads one version's row and opens its material, with every use check.
struct Opened {
  KeyVersion v;
  std::string secret;
  ~Opened() { sodium_memzero(secret.data(), secret.size()); }
};

}  // namespace

// A usable version: version 0 = the newest, which must be ACTIVE (it is the
// one that encrypts and signs); an explicit version may be any not revoked.
static Result<std::unique_ptr<Opened>> open_version(Db& db, Tx* tx, const std::string& master,
                                                    const std::string& environment, const std::string& key_id,
                                                    int version) {
  std::string sql = std::string("SELECT ") + kColumns + ", sealed FROM keystore_keys WHERE key_id = ? " +
                    (version == 0 ? "ORDER BY version DESC LIMIT 1" : "AND version = ?");
  std::vector<Value> params = {key_id};
  if (version != 0) params.push_back(int64_t{version});
  auto rows = tx ? tx->query(sql, params) : db.query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status::not_found("no key " + key_id + (version ? " version " + std::to_string(version) : ""));
  auto o = std::make_unique<Opened>();
  o->v = from_row((*rows)[0]);
  if (o->v.environment != environment) return environment_refused(key_id, o->v.environment, environment);
  if (o->v.status == KeyStatus::kRevoked) {
    if (version == 0)
      return Status::custom("QLOCK_KEY_REVOKED", 403, false, "key " + key_id + " has no active version: it is revoked",
                            Json{{"keyId", key_id}, {"version", o->v.version}})
          .with_suggestion("rotate the key to get a new active version, or use another key");
    return key_revoked(o->v);
  }
  const auto& sealed = std::get<Blob>((*rows)[0].at(12)).bytes;
  if (sealed.size() <= crypto::kAeadNonceBytes) return Status::internal("key record " + key_id + " is damaged");
  auto secret = crypto::aead_open(master, std::string_view(sealed).substr(0, crypto::kAeadNonceBytes),
                                  std::string_view(sealed).substr(crypto::kAeadNonceBytes), record_aad(o->v));
  if (!secret.ok()) return Status::internal("key record " + key_id + " does not open under the master key (tampered)");
  o->secret = std::move(*secret);
  return o;
}

Result<SealedData> Keystore::encrypt(const std::string& key_id, std::string_view plaintext, std::string_view aad) const {
  auto o = open_version(db_, nullptr, master_, environment_, key_id, 0);
  if (!o.ok()) return o.status();
  if ((*o)->v.purpose != KeyPurpose::kEncryption || (*o)->v.algorithm != kAlgXChaCha)
    return Status::validation("key " + key_id + " is a " + key_purpose_name((*o)->v.purpose) + " key, not ENCRYPTION");
  SealedData out;
  out.version = (*o)->v.version;
  out.nonce = crypto::random_secret(crypto::kAeadNonceBytes);
  auto ct = crypto::aead_seal((*o)->secret, out.nonce, plaintext, aad);
  if (!ct.ok()) return ct.status();
  out.ciphertext = std::move(*ct);
  return out;
}

Result<std::string> Keystore::decrypt(const std::string& key_id, int version, std::string_view nonce,
                                      std::string_view ciphertext, std::string_view aad) const {
  if (version < 1) return Status::validation("a ciphertext names its key version (1 or more)");
  auto o = open_version(db_, nullptr, master_, environment_, key_id, version);
  if (!o.ok()) return o.status();
  if ((*o)->v.purpose != KeyPurpose::kEncryption)
    return Status::validation("key " + key_id + " is not an ENCRYPTION key");
  if (nonce.size() != crypto::kAeadNonceBytes)
    return Status::custom("QLOCK_DECRYPTION_FAILED", 400, false, "the nonce is not 24 bytes");
  return crypto::aead_open((*o)->secret, nonce, ciphertext, aad);
}

Result<crypto::Ed25519KeyPair> Keystore::ed25519(const std::string& key_id, int version) const {
  auto o = open_version(db_, nullptr, master_, environment_, key_id, version);
  if (!o.ok()) return o.status();
  if ((*o)->v.algorithm != kAlgEd25519) return Status::validation("key " + key_id + " is not an Ed25519 key");
  return crypto::ed25519_from_seed((*o)->secret);
}

Result<XmssSignature> Keystore::xmss_sign(const std::string& key_id, std::string_view message) {
  // One at a time: Botan keeps its own per-process leaf counter, which must
  // never run ahead of the leaf reserved here.
  std::lock_guard lock(impl_->xmss_mu);
  XmssSignature out;
  std::string reserved;
  Status s = db_.transaction([&](Tx& tx) -> Status {
    auto o = open_version(db_, &tx, master_, environment_, key_id, 0);
    if (!o.ok()) return o.status();
    const KeyVersion& v = (*o)->v;
    if (v.algorithm != kAlgXmss) return Status::validation("key " + key_id + " is not an XMSS key");
    auto leaf = crypto::xmss_next_leaf((*o)->secret);
    if (!leaf.ok()) return leaf.status();
    if (*leaf >= crypto::kXmssLeaves)
      return Status::custom("QLOCK_KEY_EXHAUSTED", 409, false,
                            "XMSS key " + key_id + " version " + std::to_string(v.version) + " has signed with all " +
                                std::to_string(crypto::kXmssLeaves) + " of its one-time leaves",
                            Json{{"keyId", key_id}, {"version", v.version}})
          .with_suggestion("rotate the key (qlock.key.rotate) for a fresh XMSS tree");
    auto next = crypto::xmss_with_next_leaf((*o)->secret, *leaf + 1);
    if (!next.ok()) return next.status();
    std::string nonce = crypto::random_secret(crypto::kAeadNonceBytes);
    auto sealed = crypto::aead_seal(master_, nonce, *next, record_aad(v));
    sodium_memzero(next->data(), next->size());
    if (!sealed.ok()) return sealed.status();
    auto r = tx.exec("UPDATE keystore_keys SET sealed = ? WHERE key_id = ? AND version = ?",
                     {Blob{nonce + *sealed}, key_id, int64_t{v.version}});
    if (!r.ok()) return r.status();
    out.version = v.version;
    out.leaf = *leaf;
    out.leaves_left = crypto::kXmssLeaves - *leaf - 1;
    reserved = (*o)->secret;  // names `leaf` as its next: the one this signature spends
    return {};
  });
  if (!s.ok()) return s;
  // The leaf is spent durably before any signature exists.
  auto sig = crypto::xmss_sign(reserved, message);
  auto pub = crypto::xmss_public_key(reserved);
  sodium_memzero(reserved.data(), reserved.size());
  if (!sig.ok()) return sig.status();
  out.signature = std::move(*sig);
  out.public_key = std::move(*pub);
  return out;
}

}  // namespace anarq
