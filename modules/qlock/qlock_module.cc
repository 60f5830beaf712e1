// qlock: keys, encryption, signatures and distributed locks.
//   keys:       qlock.key.create | list | get | rotate | revoke (store/keystore.h),
//               rotated on schedule by this module's job;
//   encryption: qlock.encrypt | decrypt | rewrap | timelock: XChaCha20-Poly1305
//               under a keystore key, or an X25519 sealed box to any did:key;
//   signatures: qlock.sign | verify (qlock_sign.cc);
//   locks:      qlock.lock (qlock_lock.cc).
// Every key operation publishes q.qlock.key.<created|rotated|revoked|used>.v1
// in the transaction that answers it.
#include <condition_variable>
#include <thread>

#include "bus/jcs.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/box.h"
#include "crypto/xmss.h"
#include "ipld/multibase.h"
#include "modules/qlock/qlock_internal.h"
#include "runtime/identity.h"

namespace anarq::qlock {

// ---- shared helpers (qlock_internal.h) ----

// The acting identity: a subidentity acting as itself owns its own keys and
// leases, never its root's.
const std::string& caller(const Context& ctx) { return acting_identity(ctx); }

Json data_schema(const char* what) {
  return {{"type", "string"}, {"maxLength", kMaxDataChars}, {"description", what}};
}
Json encoding_schema() {
  return {{"type", "string"}, {"enum", {"utf8", "base64"}}, {"default", "utf8"},
          {"description", "utf8: data is the text itself; base64: data is base64 (standard or url alphabet) of bytes"}};
}

Result<std::string> input_bytes(const Json& in) {
  std::string data = in.value("data", "");
  if (in.value("encoding", "utf8") == "base64") {
    while (!data.empty() && data.back() == '=') data.pop_back();
    bool url = data.find_first_of("-_") != std::string::npos;
    auto raw = ipld::base64_decode(data, url);
    if (!raw.ok()) return Status::validation("data is not base64", Json{{"pointer", "/data"}});
    data = std::move(*raw);
  }
  if (data.size() > kMaxDataBytes)
    return Status(ErrorCode::kPayloadTooLarge, "data is larger than 1 MiB; encrypt a key to the data instead");
  return data;
}

Status publish_in(const ModuleEnv& env, const Context& ctx, const std::string& topic, Tx& tx, Json payload) {
  bus::EventDraft d;
  d.topic = topic;
  d.source = "qlock";
  d.actor = {{"squidId", ctx.identity ? ctx.identity->squid_id : env.node_did}};
  if (ctx.identity && !ctx.identity->sub_id.empty()) d.actor["subId"] = ctx.identity->sub_id;
  d.payload = std::move(payload);
  d.traceparent = ctx.trace.traceparent();
  auto p = env.bus->publish(tx, d);
  return p.ok() ? Status() : p.status();
}

Status audit_use(const ModuleEnv& env, const Context& ctx, const KeyVersion& key, const char* operation, size_t bytes) {
  return env.db->transaction([&](Tx& tx) {
    return publish_in(env, ctx, "q.qlock.key.used.v1", tx,
                      {{"keyId", key.key_id},
                       {"version", key.version},
                       {"owner", key.owner},
                       {"algorithm", key.algorithm},
                       {"operation", operation},
                       {"actor", caller(ctx)},
                       {"bytes", bytes},
                       {"timestamp", format_rfc3339_ms(env.clock->now_ms())}});
  });
}

Result<KeyVersion> own_key(const ModuleEnv& env, const Context& ctx, const std::string& key_id, int version) {
  // The node key (owner "node") is nobody's here: it signs events and
  // checkpoints only, so no caller can make it sign anything else.
  auto v = env.keystore->get(key_id, version);
  bool mine = v.ok() && v->owner == caller(ctx);
  if (!mine)
    return Status::not_found("no key " + key_id + (version ? " version " + std::to_string(version) : "") +
                             " of yours")
        .with_suggestion("qlock.key.list shows your keys");
  return v;
}

Result<KeyVersion> default_key(const ModuleEnv& env, const Context& ctx, KeyPurpose purpose) {
  const bool enc = purpose == KeyPurpose::kEncryption;
  const std::string id = (enc ? "enc:" : "sig:") + caller(ctx);
  auto v = env.keystore->get(id);
  if (v.ok() || v.status().code() != "NOT_FOUND") return v;
  // A key is durable state (and every use an audit event): registered identities only.
  ANARQ_RETURN_IF_ERROR(require_registered(ctx, env, enc ? "a default encryption key" : "a default signing key"));
  KeyVersion made;
  Status s = env.db->transaction([&](Tx& tx) -> Status {
    NewKey k;
    k.key_id = id;
    k.owner = caller(ctx);
    k.purpose = purpose;
    k.label = enc ? "default encryption key" : "default signing key";
    auto c = env.keystore->create(tx, k);
    if (!c.ok()) return c.status();
    made = *c;
    return publish_in(env, ctx, "q.qlock.key.created.v1", tx, key_version_json(made));
  });
  if (s.code() == "VERSION_CONFLICT") return env.keystore->get(id);  // a concurrent first use made it
  if (!s.ok()) return s;
  return made;
}

namespace {

// ---- ciphertext containers ----
//
// Under a keystore key (the header is authenticated: aad = JCS of every
// field but nonce and ct, so neither the key named nor a time-lock can be
// altered or stripped):
//   {"v":1, "alg":"XChaCha20-Poly1305", "kid":<keyId>, "kv":<version>,
//    "enc":"utf8"|"base64", "nbf":<RFC 3339>?, "nonce":<b64url 24 B>, "ct":<b64url>}
// To an identity (sealed box; only the recipient's key opens it: locally, or
// here when the node holds that key for the caller, e.g. a custodial identity's):
//   {"v":1, "alg":"X25519-XSalsa20-Poly1305-SealedBox", "to":<did:key>, "enc":..., "ct":<b64url>}
constexpr const char* kSealedAlg = "X25519-XSalsa20-Poly1305-SealedBox";

Json container_schema() {
  return R"j({"type": "object", "required": ["v", "alg", "ct"],
    "description": "qlock ciphertext: under a keystore key (kid, kv, nonce; nbf when time-locked) or a sealed box to an identity (to)",
    "properties": {"v": {"type": "integer", "enum": [1]},
      "alg": {"type": "string", "enum": ["XChaCha20-Poly1305", "X25519-XSalsa20-Poly1305-SealedBox"]},
      "kid": {"type": "string", "maxLength": 128}, "kv": {"type": "integer", "minimum": 1, "maximum": 2147483647},
      "enc": {"type": "string", "enum": ["utf8", "base64"]}, "nbf": {"type": "string", "format": "date-time"},
      "to": {"type": "string", "maxLength": 128}, "nonce": {"type": "string", "maxLength": 64},
      "ct": {"type": "string", "maxLength": 1500000}}})j"_json;
}

