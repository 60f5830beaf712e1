// qlock.sign and qlock.verify: LockSig (standards.md section 10) by keystore
// keys — Ed25519, XMSS-SHA2_10_256 (stateful, rare long-term signatures) or
// the hybrid of both — verified by anyone holding the public keys.
#include "core/clock.h"
#include "crypto/locksig.h"
#include "ipld/multibase.h"
#include "modules/qlock/qlock_internal.h"

namespace anarq::qlock {
namespace {

Json locksig_schema() {
  return R"({"type": "object", "required": ["alg", "pub", "sig", "ts", "nonce"],
    "description": "LockSig (standards.md section 10); the hybrid adds pq = {alg, pub, sig}",
    "properties": {"alg": {"type": "string", "enum": ["Ed25519", "XMSS-SHA2_10_256", "Ed25519+XMSS-SHA2_10_256"]},
      "pub": {"type": "string", "maxLength": 256, "description": "did:key (Ed25519) or base64url raw XMSS public key"},
      "sig": {"type": "string", "maxLength": 4096, "description": "base64url, no padding"},
      "ts": {"type": "integer", "description": "epoch ms, covered by the signature"},
      "nonce": {"type": "string", "minLength": 16, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
                "description": "16-64 characters of [A-Za-z0-9_-]"},
      "pq": {"type": "object", "required": ["alg", "pub", "sig"],
             "properties": {"alg": {"type": "string", "enum": ["XMSS-SHA2_10_256"]},
                            "pub": {"type": "string", "maxLength": 256}, "sig": {"type": "string", "maxLength": 4096}}}}})"_json;
}

Result<KeyVersion> signing_key(const ModuleEnv& env, const Context& ctx, const Json& in, const char* field,
                               const char* algorithm) {
  Result<KeyVersion> k = in.contains(field) ? own_key(env, ctx, in[field].get<std::string>())
                                            : default_key(env, ctx, KeyPurpose::kSigning);
  if (!k.ok()) return k.status();
  if (k->algorithm != algorithm)
    return Status::validation(std::string(field) + " " + k->key_id + " is a " + k->algorithm + " key; " + algorithm +
                              " is needed here");
  if (k->purpose != KeyPurpose::kSigning && k->purpose != KeyPurpose::kAuthentication)
    return Status::validation("key " + k->key_id + " is not a signing key");
  return k;
}

}  // namespace

