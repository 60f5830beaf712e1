// squid: identities as did:key DIDs (ROOT) and subidentities (DAO, ENTERPRISE,
// CONSENTIDA, AID) bound to their root by a root-signed delegation
// (../shared/spec/upstream-reference.md section 6.1, without its bugs).
//
// Keys: BYOK (the owner holds the key; a signed request or a LockSig proof shows
// possession) or CUSTODIAL (the node's keystore generates and holds the key for
// a custodian DID). The record is keyed by its DID; nothing is a UUID.
//
// Signed strings (LockSig, standards section 10, m as below):
//   create proof   m = "anarq-squid-create-v1\n" + squidId            (ts within +-300 s)
//   delegation     m = "anarq-squid-delegation-v1\n" + root + "\n" + sub + "\n" + type
//
// Who may do what (the acting DID is x-subid when present, else x-squid-id):
//   read     PUBLIC records: anyone; others: the identity, its root, its custodian
//            (or its root's custodian) and the node's operator; else NOT_FOUND.
//            DELETED records are NOT_FOUND to everyone but the operator.
//   manage   update / delete: the identity, its root, its custodian (or its root's).
//   subs     the root acting as itself, or a custodial root's custodian.
//   score    squid.reputation.update: only the node (modules and the operator).
//
// squid.get is also the authentication stage's x-subid check (app/node.cc): it
// must stay one indexed SELECT and answer the operator for every record.
#include <algorithm>
#include <cstdlib>

#include "bus/bus.h"
#include "core/clock.h"
#include "core/json.h"
#include "crypto/ed25519.h"
#include "crypto/locksig.h"
#include "ipld/multibase.h"
#include "modules/squid/identity.h"
#include "runtime/identity.h"
#include "runtime/module.h"
#include "store/keystore.h"

namespace anarq {
namespace {

using namespace squid;  // NOLINT: the module is the only user of its records

Json actor_of(const Context& ctx) {
  Json a = {{"squidId", ctx.identity->squid_id}};
  if (!ctx.identity->sub_id.empty()) a["subId"] = ctx.identity->sub_id;
  if (!ctx.identity->dao_id.empty()) a["daoId"] = ctx.identity->dao_id;
  return a;
}

// The DID that signed: the subidentity when acting as one, else the root.
std::string acting(const Context& ctx) { return acting_identity(ctx); }

// A custodial identity's key: Ed25519 for authentication, never rotated (the
// DID is the key). Owned in the keystore by "squid:<custodian>", a name no
// caller DID can equal: qlock's key tools cannot use, rotate or revoke it, only
// this module (which checks the custodian on the identity record).
NewKey identity_key(const std::string& custodian, const std::string& type) {
  NewKey k;
  k.owner = "squid:" + custodian;
  k.purpose = KeyPurpose::kAuthentication;
  k.algorithm = kAlgEd25519;
  k.manual_rotation = true;
  k.label = "squid:" + type;
  return k;
}

class SquidModule final : public Module {
 public:
  std::string name() const override { return "squid"; }
  std::string version() const override { return "1.0.0"; }
  std::string description() const override {
    return "Identities as did:key DIDs: roots (BYOK or custodial), delegated subidentities, privacy, reputation.";
  }
  std::vector<Migration> migrations() const override { return squid::migrations(); }
  Status start(const ModuleEnv& env) override {
    if (!env.db || !env.bus || !env.clock) return Status::internal("the squid module needs the db, the bus and a clock");
    env_ = env;
    return {};
  }
  std::vector<Tool> tools() override {
    return {create(), sub_create(), get(), update(), remove(), verify_identity(), active_context(),
            reputation_get(), reputation_update()};
  }

 private:
  bool is_operator(const Context& ctx) const {
    return ctx.identity && ctx.identity->sub_id.empty() && !env_.node_did.empty() &&
           ctx.identity->squid_id == env_.node_did;
  }
  // The identity itself, its root, its custodian or its root's custodian.
  static bool is_manager(const Identity& d, const std::string& who) {
    return !who.empty() && (who == d.squid_id || who == d.root_id || who == d.custodian || who == d.root_custodian);
  }
  bool privileged(const Identity& d, const Context& ctx) const { return is_operator(ctx) || is_manager(d, acting(ctx)); }
  bool visible(const Identity& d, const Context& ctx) const {
    if (is_operator(ctx)) return true;
    if (d.status == "DELETED") return false;
    return d.privacy_level == "PUBLIC" || is_manager(d, acting(ctx));
  }
  std::string now() const { return format_rfc3339_ms(env_.clock->now_ms()); }

  // A record the caller may manage, loaded inside tx: NOT_FOUND when invisible
  // (or DELETED), QONSENT_DENIED when visible but not the caller's.
  Result<Identity> load_managed(Tx& tx, const Context& ctx, const std::string& did, const char* what) {
    auto d = load(tx, did);
    if (!d.ok()) return d.status();
    if (!*d || !visible(**d, ctx)) return not_found(did);
    if ((*d)->status == "DELETED")
      return Status(ErrorCode::kVersionConflict, "identity " + did + " is DELETED and cannot change");
    if (!is_manager(**d, acting(ctx)))
      return Status(ErrorCode::kQonsentDenied, std::string("only ") + did + ", its root or its custodian may " + what + " it")
          .with_suggestion("sign the request with the identity's key (or its root's)");
    return std::move(**d);
  }