std::string header_aad(const Json& c) {
  Json h = c;
  h.erase("nonce");
  h.erase("ct");
  auto text = bus::jcs_serialize(h);
  return "anarq-qlock-v1\n" + (text.ok() ? *text : std::string());
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

// The decrypted bytes as the reply shows them: as text when they were text.
Json plaintext_json(const std::string& bytes, const std::string& enc) {
  if (enc == "utf8" && valid_utf8(bytes)) return {{"data", bytes}, {"encoding", "utf8"}};
  return {{"data", ipld::base64_encode(bytes, /*url=*/false)}, {"encoding", "base64"}};
}

Status malformed(const std::string& why) {
  return Status::custom("QLOCK_DECRYPTION_FAILED", 400, false, "not a qlock ciphertext: " + why);
}

Result<std::string> b64url_field(const Json& c, const char* name) {
  if (!c.contains(name) || !c[name].is_string()) return malformed(std::string("missing ") + name);
  auto raw = ipld::base64_decode(c[name].get<std::string>(), /*url=*/true);
  if (!raw.ok()) return malformed(std::string(name) + " is not base64url");
  return std::move(*raw);
}

Json key_schema() {
  return R"({"type": "object", "required": ["keyId", "version", "owner", "purpose", "algorithm", "environment", "status", "createdAt", "rotateAfter"],
    "properties": {"keyId": {"type": "string"}, "version": {"type": "integer"}, "owner": {"type": "string"},
      "purpose": {"type": "string", "enum": ["SIGNING", "ENCRYPTION", "KEY_DERIVATION", "AUTHENTICATION"]},
      "algorithm": {"type": "string"}, "environment": {"type": "string", "enum": ["dev", "staging", "prod"]},
      "status": {"type": "string", "enum": ["ACTIVE", "ROTATING", "DEPRECATED", "REVOKED"]},
      "createdAt": {"type": "string", "format": "date-time"}, "rotateAfter": {"type": ["string", "null"]},
      "publicKey": {"type": "string"}, "label": {"type": "string"}, "revokedAt": {"type": "string", "format": "date-time"}}})"_json;
}