Tool sign_tool(const ModuleEnv* env) {
  Tool t;
  t.name = "qlock.sign";
  t.title = "Sign";
  t.description =
      "Signs data with one of the caller's keys and returns a LockSig any Ed25519 library verifies from the did:key "
      "(default: the caller's own signing key, created on first use). XMSS and the Ed25519+XMSS hybrid are for rare "
      "long-term signatures: about 0.3 s each, 1,024 per key.";
  t.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"data"}},
                    {"properties",
                     {{"data", data_schema("what to sign: m of the LockSig (at most 1 MiB decoded)")},
                      {"encoding", encoding_schema()},
                      {"algorithm", {{"type", "string"}, {"enum", {"Ed25519", crypto::kLockSigXmss, crypto::kLockSigHybrid}},
                                     {"default", "Ed25519"}, {"description", "the LockSig algorithm"}}},
                      {"keyId", {{"type", "string"}, {"maxLength", 128},
                                 {"description", "Ed25519 key (Ed25519, hybrid) or XMSS key (XMSS)"}}},
                      {"pqKeyId", {{"type", "string"}, {"maxLength", 128}, {"description", "the hybrid's XMSS key"}}}}}};
  t.output_schema = {{"type", "object"},
                     {"required", {"signature", "keyId", "version"}},
                     {"properties",
                      {{"signature", locksig_schema()},
                       {"keyId", {{"type", "string"}}},
                       {"version", {{"type", "integer"}}},
                       {"leavesLeft", {{"type", "integer"}, {"description", "XMSS signatures this key has left"}}}}}};
  t.http = {"POST", "/qlock/v1/sign"};
  t.write = true;      // an audited key use (and, for XMSS, a spent leaf)
  t.may_block = true;  // XMSS: ~0.3 s per signature, one at a time
  t.emits = {"q.qlock.key.used.v1", "q.qlock.key.created.v1"};
  t.handler = [env](Context& ctx, const Json& in) -> Result<Reply> {
    auto bytes = input_bytes(in);
    if (!bytes.ok()) return bytes.status();
    std::string alg = in.value("algorithm", "Ed25519");
    int64_t ts = env->clock->now_ms();
    std::string nonce = crypto::new_locksig_nonce();
    Json out;
    Json sig;
    if (alg == crypto::kLockSigXmss) {
      if (!in.contains("keyId")) return Status::validation("XMSS signing needs keyId (create one with qlock.key.create)");
      if (in.contains("pqKeyId")) return Status::validation("pqKeyId is for the hybrid algorithm");
      auto k = signing_key(*env, ctx, in, "keyId", kAlgXmss);
      if (!k.ok()) return k.status();
      auto x = env->keystore->xmss_sign(k->key_id, crypto::locksig_message(ts, nonce, *bytes));
      if (!x.ok()) return x.status();
      ANARQ_RETURN_IF_ERROR(audit_use(*env, ctx, *k, "sign", bytes->size()));
      sig = {{"alg", alg}, {"pub", ipld::base64_encode(x->public_key, true)},
             {"sig", ipld::base64_encode(x->signature, true)}, {"ts", ts}, {"nonce", nonce}};
      return Json{{"signature", sig}, {"keyId", k->key_id}, {"version", x->version}, {"leavesLeft", x->leaves_left}};
    }
    auto k = signing_key(*env, ctx, in, "keyId", kAlgEd25519);
    if (!k.ok()) return k.status();
    auto kp = env->keystore->ed25519(k->key_id);
    if (!kp.ok()) return kp.status();
    auto ed = crypto::locksig_sign(*kp, *bytes, ts, nonce);
    if (!ed.ok()) return ed.status();
    sig = *ed;
    out = {{"keyId", k->key_id}, {"version", k->version}};
    if (alg == crypto::kLockSigHybrid) {
      if (!in.contains("pqKeyId")) return Status::validation("the hybrid needs pqKeyId, an XMSS key");
      auto pq = signing_key(*env, ctx, in, "pqKeyId", kAlgXmss);
      if (!pq.ok()) return pq.status();
      auto x = env->keystore->xmss_sign(pq->key_id, crypto::locksig_message(ts, nonce, *bytes));
      if (!x.ok()) return x.status();
      ANARQ_RETURN_IF_ERROR(audit_use(*env, ctx, *pq, "sign", bytes->size()));
      sig["alg"] = alg;
      sig["pq"] = {{"alg", crypto::kLockSigXmss}, {"pub", ipld::base64_encode(x->public_key, true)},
                   {"sig", ipld::base64_encode(x->signature, true)}};
      out["leavesLeft"] = x->leaves_left;
    } else if (in.contains("pqKeyId")) {
      return Status::validation("pqKeyId is for the hybrid algorithm");
    }
    ANARQ_RETURN_IF_ERROR(audit_use(*env, ctx, *k, "sign", bytes->size()));
    out["signature"] = sig;
    return out;
  };
  return t;
}

Tool verify_tool() {
  Tool t;
  t.name = "qlock.verify";
  t.title = "Verify a signature";
  t.description =
      "Verifies a LockSig over data: Ed25519 by any did:key, XMSS, or the hybrid (both must verify). Needs no "
      "identity and no key held here.";
  t.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"data", "signature"}},
                    {"properties",
                     {{"data", data_schema("the signed message m")},
                      {"encoding", encoding_schema()},
                      {"signature", {{"type", "object"}, {"description", "a LockSig, as qlock.sign returned it"}}}}}};
  t.output_schema = R"({"type": "object", "required": ["valid", "alg", "signer"],
    "properties": {"valid": {"type": "boolean"}, "alg": {"type": "string"},
                   "signer": {"type": "string", "description": "the LockSig's pub"},
                   "signedAt": {"type": "string", "format": "date-time"},
                   "reason": {"type": "string", "description": "why it did not verify"}}})"_json;
  t.http = {"POST", "/qlock/v1/verify"};
  t.access = Access::kPublic;
  t.read_only = true;
  t.handler = [](Context&, const Json& in) -> Result<Reply> {
    auto bytes = input_bytes(in);
    if (!bytes.ok()) return bytes.status();
    const Json& s = in["signature"];
    Status v = crypto::locksig_verify(s, *bytes);
    if (!v.ok() && v.code() != "SIGNATURE_INVALID") return v;  // malformed: the caller's mistake, 400
    Json out = {{"valid", v.ok()}, {"alg", s["alg"]}, {"signer", s["pub"]}};
    int64_t ts = s["ts"].get<int64_t>();
    if (ts >= 0 && ts <= 253'402'300'799'999) out["signedAt"] = format_rfc3339_ms(ts);  // through year 9999
    if (!v.ok()) out["reason"] = v.message();
    return out;
  };
  return t;
}

}  // namespace anarq::qlock