  Status publish(Tx& tx, const Context& ctx, const char* topic, Json payload) {
    bus::EventDraft e;
    e.topic = topic;
    e.source = "squid";
    e.actor = actor_of(ctx);
    e.payload = std::move(payload);
    e.traceparent = ctx.trace.traceparent();
    auto p = env_.bus->publish(tx, e);
    return p.ok() ? Status() : p.status();
  }

  Status need_keystore() const {
    if (!env_.keystore) return Status::unavailable("custodial identities need the node's keystore, which is not open here");
    return {};
  }

  Tool create() {
    Tool t;
    t.name = "squid.create";
    t.title = "Create a root identity";
    t.description =
        "Registers a root identity: BYOK (the signer's own did:key, or squidId plus a LockSig proof by it over "
        "\"anarq-squid-create-v1\\n\" + squidId within 300 s) or custodial (the node generates the key; the caller "
        "becomes its custodian). Starts ACTIVE, UNVERIFIED, reputation 100, governance SELF.";
    t.input_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"name"}},
        {"properties",
         {{"squidId", did_param("BYOK: the DID to register (default: the request's signer)")},
          {"proof", locksig_param("BYOK for a DID other than the signer: its LockSig over \"anarq-squid-create-v1\\n\" + squidId, ts within +-300 s")},
          {"custodial", {{"type", "boolean"}, {"default", false}, {"description", "true: the node generates and keeps the key"}}},
          {"name", name_param()},
          {"description", description_param()},
          {"avatar", avatar_param()},
          {"tags", tags_param()},
          {"privacyLevel", privacy_param("default PUBLIC")},
          {"metadata", metadata_param()}}}};
    t.output_schema = identity_reply_schema();
    t.http = {"POST", "/squid/v1/identities"};
    t.access = Access::kIdentity;
    t.write = true;
    t.emits = {"q.squid.created.v1", "q.qlock.key.created.v1"};
    t.success_code = "IDENTITY_CREATED";
    t.success_message = "identity created";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      bool custodial = in.value("custodial", false);
      std::string caller = acting(ctx);
      std::string did;
      if (custodial) {
        if (in.contains("squidId") || in.contains("proof"))
          return Status::validation("custodial: true generates a new key; squidId and proof are for BYOK identities");
        ANARQ_RETURN_IF_ERROR(need_keystore());
      } else if (in.contains("proof")) {
        if (!in.contains("squidId")) return Status::validation("a proof goes with the squidId it proves");
        did = in["squidId"];
        ANARQ_RETURN_IF_ERROR(check_did(did, "squidId"));
        const Json& proof = in["proof"];
        if (proof["pub"] != did)
          return Status(ErrorCode::kSignatureInvalid, "proof is signed by " + proof["pub"].get<std::string>() + ", not by " + did);
        int64_t ts = proof["ts"];
        if (std::llabs(env_.clock->now_ms() - ts) > kProofWindowMs)
          return Status(ErrorCode::kSignatureInvalid, "proof.ts is more than 300 s away from the node's clock")
              .with_suggestion("sign a fresh proof");
        Status v = crypto::locksig_verify(proof, create_proof_message(did));
        if (!v.ok()) return signature_status(v, "proof");
      } else {
        did = in.value("squidId", ctx.identity->squid_id);
        if (!ctx.identity->sub_id.empty())
          return Status(ErrorCode::kQonsentDenied, "a subidentity cannot register a root identity")
              .with_suggestion("sign as the root key itself, or give squidId with a proof");
        if (did != ctx.identity->squid_id)
          return Status(ErrorCode::kQonsentDenied, "the request is signed by " + ctx.identity->squid_id + ", not by " + did)
              .with_suggestion("sign the request with " + did + "'s key, or add a proof by it");
        ANARQ_RETURN_IF_ERROR(check_did(did, "squidId"));
      }
      ANARQ_RETURN_IF_ERROR(check_metadata(in));
      Identity d;
      d.name = in["name"];
      d.description = in.value("description", "");
      d.avatar = in.value("avatar", "");
      d.tags = in.value("tags", Json::array());
      d.type = "ROOT";
      d.privacy_level = in.value("privacyLevel", "PUBLIC");
      d.metadata = in.value("metadata", Json::object());
      d.created_at = d.updated_at = d.reputation_updated_at = now();
      if (!custodial && caller == did) d.last_used = d.created_at;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        if (custodial) {
          auto key = env_.keystore->create(tx, identity_key(caller, "ROOT"));
          if (!key.ok()) return key.status();
          ANARQ_RETURN_IF_ERROR(publish(tx, ctx, "q.qlock.key.created.v1", key_version_json(*key)));
          did = key->public_key;
          d.custody = "CUSTODIAL";
          d.key_id = key->key_id;
          d.custodian = caller;
        }
        d.squid_id = d.root_id = did;
        d.path = Json::array({did});
        auto existing = load(tx, did);
        if (!existing.ok()) return existing.status();
        if (*existing)
          return Status(ErrorCode::kVersionConflict,
                        "identity " + did + ((*existing)->status == "DELETED" ? " was registered and deleted; a DID registers once"
                                                                              : " is already registered"));
        ANARQ_RETURN_IF_ERROR(insert(tx, d));
        Json payload = {{"identity", summary(d)}, {"custody", d.custody}};
        if (!d.custodian.empty()) payload["custodian"] = d.custodian;
        return publish(tx, ctx, "q.squid.created.v1", std::move(payload));
      });
      if (!s.ok()) return s;
      return Json{{"identity", view(d, true)}};
    };
    return t;
  }

  Tool sub_create() {
    Tool t;
    t.name = "squid.sub.create";
    t.title = "Create a subidentity";
    t.description =
        "Binds a subidentity (its own did:key) to an ACTIVE root by the root's LockSig delegation over "
        "\"anarq-squid-delegation-v1\\n\" + root + \"\\n\" + sub + \"\\n\" + type (signed by the node for a custodial "
        "root when omitted). At most 10 live subidentities per root; they inherit floor(0.8 x the root's reputation).";
    t.input_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"type", "name"}},
        {"properties",
         {{"parentId", did_param("the root (default: the caller)")},
          {"squidId", did_param("the subidentity's own did:key (omit with custodial: true)")},
          {"custodial", {{"type", "boolean"}, {"default", false}, {"description", "true: the node generates the subidentity's key (custodial roots only)"}}},
          {"delegation", locksig_param("the root's LockSig over \"anarq-squid-delegation-v1\\n\" + root + \"\\n\" + sub + \"\\n\" + type")},
          {"subProof", locksig_param("BYOK: the subidentity's own LockSig over the same delegation message (ts within +-300 s): its key consents to the binding")},
          {"type", {{"type", "string"}, {"enum", enum_of(kSubTypes)}, {"description", "kind of subidentity"}}},
          {"name", name_param()},
          {"description", description_param()},
          {"purpose", {{"type", "string"}, {"maxLength", 500}, {"description", "what the subidentity is for"}}},
          {"avatar", avatar_param()},
          {"tags", tags_param()},
          {"privacyLevel", privacy_param("default by type: AID ANONYMOUS, CONSENTIDA PRIVATE, ENTERPRISE DAO_ONLY, DAO PUBLIC")},
          {"metadata", metadata_param()},
          {"governanceConfig",
           {{"type", "object"},
            {"additionalProperties", false},
            {"description", "governance settings"},
            {"properties",
             {{"daoId", did_param("the governing DAO's did:key")},
              {"parentalConsent", {{"type", "boolean"}, {"description", "CONSENTIDA: a guardian consented"}}}}}}}}}};
    t.output_schema = identity_reply_schema();
    t.http = {"POST", "/squid/v1/identities/{parentId}/subidentities"};
    t.access = Access::kIdentity;
    t.write = true;
    t.emits = {"q.squid.sub.created.v1", "q.qlock.key.created.v1", "q.qlock.key.used.v1"};
    t.success_code = "SUBIDENTITY_CREATED";
    t.success_message = "subidentity created";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> { return create_sub(ctx, in); };
    return t;
  }

  Result<Reply> create_sub(Context& ctx, const Json& in) {
    std::string caller = acting(ctx);
    std::string parent_id = in.value("parentId", caller);
    std::string type = in["type"];
    bool custodial = in.value("custodial", false);
    ANARQ_RETURN_IF_ERROR(check_did(parent_id, "parentId"));
    ANARQ_RETURN_IF_ERROR(check_metadata(in));
    // A committed read first: whether the node signs the delegation needs the
    // root's key, read outside the write transaction.
    auto pre = load(*env_.db, parent_id);
    if (!pre.ok()) return pre.status();
    if (!*pre || !visible(**pre, ctx)) return not_found(parent_id);
    const Identity& parent0 = **pre;
    if (caller != parent0.squid_id && (parent0.custodian.empty() || caller != parent0.custodian))
      return Status(ErrorCode::kQonsentDenied, "only the root " + parent_id + " (or its custodian) creates its subidentities")
          .with_suggestion("sign the request with the root's key, without x-subid");
    if (parent0.type != "ROOT")
      return Status::custom("SQUID_NOT_A_ROOT", 422, false,
                            parent_id + " is a " + parent0.type + " subidentity; subidentities cannot have subidentities");
    std::string sub_id = in.value("squidId", "");
    if (custodial) {
      if (!sub_id.empty() || in.contains("delegation"))
        return Status::validation("custodial: true generates the subidentity's key; omit squidId and delegation");
      if (parent0.custody != "CUSTODIAL")
        return Status::validation("custodial subidentity keys only under a custodial root; " + parent_id + " is BYOK");
      ANARQ_RETURN_IF_ERROR(need_keystore());
    } else {
      if (sub_id.empty()) return Status::validation("squidId (the subidentity's own did:key) is required unless custodial: true");
      ANARQ_RETURN_IF_ERROR(check_did(sub_id, "squidId"));
      if (sub_id == parent_id) return Status::validation("a subidentity needs a key of its own, not the root's");
      // The subidentity's key consents too: no root can claim someone else's DID.
      if (!in.contains("subProof"))
        return Status::validation("subProof is required: the subidentity's own LockSig over the delegation message, "
                                  "proving it holds " + sub_id);
      const Json& sp = in["subProof"];
      if (sp["pub"] != sub_id)
        return Status(ErrorCode::kSignatureInvalid, "subProof is signed by " + sp["pub"].get<std::string>() + ", not by " + sub_id);
      int64_t ts = sp["ts"];
      if (ts < env_.clock->now_ms() - kProofWindowMs || ts > env_.clock->now_ms() + kProofWindowMs)
        return Status(ErrorCode::kSignatureInvalid, "subProof.ts is more than 300 s away from the node's clock")
            .with_suggestion("sign a fresh subProof");
      Status v = crypto::locksig_verify(sp, delegation_message(parent_id, sub_id, type));
      if (!v.ok()) return signature_status(v, "subProof");
    }
    std::optional<crypto::Ed25519KeyPair> root_key;
    if (in.contains("delegation")) {
      const Json& dg = in["delegation"];
      if (dg["pub"] != parent_id)
        return Status(ErrorCode::kSignatureInvalid, "delegation is signed by " + dg["pub"].get<std::string>() +
                                                        ", not by the root " + parent_id);
      if (dg["ts"].get<int64_t>() > env_.clock->now_ms() + kProofWindowMs)
        return Status(ErrorCode::kSignatureInvalid, "delegation.ts is in the future");
      Status v = crypto::locksig_verify(dg, delegation_message(parent_id, sub_id, type));
      if (!v.ok()) return signature_status(v, "delegation");
    } else if (parent0.custody == "CUSTODIAL") {
      ANARQ_RETURN_IF_ERROR(need_keystore());
      auto k = env_.keystore->ed25519(parent0.key_id, 1);  // the version whose public key is the DID
      if (!k.ok()) return k.status();
      if (crypto::did_key_from_ed25519(k->public_key()) != parent_id)
        return Status::internal("the keystore key of " + parent_id + " no longer matches its DID");
      root_key.emplace(std::move(*k));
    } else {
      return Status::validation("delegation is required: the root's LockSig over \"anarq-squid-delegation-v1\\n\" + root + "
                                "\"\\n\" + sub + \"\\n\" + type");
    }
    Identity d;
    d.name = in["name"];
    d.description = in.value("description", "");
    d.purpose = in.value("purpose", "");
    d.avatar = in.value("avatar", "");
    d.tags = in.value("tags", Json::array());
    d.type = type;
    d.parent_id = d.root_id = parent_id;
    d.depth = 1;
    d.governance_type = type == "CONSENTIDA" ? "PARENT" : type == "AID" ? "SELF" : "DAO";
    std::string privacy = type == "AID" ? "ANONYMOUS" : type == "CONSENTIDA" ? "PRIVATE" : type == "ENTERPRISE" ? "DAO_ONLY" : "PUBLIC";
    d.privacy_level = in.value("privacyLevel", privacy);
    d.kyc_required = type == "DAO" || type == "ENTERPRISE" || type == "AID";
    d.metadata = in.value("metadata", Json::object());
    if (in.contains("governanceConfig")) d.governance_config = in["governanceConfig"];
    if (in.contains("delegation")) d.delegation = in["delegation"];
    d.created_at = d.updated_at = d.reputation_updated_at = now();
    Status s = env_.db->transaction([&](Tx& tx) -> Status {
      ANARQ_RETURN_IF_ERROR(lock_row(tx, parent_id));
      auto parent = load(tx, parent_id);  // again, under the write lock
      if (!parent.ok()) return parent.status();
      if (!*parent || ((*parent)->status == "DELETED" && !is_operator(ctx))) return not_found(parent_id);
      if ((*parent)->status != "ACTIVE")
        return Status(ErrorCode::kVersionConflict, "root " + parent_id + " is " + (*parent)->status + "; only ACTIVE roots get subidentities");
      if (custodial) {
        auto key = env_.keystore->create(tx, identity_key((*parent)->custodian, type));
        if (!key.ok()) return key.status();
        ANARQ_RETURN_IF_ERROR(publish(tx, ctx, "q.qlock.key.created.v1", key_version_json(*key)));
        sub_id = key->public_key;
        d.custody = "CUSTODIAL";
        d.key_id = key->key_id;
        d.custodian = (*parent)->custodian;
      }
      if (root_key) {
        // A use of the root's custodial key: audited like every key use.
        ANARQ_RETURN_IF_ERROR(publish(tx, ctx, "q.qlock.key.used.v1",
                                      {{"keyId", parent0.key_id}, {"version", 1}, {"owner", "squid:" + parent0.custodian},
                                       {"algorithm", kAlgEd25519}, {"operation", "sign"}, {"actor", caller},
                                       {"bytes", delegation_message(parent_id, sub_id, type).size()},
                                       {"timestamp", format_rfc3339_ms(env_.clock->now_ms())}}));
        auto dg = crypto::locksig_sign(*root_key, delegation_message(parent_id, sub_id, type), env_.clock->now_ms(),
                                       crypto::new_locksig_nonce());
        if (!dg.ok()) return dg.status();
        d.delegation = std::move(*dg);
      }
      d.squid_id = sub_id;
      d.path = Json::array({parent_id, sub_id});
      d.reputation = (*parent)->reputation * 8 / 10;  // floor(0.8 x): scores are non-negative
      d.root_custodian = (*parent)->custodian;
      auto existing = load(tx, sub_id);
      if (!existing.ok()) return existing.status();
      if (*existing) return Status(ErrorCode::kVersionConflict, "identity " + sub_id + " is already registered");
      auto live = count_children(tx, parent_id, true);
      if (!live.ok()) return live.status();
      auto all = count_children(tx, parent_id, false);
      if (!all.ok()) return all.status();
      if (*live >= kMaxSubidentities || *all >= kMaxSubidentityRecords)
        return Status::custom("SQUID_SUBIDENTITY_LIMIT", 409, false,
                              "root " + parent_id + " has reached its limit of subidentities (" +
                                  std::to_string(kMaxSubidentities) + " live, " +
                                  std::to_string(kMaxSubidentityRecords) + " ever)",
                              {{"live", *live}, {"total", *all}, {"maxLive", kMaxSubidentities}});
      ANARQ_RETURN_IF_ERROR(insert(tx, d));
      if (caller == parent_id) {
        ANARQ_RETURN_IF_ERROR(touch(tx, parent_id, d.created_at));
      }
      Json payload = {{"identity", summary(d)}, {"parentId", parent_id}, {"custody", d.custody}, {"delegation", d.delegation}};
      if (!d.custodian.empty()) payload["custodian"] = d.custodian;
      return publish(tx, ctx, "q.squid.sub.created.v1", std::move(payload));
    });
    if (!s.ok()) return s;
    return Json{{"identity", view(d, true)}};
  }

  Tool get() {
    Tool t;
    t.name = "squid.get";
    t.title = "Get an identity";
    t.description =
        "An identity's record (and its live subidentities with includeChildren). Non-PUBLIC records answer only the "
        "identity, its root, its custodian and the node's operator; DELETED ones only the operator; others get 404.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"squidId"}},
                      {"properties",
                       {{"squidId", did_param("the identity's did:key")},
                        {"includeChildren", {{"type", "boolean"}, {"default", false}, {"description", "also list its live subidentities the caller may see"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"additionalProperties", false},
                       {"required", {"identity"}},
                       {"properties",
                        {{"identity", identity_schema()},
                         {"children", {{"type", "array"}, {"maxItems", kMaxChildrenListed}, {"items", identity_schema()},
                                       {"description", "with includeChildren: live subidentities, oldest first"}}}}}};
    t.http = {"GET", "/squid/v1/identities/{squidId}"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "IDENTITY_FOUND";
    t.success_message = "identity";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string did = in["squidId"];
      auto d = load(*env_.db, did);
      if (!d.ok()) return d.status();
      if (!*d || !visible(**d, ctx)) return not_found(did);
      Json out = {{"identity", view(**d, privileged(**d, ctx))}};
      if (in.value("includeChildren", false)) {
        auto kids = children(ctx, did);
        if (!kids.ok()) return kids.status();
        out["children"] = std::move(*kids);
      }
      return out;
    };
    return t;
  }

  Result<Json> children(const Context& ctx, const std::string& parent) {
    auto kids = list_children(*env_.db, parent, kMaxChildrenListed);
    if (!kids.ok()) return kids.status();
    Json out = Json::array();
    for (const Identity& c : *kids)
      if (visible(c, ctx)) out.push_back(view(c, privileged(c, ctx)));
    return out;
  }

  Tool update() {
    Tool t;
    t.name = "squid.update";
    t.title = "Update an identity";
    t.description =
        "Changes an identity's name, description, avatar, tags, privacyLevel or metadata (nothing else), by the "
        "identity itself, its root or its custodian; expectedUpdatedAt makes it conditional (409 on mismatch).";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"squidId"}},
                      {"properties",
                       {{"squidId", did_param("the identity to change")},
                        {"expectedUpdatedAt", {{"type", "string"}, {"format", "date-time"}, {"maxLength", 32},
                                               {"description", "the updatedAt the caller last read; 409 when it changed since"}}},
                        {"name", name_param()},
                        {"description", description_param()},
                        {"avatar", avatar_param()},
                        {"tags", tags_param()},
                        {"privacyLevel", privacy_param("who may read the record")},
                        {"metadata", metadata_param()}}}};
    t.output_schema = identity_reply_schema();
    t.http = {"PATCH", "/squid/v1/identities/{squidId}"};
    t.access = Access::kIdentity;
    t.write = true;
    t.destructive = true;  // the old values are gone
    t.idempotent = true;
    t.success_code = "IDENTITY_UPDATED";
    t.success_message = "identity updated";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      static const char* kFields[] = {"name", "description", "avatar", "tags", "privacyLevel", "metadata"};
      if (std::none_of(std::begin(kFields), std::end(kFields), [&](const char* f) { return in.contains(f); }))
        return Status::validation("nothing to update: give name, description, avatar, tags, privacyLevel or metadata");
      ANARQ_RETURN_IF_ERROR(check_metadata(in));
      std::string did = in["squidId"];
      Identity d;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto cur = load_managed(tx, ctx, did, "update");
        if (!cur.ok()) return cur.status();
        d = std::move(*cur);
        if (in.contains("expectedUpdatedAt") && in["expectedUpdatedAt"] != d.updated_at)
          return Status(ErrorCode::kVersionConflict, "identity " + did + " changed since " +
                                                         in["expectedUpdatedAt"].get<std::string>() + " (now " + d.updated_at + ")",
                        {{"updatedAt", d.updated_at}})
              .with_suggestion("read it again with squid.get and retry");
        d.name = in.value("name", d.name);
        d.description = in.value("description", d.description);
        d.avatar = in.value("avatar", d.avatar);
        if (in.contains("tags")) d.tags = in["tags"];
        d.privacy_level = in.value("privacyLevel", d.privacy_level);
        if (in.contains("metadata")) d.metadata = in["metadata"];
        d.updated_at = next_time(env_.clock->now_ms(), d.updated_at);
        if (acting(ctx) == did) d.last_used = d.updated_at;
        return update_profile(tx, d);
      });
      if (!s.ok()) return s;
      return Json{{"identity", view(d, true)}};
    };
    return t;
  }

  Tool remove() {
    Tool t;
    t.name = "squid.delete";
    t.title = "Delete an identity";
    t.description =
        "Soft-deletes an identity (status DELETED; its DID cannot register again), by the identity itself, its root "
        "or its custodian; refused with SQUID_HAS_CHILDREN while it has live subidentities. A deleted subidentity's "
        "signed requests are refused at once; a custodial identity's key is revoked with it.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"squidId"}},
                      {"properties", {{"squidId", did_param("the identity to delete")}}}};
    t.output_schema = identity_reply_schema();
    t.http = {"DELETE", "/squid/v1/identities/{squidId}"};
    t.access = Access::kIdentity;
    t.write = true;
    t.destructive = true;
    t.idempotent = true;
    t.emits = {"q.qlock.key.revoked.v1"};
    t.success_code = "IDENTITY_DELETED";
    t.success_message = "identity deleted";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string did = in["squidId"];
      Identity d;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        ANARQ_RETURN_IF_ERROR(lock_row(tx, did));
        auto cur = load_managed(tx, ctx, did, "delete");
        if (!cur.ok()) return cur.status();
        d = std::move(*cur);
        auto live = count_children(tx, did, true);
        if (!live.ok()) return live.status();
        if (*live > 0)
          return Status::custom("SQUID_HAS_CHILDREN", 409, false,
                                "identity " + did + " has " + std::to_string(*live) + " live subidentities",
                                {{"children", *live}})
              .with_suggestion("delete its subidentities first");
        d.status = "DELETED";
        d.updated_at = next_time(env_.clock->now_ms(), d.updated_at);
        ANARQ_RETURN_IF_ERROR(mark_deleted(tx, did, d.updated_at));
        // A deleted identity never signs again: its custodial key is revoked with it.
        if (d.custody == "CUSTODIAL" && !d.key_id.empty() && env_.keystore) {
          auto revoked = env_.keystore->revoke(tx, d.key_id, 0);
          if (!revoked.ok()) return revoked.status();
          for (const auto& v : *revoked)
            ANARQ_RETURN_IF_ERROR(publish(tx, ctx, "q.qlock.key.revoked.v1", key_version_json(v)));
        }
        return {};
      });
      if (!s.ok()) return s;
      return Json{{"identity", view(d, true)}};
    };
    return t;
  }

  Tool verify_identity() {
    Tool t;
    t.name = "squid.verifyIdentity";
    t.title = "Verify a signature by an identity";
    t.description =
        "Checks that `signature` (a LockSig over the UTF-8 message, or a bare base64url Ed25519 signature of it) was "
        "made by squidId's key, registered here or not, and returns what the node knows of the identity. Changes nothing.";
    t.input_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"squidId", "message", "signature"}},
        {"properties",
         {{"squidId", did_param("the claimed signer")},
          {"message", {{"type", "string"}, {"maxLength", kMaxVerifyMessageBytes}, {"description", "the signed message (UTF-8), at most 64 KiB"}}},
          {"signature",
           {{"description", "a LockSig object (standards section 10, m = message) or a base64url Ed25519 signature"},
            {"oneOf", {locksig_param("LockSig by squidId over message"),
                       {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{86}$"}, {"description", "a base64url Ed25519 signature: 86 characters, no padding (64 bytes)"}}}}}}}}};
    t.output_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"verified", "registered", "identity", "verificationLevel", "reputation", "reputationLevel", "format", "signedAt"}},
        {"properties",
         {{"verified", {{"type", "boolean"}, {"description", "the signature is squidId's over message"}}},
          {"registered", {{"type", "boolean"}, {"description", "an ACTIVE identity the caller may see is registered here"}}},
          {"identity", nullable_identity_schema()},
          {"verificationLevel", {{"type", "string"}, {"enum", enum_of(kVerificationLevels)}, {"description", "UNVERIFIED when not registered"}}},
          {"reputation", {{"type", {"integer", "null"}}, {"description", "score, null when not registered"}}},
          {"reputationLevel", {{"type", {"string", "null"}}, {"description", "level, null when not registered"}}},
          {"format", {{"type", "string"}, {"enum", {"LockSig", "Ed25519"}}, {"description", "the signature's form"}}},
          {"signedAt", nullable_string("LockSig: its ts (RFC 3339); null for a bare signature")}}}};
    t.http = {"POST", "/squid/v1/verify"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "SIGNATURE_CHECKED";
    t.success_message = "signature checked";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string did = in["squidId"];
      auto pk = crypto::ed25519_from_did_key(did);
      if (!pk.ok()) return check_did(did, "squidId");
      const std::string& message = in["message"].get_ref<const std::string&>();
      const Json& sig = in["signature"];
      bool verified = false;
      Json out = {{"signedAt", nullptr}};
      if (sig.is_object()) {
        out["format"] = "LockSig";
        out["signedAt"] = format_rfc3339_ms(sig["ts"].get<int64_t>());
        if (sig["pub"] == did) {
          Status v = crypto::locksig_verify(sig, message);
          if (!v.ok() && v.code() != "SIGNATURE_INVALID") return signature_status(v, "signature");
          verified = v.ok();
        }
      } else {
        out["format"] = "Ed25519";
        auto raw = ipld::base64_decode(sig.get<std::string>(), /*url=*/true);
        if (!raw.ok() || raw->size() != crypto::kEd25519SignatureBytes)
          return Status::validation("signature is not a base64url Ed25519 signature (64 bytes)");
        verified = crypto::ed25519_verify(*pk, message, *raw);
      }
      auto d = load(*env_.db, did);
      if (!d.ok()) return d.status();
      bool registered = *d && (*d)->status != "DELETED" && visible(**d, ctx);
      out["verified"] = verified;
      out["registered"] = registered;
      out["identity"] = registered ? view(**d, privileged(**d, ctx)) : Json(nullptr);
      out["verificationLevel"] = registered ? (*d)->verification_level : "UNVERIFIED";
      out["reputation"] = registered ? Json((*d)->reputation) : Json(nullptr);
      out["reputationLevel"] = registered ? Json(reputation_level((*d)->reputation)) : Json(nullptr);
      return out;
    };
    return t;
  }

  Tool active_context() {
    Tool t;
    t.name = "squid.activeContext";
    t.title = "Who is acting";
    t.description =
        "The identity this call acts as (root, subidentity, DAO) with its record, permissions and, with "
        "includeSubidentities, its live subidentities; session says how the identity was established.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties",
                       {{"includeSubidentities", {{"type", "boolean"}, {"default", false}, {"description", "also list the acting identity's live subidentities"}}}}}};
    t.output_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"activeIdentity", "identity", "permissions", "session"}},
        {"properties",
         {{"activeIdentity",
           {{"type", "object"},
            {"additionalProperties", false},
            {"required", {"squidId", "type"}},
            {"description", "the caller's IdentityRef and the acting identity's type"},
            {"properties",
             {{"squidId", {{"type", "string"}, {"description", "root DID (x-squid-id)"}}},
              {"subId", {{"type", "string"}, {"description", "acting subidentity (x-subid)"}}},
              {"daoId", {{"type", "string"}, {"description", "acting DAO (x-dao-id)"}}},
              {"type", {{"type", "string"}, {"enum", enum_of(kTypes)}, {"description", "acting identity's type (ROOT when unregistered)"}}}}}}},
          {"identity", nullable_identity_schema()},
          {"subidentities", {{"type", "array"}, {"maxItems", kMaxChildrenListed}, {"items", identity_schema()},
                             {"description", "with includeSubidentities: live subidentities of the acting identity"}}},
          {"permissions", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "what the acting identity's type allows"}}},
          {"session",
           {{"type", "object"},
            {"additionalProperties", false},
            {"required", {"transport", "signed"}},
            {"description", "how this call reached the node"},
            {"properties",
             {{"transport", {{"type", "string"}, {"enum", {"http", "mcp", "cli", "inprocess"}}, {"description", "transport of the call"}}},
              {"signed", {{"type", "boolean"}, {"description", "the identity came from signed request headers"}}}}}}}}}};
    t.http = {"GET", "/squid/v1/context"};
    t.access = Access::kIdentity;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "ACTIVE_CONTEXT";
    t.success_message = "active context";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string who = acting(ctx);
      auto d = load(*env_.db, who);
      if (!d.ok()) return d.status();
      bool known = *d && (*d)->status != "DELETED";
      std::string type = known ? (*d)->type : "ROOT";
      Json active = {{"squidId", ctx.identity->squid_id}, {"type", type}};
      if (!ctx.identity->sub_id.empty()) active["subId"] = ctx.identity->sub_id;
      if (!ctx.identity->dao_id.empty()) active["daoId"] = ctx.identity->dao_id;
      Json perms = Json::array();
      if (known) {
        perms = {"identity.read", "identity.update"};
        if (type == "ROOT")
          for (const char* p : {"identity.create_subidentity", "identity.delete_subidentity", "identity.manage_children"})
            perms.push_back(p);
        if (type == "DAO")
          for (const char* p : {"dao.vote", "dao.propose", "dao.manage_members"}) perms.push_back(p);
        if (type == "ENTERPRISE")
          for (const char* p : {"enterprise.manage_employees", "enterprise.financial_operations"}) perms.push_back(p);
        if (type == "AID") perms.push_back("aid.anonymous_operations");
      }
      Json out = {{"activeIdentity", active},
                  {"identity", known ? view(**d, true) : Json(nullptr)},
                  {"permissions", perms},
                  {"session", {{"transport", transport_name(ctx.transport)}, {"signed", ctx.headers.count("x-sig") > 0}}}};
      if (in.value("includeSubidentities", false)) {
        if (known) {
          auto kids = children(ctx, who);
          if (!kids.ok()) return kids.status();
          out["subidentities"] = std::move(*kids);
        } else {
          out["subidentities"] = Json::array();
        }
      }
      return out;
    };
    return t;
  }

  static Json reputation_schema() {
    return {{"type", "object"},
            {"additionalProperties", false},
            {"required", {"squidId", "score", "level", "lastUpdated"}},
            {"properties",
             {{"squidId", {{"type", "string"}, {"description", "the identity"}}},
              {"score", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxReputation}, {"description", "0-1000"}}},
              {"level", {{"type", "string"}, {"enum", enum_of(kLevels)}, {"description", "NOVICE < 300 <= TRUSTED < 600 <= EXPERT < 800 <= AUTHORITY"}}},
              {"lastUpdated", {{"type", "string"}, {"format", "date-time"}, {"description", "when the score last changed"}}}}}};
  }

  Tool reputation_get() {
    Tool t;
    t.name = "squid.reputation.get";
    t.title = "Get an identity's reputation";
    t.description = "An identity's reputation score and level (same visibility as squid.get).";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"squidId"}},
                      {"properties", {{"squidId", did_param("the identity")}}}};
    t.output_schema = reputation_schema();
    t.http = {"GET", "/squid/v1/identities/{squidId}/reputation"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "REPUTATION";
    t.success_message = "reputation";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string did = in["squidId"];
      auto d = load(*env_.db, did);
      if (!d.ok()) return d.status();
      if (!*d || !visible(**d, ctx)) return not_found(did);
      return Json{{"squidId", did},
                  {"score", (*d)->reputation},
                  {"level", reputation_level((*d)->reputation)},
                  {"lastUpdated", (*d)->reputation_updated_at}};
    };
    return t;
  }

  Tool reputation_update() {
    Tool t;
    t.name = "squid.reputation.update";
    t.title = "Change an identity's reputation";
    t.description =
        "Adds delta (-1000..1000) to an identity's score, clamped to [0, 1000]. Only the node (its modules and its "
        "operator) may; never an identity for itself.";
    t.input_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"squidId", "delta", "reason"}},
        {"properties",
         {{"squidId", did_param("the identity")},
          {"delta", {{"type", "integer"}, {"minimum", -kMaxReputation}, {"maximum", kMaxReputation}, {"description", "change to the score"}}},
          {"reason", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}, {"description", "why, at most 200 characters"}}},
          {"module", {{"type", "string"}, {"pattern", "^[a-z][a-z0-9]{0,31}$"}, {"default", "operator"},
                      {"description", "a module name, 1-32 of [a-z0-9] starting with a letter: the module asking (operator when the operator asks)"}}}}}};
    Json out = reputation_schema();
    out["required"] = {"squidId", "score", "level", "lastUpdated", "previousScore", "delta"};
    out["properties"]["previousScore"] = {{"type", "integer"}, {"description", "score before"}};
    out["properties"]["delta"] = {{"type", "integer"}, {"description", "the requested change"}};
    t.output_schema = out;
    t.http = {"POST", "/squid/v1/identities/{squidId}/reputation"};
    t.access = Access::kIdentity;
    t.write = true;
    t.emits = {"q.squid.reputation.updated.v1"};
    t.success_code = "REPUTATION_UPDATED";
    t.success_message = "reputation updated";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string did = in["squidId"];
      if (!ctx.identity->dao_id.empty())
        return Status(ErrorCode::kQonsentDenied, "DAO-authored reputation updates need the DAO module, which is not here yet");
      if (did == ctx.identity->squid_id || did == ctx.identity->sub_id)
        return Status(ErrorCode::kQonsentDenied, "an identity cannot change its own reputation");
      if (!is_operator(ctx))
        return Status(ErrorCode::kQonsentDenied, "only the node (its modules and its operator) changes reputation");
      int64_t delta = in["delta"];
      Json reply;
      Status s = env_.db->transaction([&](Tx& tx) -> Status {
        auto d = load(tx, did);
        if (!d.ok()) return d.status();
        if (!*d || (*d)->status == "DELETED") return not_found(did);
        int64_t before = (*d)->reputation;
        int64_t after = std::clamp<int64_t>(before + delta, 0, kMaxReputation);
        std::string at = next_time(env_.clock->now_ms(), (*d)->updated_at);
        ANARQ_RETURN_IF_ERROR(set_reputation(tx, did, after, at));
        std::string level = reputation_level(after);
        reply = {{"squidId", did}, {"score", after}, {"level", level}, {"lastUpdated", at},
                 {"previousScore", before}, {"delta", delta}};
        return publish(tx, ctx, "q.squid.reputation.updated.v1",
                       {{"squidId", did}, {"previousScore", before}, {"newScore", after}, {"delta", delta},
                        {"reason", in["reason"]}, {"module", in.value("module", "operator")}, {"level", level}});
      });
      if (!s.ok()) return s;
      return reply;
    };
    return t;
  }

  ModuleEnv env_;
};

}  // namespace

ANARQ_REGISTER_MODULE("squid", SquidModule);

}  // namespace anarq