const Json kKeyIdSchema = {{"type", "string"}, {"minLength", 1}, {"maxLength", 128},
                            {"description", "the id of one of the caller's keys (see qlock.key.list)"}};

class QlockModule final : public Module {
 public:
  std::string name() const override { return "qlock"; }
  std::string version() const override { return "1.0.0"; }
  std::string description() const override {
    return "Keys (sealed, versioned, rotated), encryption, signatures (Ed25519, XMSS, hybrid) and distributed locks.";
  }
  std::vector<Migration> migrations() const override { return LockService::migrations(); }

  Status start(const ModuleEnv& env) override {
    if (!env.keystore || !env.bus) return Status::internal("qlock needs the keystore and the bus");
    env_ = env;
    int64_t every = 60'000;
    if (const char* v = std::getenv("ANARQ_KEY_ROTATION_INTERVAL_MS")) every = std::max<int64_t>(100, std::atoll(v));
    janitor_ = std::thread([this, every] { run_janitor(every); });
    return {};
  }
  void stop() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    locks_.shutdown();
    if (janitor_.joinable()) janitor_.join();
  }
  ~QlockModule() override { stop(); }

  std::vector<Tool> tools() override {
    return {key_create(), key_list(), key_get(), key_rotate(), key_revoke(), encrypt(), decrypt(), rewrap(),
            timelock(),   sign_tool(&env_), verify_tool(), locks_.tool()};
  }

 private:
  void run_janitor(int64_t every_ms) {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(every_ms), [this] { return stopping_; })) {
      lock.unlock();
      rotate_due();
      locks_.reap_expired();
      lock.lock();
    }
  }

  // The scheduled half of rotation: each key past its rotateAfter gets a new
  // version, with its event, in one transaction per key.
  void rotate_due() {
    auto due = env_.keystore->due_for_rotation(env_.clock->now_ms());
    if (!due.ok()) return log::warn("key rotation scan failed", {{"error", due.status().message()}});
    Context ctx;
    ctx.trace = TraceContext::from_header("");
    for (const std::string& id : *due) {
      auto current = env_.keystore->get(id);
      std::string material;
      if (current.ok() && current->algorithm == kAlgXmss) material = crypto::xmss_generate().private_key;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto v = env_.keystore->rotate(tx, id, material);
        if (!v.ok()) return v.status();
        Json p = key_version_json(*v);
        p["previousVersion"] = v->version - 1;
        p["trigger"] = "scheduled";
        return publish_in(env_, ctx, "q.qlock.key.rotated.v1", tx, std::move(p));
      });
      if (!s.ok()) log::warn("scheduled key rotation failed", {{"keyId", id}, {"error", s.message()}});
      else log::info("key rotated on schedule", {{"keyId", id}});
    }
  }

  Tool key_create() {
    Tool t;
    t.name = "qlock.key.create";
    t.title = "Create a key";
    t.description =
        "Creates a key owned by the caller, its material sealed in the node's keystore: ENCRYPTION (XChaCha20-Poly1305), "
        "SIGNING (Ed25519, or XMSS-SHA2_10_256 for rare long-term signatures), AUTHENTICATION or KEY_DERIVATION.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"purpose"}},
                      {"properties",
                       {{"purpose", {{"type", "string"}, {"enum", {"SIGNING", "ENCRYPTION", "KEY_DERIVATION", "AUTHENTICATION"}},
                                     {"description", "what the key is for"}}},
                        {"algorithm", {{"type", "string"}, {"enum", {kAlgEd25519, kAlgXChaCha, kAlgXmss, kAlgHkdf}},
                                       {"description", "default: the purpose's (XChaCha20-Poly1305, Ed25519, HKDF-SHA256)"}}},
                        {"rotateAfter", {{"type", "string"}, {"maxLength", 32},
                                         {"description", "ISO 8601 duration; default signing P30D, encryption P90D, API keys P7D"}}},
                        {"label", {{"type", "string"}, {"maxLength", 200}, {"description", "a free-form name, at most 200 characters"}}}}}};
    t.output_schema = {{"type", "object"}, {"required", {"key"}}, {"properties", {{"key", key_schema()}}}};
    t.http = {"POST", "/qlock/v1/keys"};
    t.write = true;
    t.may_block = true;  // an XMSS key takes ~0.4 s to generate
    t.emits = {"q.qlock.key.created.v1"};
    t.success_code = "KEY_CREATED";
    t.success_message = "key created";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      ANARQ_RETURN_IF_ERROR(require_registered(ctx, env_, "creating a key"));
      NewKey k;
      k.owner = caller(ctx);
      k.purpose = *parse_key_purpose(in["purpose"].get<std::string>());
      k.algorithm = in.value("algorithm", "");
      k.rotate_after = in.value("rotateAfter", "");
      k.label = in.value("label", "");
      // XMSS key generation takes ~0.4 s: outside the write transaction.
      std::string material;
      if (k.algorithm == kAlgXmss) material = crypto::xmss_generate().private_key;
      KeyVersion made;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto v = material.empty() ? env_.keystore->create(tx, k) : env_.keystore->import(tx, k, material);
        if (!v.ok()) return v.status();
        made = *v;
        return publish_in(env_, ctx, "q.qlock.key.created.v1", tx, key_version_json(made));
      });
      if (!s.ok()) return s;
      return Json{{"key", key_version_json(made)}};
    };
    return t;
  }

  Tool key_list() {
    Tool t;
    t.name = "qlock.key.list";
    t.title = "List my keys";
    t.description = "The caller's keys (newest version of each), by key id, paginated.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties",
                       {{"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100},
                                   {"description", "page size, 1-1000"}}},
                        {"after", {{"type", "string"}, {"maxLength", 128}, {"description", "cursor: the last keyId seen"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"keys"}},
                       {"properties", {{"keys", {{"type", "array"}, {"items", key_schema()}}}, {"next", {{"type", "string"}}}}}};
    t.http = {"GET", "/qlock/v1/keys"};
    t.read_only = true;
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      int limit = in.value("limit", 100);
      auto keys = env_.keystore->list(caller(ctx), limit, in.value("after", ""));
      if (!keys.ok()) return keys.status();
      Json out = {{"keys", Json::array()}};
      for (const auto& k : *keys) out["keys"].push_back(key_version_json(k));
      if (static_cast<int>(keys->size()) == limit) out["next"] = keys->back().key_id;
      return out;
    };
    return t;
  }

  Tool key_get() {
    Tool t;
    t.name = "qlock.key.get";
    t.title = "Get a key";
    t.description = "One of the caller's keys with every version and its status.";
    t.input_schema = {{"type", "object"}, {"additionalProperties", false}, {"required", {"keyId"}},
                      {"properties", {{"keyId", kKeyIdSchema}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"key", "versions"}},
                       {"properties", {{"key", key_schema()}, {"versions", {{"type", "array"}, {"items", key_schema()}}}}}};
    t.http = {"GET", "/qlock/v1/keys/{keyId}"};
    t.read_only = true;
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      auto k = own_key(env_, ctx, in["keyId"]);
      if (!k.ok()) return k.status();
      auto versions = env_.keystore->versions(k->key_id);  // the newest kMaxListedVersions
      if (!versions.ok()) return versions.status();
      Json out = {{"key", key_version_json(*k)}, {"versions", Json::array()}};
      for (const auto& v : *versions) out["versions"].push_back(key_version_json(v));
      return out;
    };
    return t;
  }

  Tool key_rotate() {
    Tool t;
    t.name = "qlock.key.rotate";
    t.title = "Rotate a key";
    t.description =
        "Adds a new ACTIVE version of one of the caller's keys; older versions keep decrypting and verifying until "
        "revoked (qlock.rewrap moves ciphertexts to the new version).";
    t.input_schema = {{"type", "object"}, {"additionalProperties", false}, {"required", {"keyId"}},
                      {"properties", {{"keyId", kKeyIdSchema}}}};
    t.output_schema = {{"type", "object"}, {"required", {"key"}}, {"properties", {{"key", key_schema()}}}};
    t.http = {"POST", "/qlock/v1/keys/{keyId}/rotate"};
    t.write = true;
    t.may_block = true;  // a new XMSS tree takes ~0.4 s
    t.emits = {"q.qlock.key.rotated.v1"};
    t.success_code = "KEY_ROTATED";
    t.success_message = "key rotated";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      auto k = own_key(env_, ctx, in["keyId"]);
      if (!k.ok()) return k.status();
      std::string material;  // XMSS: the new tree is built outside the write transaction
      if (k->algorithm == kAlgXmss) material = crypto::xmss_generate().private_key;
      KeyVersion made;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto v = env_.keystore->rotate(tx, k->key_id, material);
        if (!v.ok()) return v.status();
        made = *v;
        Json p = key_version_json(made);
        p["previousVersion"] = made.version - 1;
        p["trigger"] = "manual";
        return publish_in(env_, ctx, "q.qlock.key.rotated.v1", tx, std::move(p));
      });
      if (!s.ok()) return s;
      return Json{{"key", key_version_json(made)}};
    };
    return t;
  }

  Tool key_revoke() {
    Tool t;
    t.name = "qlock.key.revoke";
    t.title = "Revoke a key version";
    t.description =
        "Revokes one version (or every version) of one of the caller's keys: from now on each use of it is refused, "
        "including decryption of data under it.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"keyId"}},
                      {"properties",
                       {{"keyId", kKeyIdSchema},
                        {"version", {{"type", "integer"}, {"minimum", 1}, {"maximum", 2147483647},
                                     {"description", "omitted: every version"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"revoked"}},
                       {"properties", {{"revoked", {{"type", "array"}, {"items", key_schema()}}}}}};
    t.http = {"POST", "/qlock/v1/keys/{keyId}/revoke"};
    t.write = true;
    t.destructive = true;  // a revoked version never works again
    t.idempotent = true;   // revoking it again changes nothing
    t.emits = {"q.qlock.key.revoked.v1"};
    t.success_code = "KEY_REVOKED";
    t.success_message = "key revoked";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      int version = in.value("version", 0);
      auto k = own_key(env_, ctx, in["keyId"], version);
      if (!k.ok()) return k.status();
      Json out = {{"revoked", Json::array()}};
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto revoked = env_.keystore->revoke(tx, k->key_id, version);
        if (!revoked.ok()) return revoked.status();
        for (const auto& v : *revoked) {
          out["revoked"].push_back(key_version_json(v));
          ANARQ_RETURN_IF_ERROR(publish_in(env_, ctx, "q.qlock.key.revoked.v1", tx, key_version_json(v)));
        }
        return {};
      });
      if (!s.ok()) return s;
      return out;
    };
    return t;
  }

  // Seals bytes under the caller's key (default key when keyId is absent).
  Result<Json> seal_under_key(Context& ctx, const Json& in, const std::string& bytes, const char* operation,
                              std::optional<int64_t> not_before) {
    Result<KeyVersion> key = in.contains("keyId") ? own_key(env_, ctx, in["keyId"])
                                                  : default_key(env_, ctx, KeyPurpose::kEncryption);
    if (!key.ok()) return key.status();
    if (key->purpose != KeyPurpose::kEncryption)
      return Status::validation("key " + key->key_id + " is a " + key_purpose_name(key->purpose) + " key, not ENCRYPTION");
    Json c = {{"v", 1}, {"alg", kAlgXChaCha}, {"kid", key->key_id}, {"enc", in.value("encoding", "utf8")}};
    if (not_before) c["nbf"] = format_rfc3339_ms(*not_before);
    // The header names the version, which encrypt() picks: seal, then fix the
    // header to that version and seal again only if it moved (a rotation in between).
    for (int attempt = 0; attempt < 3; ++attempt) {
      c["kv"] = key->version;
      auto sealed = env_.keystore->encrypt(key->key_id, bytes, header_aad(c));
      if (!sealed.ok()) return sealed.status();
      if (sealed->version != key->version) {
        key->version = sealed->version;
        continue;
      }
      ANARQ_RETURN_IF_ERROR(audit_use(env_, ctx, *key, operation, bytes.size()));
      c["nonce"] = ipld::base64_encode(sealed->nonce, true);
      c["ct"] = ipld::base64_encode(sealed->ciphertext, true);
      return c;
    }
    return Status(ErrorCode::kVersionConflict, "the key rotated during encryption; retry").with_retry_after(1);
  }

  // The key that opens a sealed box addressed to `to`, when this node holds it
  // for the caller: one of the caller's own Ed25519 keys, or the key of a
  // custodial sQuid identity in the caller's custody (keystore owner
  // "squid:<caller>"; sQuid makes those, nobody else can name that owner).
  // `keyId` narrows the search to one key (any of its versions). A box to
  // anyone else opens where its key is (`anarq id open KEYFILE`).
  Result<KeyVersion> sealed_box_key(const Context& ctx, const std::string& to, const Json& in) {
    const std::string& me = caller(ctx);
    const std::string custody = "squid:" + me;
    const Status elsewhere =
        Status::validation("this sealed box is addressed to " + to + ", whose key this node does not hold for you")
            .with_suggestion("open it where its key is: `anarq id open KEYFILE` (or crypto_box_seal_open with the key "
                             "converted to X25519); see modules/qlock/README.md, 'Sealed boxes'");
    if (me.empty() || to.empty()) return elsewhere;
    if (in.contains("keyId")) {
      const std::string id = in["keyId"];
      auto versions = env_.keystore->versions(id);
      if (!versions.ok() || versions->empty() || (versions->front().owner != me && versions->front().owner != custody))
        return Status::not_found("no key " + id + " of yours or of an identity in your custody")
            .with_suggestion("qlock.key.list shows your keys; squid.get shows a custodial identity's keyId to its custodian");
      for (auto it = versions->rbegin(); it != versions->rend(); ++it)
        if (it->public_key == to) return *it;
      return Status(ErrorCode::kQonsentDenied, "this sealed box is addressed to " + to + ", not to key " + id);
    }
    constexpr int kPage = 1000;
    for (const std::string& owner : {me, custody}) {
      std::string after;
      for (int pages = 0; pages < kMaxKeysPerOwner / kPage + 1; ++pages) {
        auto page = env_.keystore->list(owner, kPage, after);
        if (!page.ok()) return page.status();
        for (const KeyVersion& k : *page)
          if (k.public_key == to) return k;
        if (page->size() < static_cast<size_t>(kPage)) break;
        after = page->back().key_id;
      }
    }
    return elsewhere;
  }

  // Opens a container; `operation` names the audited use.
  struct Opened {
    std::string bytes;
    std::string enc;
    KeyVersion key;
    bool sealed_box = false;
  };
  Result<Opened> open_container(Context& ctx, const Json& c, const Json& in, const char* operation) {
    if (!c.is_object() || c.value("v", 0) != 1 || !c.contains("alg") || !c["alg"].is_string())
      return malformed("v must be 1 and alg a string");
    Opened o;
    o.enc = c.value("enc", "utf8");
    auto ct = b64url_field(c, "ct");
    if (!ct.ok()) return ct.status();
    if (c["alg"] == kSealedAlg) {
      auto key = sealed_box_key(ctx, c.value("to", ""), in);
      if (!key.ok()) return key.status();
      auto kp = env_.keystore->ed25519(key->key_id, key->version);
      if (!kp.ok()) return kp.status();
      auto plain = crypto::sealed_box_open(*kp, *ct);
      if (!plain.ok()) return plain.status();
      ANARQ_RETURN_IF_ERROR(audit_use(env_, ctx, *key, operation, plain->size()));
      o.bytes = std::move(*plain);
      o.key = *key;
      o.sealed_box = true;
      return o;
    }
    if (c["alg"] != kAlgXChaCha) return malformed("unknown alg");
    if (!c.contains("kid") || !c["kid"].is_string() || !c.contains("kv") || !c["kv"].is_number_integer())
      return malformed("missing kid or kv");
    auto nonce = b64url_field(c, "nonce");
    if (!nonce.ok()) return nonce.status();
    int version = c["kv"].get<int>();
    if (version < 1) return malformed("kv must be 1 or more");
    auto key = own_key(env_, ctx, c["kid"], version);
    if (!key.ok()) return key.status();
    if (c.contains("nbf")) {
      auto nbf = c["nbf"].is_string() ? parse_rfc3339_ms(c["nbf"].get<std::string>()) : std::nullopt;
      if (!nbf) return malformed("nbf is not an RFC 3339 time");
      int64_t now = env_.clock->now_ms();
      // Checked before decrypting; the header is authenticated, so nbf cannot be moved or removed.
      if (now < *nbf)
        return Status::custom("QLOCK_TIMELOCKED", 403, false,
                              "time-locked until " + c["nbf"].get<std::string>(),
                              Json{{"notBefore", c["nbf"]}, {"secondsLeft", (*nbf - now + 999) / 1000}})
            .with_suggestion("retry after notBefore");
    }
    auto plain = env_.keystore->decrypt(key->key_id, version, *nonce, *ct, header_aad(c));
    if (!plain.ok()) return plain.status();
    ANARQ_RETURN_IF_ERROR(audit_use(env_, ctx, *key, operation, plain->size()));
    o.bytes = std::move(*plain);
    o.key = *key;
    return o;
  }

  Tool encrypt() {
    Tool t;
    t.name = "qlock.encrypt";
    t.title = "Encrypt";
    t.description =
        "Encrypts data with XChaCha20-Poly1305 under one of the caller's keystore keys (default: the caller's own "
        "encryption key, created on first use), or to a recipient did:key via an X25519 sealed box.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"data"}},
                      {"properties",
                       {{"data", data_schema("what to encrypt (at most 1 MiB decoded)")},
                        {"encoding", encoding_schema()},
                        {"keyId", kKeyIdSchema},
                        {"recipient", {{"type", "string"}, {"pattern", "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$"}, {"maxLength", 128},
                                       {"description", "an Ed25519 did:key (did:key:z6Mk...) to seal to instead: only its key opens it (for a custodial identity, its custodian through qlock.decrypt)"}}}}}};
    t.output_schema = {{"type", "object"}, {"required", {"ciphertext"}}, {"properties", {{"ciphertext", container_schema()}}}};
    t.http = {"POST", "/qlock/v1/encrypt"};
    t.write = true;  // an audited key use
    t.emits = {"q.qlock.key.used.v1", "q.qlock.key.created.v1"};
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      auto bytes = input_bytes(in);
      if (!bytes.ok()) return bytes.status();
      if (in.contains("recipient")) {
        if (in.contains("keyId")) return Status::validation("give keyId or recipient, not both");
        auto pk = crypto::ed25519_from_did_key(in["recipient"].get<std::string>());
        if (!pk.ok()) return pk.status();
        auto ct = crypto::sealed_box_seal(*pk, *bytes);
        if (!ct.ok()) return ct.status();
        return Json{{"ciphertext", {{"v", 1}, {"alg", kSealedAlg}, {"to", in["recipient"]},
                                    {"enc", in.value("encoding", "utf8")}, {"ct", ipld::base64_encode(*ct, true)}}}};
      }
      auto c = seal_under_key(ctx, in, *bytes, "encrypt", std::nullopt);
      if (!c.ok()) return c.status();
      return Json{{"ciphertext", *c}};
    };
    return t;
  }

  Tool decrypt() {
    Tool t;
    t.name = "qlock.decrypt";
    t.title = "Decrypt";
    t.description =
        "Decrypts a qlock ciphertext under the caller's key (any version not revoked), refusing tampered ciphertext "
        "(QLOCK_DECRYPTION_FAILED), revoked versions and time-locks not yet open. A sealed box opens when this node "
        "holds its recipient's key for the caller: one of the caller's Ed25519 keys, or the key of a custodial "
        "identity in the caller's custody (keyId optional); any other opens where its key is (`anarq id open KEYFILE`).";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"ciphertext"}},
                      {"properties", {{"ciphertext", container_schema()}, {"keyId", kKeyIdSchema}}}};
    t.output_schema = R"({"type": "object", "required": ["data", "encoding", "keyId", "version"],
      "properties": {"data": {"type": "string"}, "encoding": {"type": "string", "enum": ["utf8", "base64"]},
                     "keyId": {"type": "string"}, "version": {"type": "integer"}}})"_json;
    t.http = {"POST", "/qlock/v1/decrypt"};
    t.write = true;
    t.emits = {"q.qlock.key.used.v1"};
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      auto o = open_container(ctx, in["ciphertext"], in, "decrypt");
      if (!o.ok()) return o.status();
      Json out = plaintext_json(o->bytes, o->enc);
      out["keyId"] = o->key.key_id;
      out["version"] = o->key.version;
      return out;
    };
    return t;
  }

  Tool rewrap() {
    Tool t;
    t.name = "qlock.rewrap";
    t.title = "Rewrap a ciphertext";
    t.description =
        "Re-encrypts a ciphertext under the newest version of its key without the plaintext leaving the node: run it "
        "over stored ciphertexts after a rotation, then revoke the old version.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"ciphertext"}},
                      {"properties", {{"ciphertext", container_schema()}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"ciphertext", "fromVersion"}},
                       {"properties", {{"ciphertext", container_schema()}, {"fromVersion", {{"type", "integer"}}}}}};
    t.http = {"POST", "/qlock/v1/rewrap"};
    t.write = true;
    t.emits = {"q.qlock.key.used.v1"};
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      const Json& c = in["ciphertext"];
      if (c.value("alg", "") != kAlgXChaCha) return Status::validation("only ciphertexts under a keystore key rewrap");
      auto o = open_container(ctx, c, in, "rewrap");
      if (!o.ok()) return o.status();
      Json again = {{"keyId", o->key.key_id}, {"encoding", o->enc}};
      std::optional<int64_t> nbf;
      if (c.contains("nbf")) nbf = parse_rfc3339_ms(c["nbf"].get<std::string>());
      auto sealed = seal_under_key(ctx, again, o->bytes, "rewrap", nbf);
      if (!sealed.ok()) return sealed.status();
      return Json{{"ciphertext", *sealed}, {"fromVersion", o->key.version}};
    };
    return t;
  }

  Tool timelock() {
    Tool t;
    t.name = "qlock.timelock";
    t.title = "Time-lock data";
    t.description =
        "Encrypts data under one of the caller's keys so that qlock.decrypt refuses it before notBefore (enforced by "
        "this node, which holds the key; the time is authenticated in the ciphertext's header).";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"data", "notBefore"}},
                      {"properties",
                       {{"data", data_schema("what to lock (at most 1 MiB decoded)")},
                        {"encoding", encoding_schema()},
                        {"notBefore", {{"type", "string"}, {"format", "date-time"},
                                       {"description", "RFC 3339 time before which qlock.decrypt refuses the ciphertext"}}},
                        {"keyId", kKeyIdSchema}}}};
    t.output_schema = {{"type", "object"}, {"required", {"ciphertext"}}, {"properties", {{"ciphertext", container_schema()}}}};
    t.http = {"POST", "/qlock/v1/timelock"};
    t.write = true;
    t.emits = {"q.qlock.key.used.v1"};
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      auto nbf = parse_rfc3339_ms(in["notBefore"].get<std::string>());
      if (!nbf) return Status::validation("notBefore is not an RFC 3339 time", Json{{"pointer", "/notBefore"}});
      auto bytes = input_bytes(in);
      if (!bytes.ok()) return bytes.status();
      auto c = seal_under_key(ctx, in, *bytes, "timelock", *nbf);
      if (!c.ok()) return c.status();
      return Json{{"ciphertext", *c}};
    };
    return t;
  }

  ModuleEnv env_;  // filled by start(); tools() hands out pointers to it before
  LockService locks_{&env_};
  std::thread janitor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace
}  // namespace anarq::qlock

namespace anarq {
using QlockModule = qlock::QlockModule;
ANARQ_REGISTER_MODULE("qlock", QlockModule);
}  // namespace anarq
