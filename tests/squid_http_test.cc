// sQuid over real HTTP: BYOK, proof-based and custodial roots; subidentities
// bound by a root-signed delegation and acting with x-subid; deletion, privacy,
// reputation (node-only, clamped, evented), signature verification, restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/json.h"
#include "crypto/locksig.h"
#include "ipld/multibase.h"
#include "tests/http_client.h"
#include "tests/signing.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::Contains;

Json body_of(const RawResponse& r) {
  auto j = parse_json(r.body);
  return j.ok() ? *j : Json();
}

std::string did_of(const crypto::Ed25519KeyPair& k) { return crypto::did_key_from_ed25519(k.public_key()); }

int64_t now_ms() { return SystemClock::instance().now_ms(); }

Json delegation(const crypto::Ed25519KeyPair& root, const std::string& sub, const std::string& type) {
  std::string m = "anarq-squid-delegation-v1\n" + did_of(root) + "\n" + sub + "\n" + type;
  return *crypto::locksig_sign(root, m, now_ms(), crypto::new_locksig_nonce());
}

// The subidentity's consent: its own LockSig over the same delegation message.
Json sub_proof(const crypto::Ed25519KeyPair& sub, const std::string& root, const std::string& type) {
  std::string m = "anarq-squid-delegation-v1\n" + root + "\n" + did_of(sub) + "\n" + type;
  return *crypto::locksig_sign(sub, m, now_ms(), crypto::new_locksig_nonce());
}

Json create_proof(const crypto::Ed25519KeyPair& key, int64_t ts = now_ms()) {
  return *crypto::locksig_sign(key, "anarq-squid-create-v1\n" + did_of(key), ts, crypto::new_locksig_nonce());
}

class SquidHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(node_.port(), 0); }

  // A request signed by `key` (as a subidentity of root_id when given), or unsigned with key == nullptr.
  RawResponse send(const crypto::Ed25519KeyPair* key, const std::string& method, const std::string& target,
                   const std::string& body = "", const std::string& root_id = "") {
    std::map<std::string, std::string> h = {{"content-type", "application/json"}};
    if (key)
      for (auto& [k, v] : signed_request_headers(*key, method, target, body, now_ms(), random_hex(12), root_id)) h[k] = v;
    return request(node_.port(), method, target, h, body);
  }
  RawResponse send(const crypto::Ed25519KeyPair& key, const std::string& method, const std::string& target,
                   const Json& body, const std::string& root_id = "") {
    return send(&key, method, target, body.is_null() ? std::string() : dump_compact(body), root_id);
  }
  Json create_root(const crypto::Ed25519KeyPair& key, Json extra = Json::object()) {
    extra["name"] = extra.value("name", "root");
    auto r = send(key, "POST", "/squid/v1/identities", extra);
    EXPECT_EQ(r.status, 200) << r.body;
    return body_of(r)["data"]["identity"];
  }
  RawResponse create_sub(const crypto::Ed25519KeyPair& root, const crypto::Ed25519KeyPair& sub, const std::string& type,
                         Json dg, const std::string& name = "sub") {
    Json in = {{"squidId", did_of(sub)}, {"type", type}, {"name", name}, {"delegation", std::move(dg)},
               {"subProof", sub_proof(sub, did_of(root), type)}};
    return send(root, "POST", "/squid/v1/identities/" + did_of(root) + "/subidentities", in);
  }
  Call op(const std::string& tool, const Json& input) { return node_.node().call(tool, input); }
  Json history(const std::string& subject) {
    Call c = op("events.history", {{"subject", subject}});
    EXPECT_EQ(c.http_status, 200) << c.body;
    return c.envelope["data"]["events"];
  }

  ServedNode node_;
  crypto::Ed25519KeyPair alice_ = crypto::ed25519_generate();  // generated outside the node
  crypto::Ed25519KeyPair mallory_ = crypto::ed25519_generate();
};

TEST_F(SquidHttpTest, ByokRootIsCreatedReadAndUpdatedByItsOwnerOnly) {
  const std::string did = did_of(alice_);
  EXPECT_EQ(send(nullptr, "POST", "/squid/v1/identities", R"({"name":"alice"})").status, 401) << "creation is signed";
  auto r = send(alice_, "POST", "/squid/v1/identities", Json{{"name", "alice"}, {"tags", {"dev"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json id = body_of(r)["data"]["identity"];
  EXPECT_EQ(body_of(r)["code"], "IDENTITY_CREATED");
  EXPECT_EQ(id["squidId"], did);
  EXPECT_EQ(id["type"], "ROOT");
  EXPECT_EQ(id["rootId"], did);
  EXPECT_EQ(id["path"], Json::array({did}));
  EXPECT_EQ(id["depth"], 0);
  EXPECT_EQ(id["status"], "ACTIVE");
  EXPECT_EQ(id["verificationLevel"], "UNVERIFIED");
  EXPECT_EQ(id["reputation"], 100);
  EXPECT_EQ(id["reputationLevel"], "NOVICE");
  EXPECT_EQ(id["governanceType"], "SELF");
  EXPECT_EQ(id["privacyLevel"], "PUBLIC");
  EXPECT_EQ(id["custody"], "BYOK");
  EXPECT_FALSE(id.contains("keyId"));
  EXPECT_FALSE(id.contains("custodian"));

  auto dup = send(alice_, "POST", "/squid/v1/identities", Json{{"name", "again"}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(body_of(dup)["code"], "VERSION_CONFLICT");
  auto other = send(mallory_, "POST", "/squid/v1/identities", Json{{"name", "x"}, {"squidId", did_of(crypto::ed25519_generate())}});
  EXPECT_EQ(other.status, 403) << "registering a DID the request is not signed by needs a proof";
  auto bad_name = send(mallory_, "POST", "/squid/v1/identities", Json{{"name", "no/slashes"}});
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(body_of(bad_name)["details"]["violations"][0]["pointer"], "/name");

  auto got = send(nullptr, "GET", "/squid/v1/identities/" + did);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(body_of(got)["data"]["identity"]["name"], "alice");
  EXPECT_EQ(body_of(got)["data"]["identity"]["tags"], Json::array({"dev"}));
  EXPECT_EQ(send(nullptr, "GET", "/squid/v1/identities/" + did_of(mallory_)).status, 404);

  const std::string target = "/squid/v1/identities/" + did;
  auto up = send(alice_, "PATCH", target, Json{{"name", "Alice B"}, {"description", "hello"}, {"metadata", {{"k", 1}}}});
  ASSERT_EQ(up.status, 200) << up.body;
  Json updated = body_of(up)["data"]["identity"];
  EXPECT_EQ(updated["name"], "Alice B");
  EXPECT_EQ(updated["metadata"]["k"], 1);
  EXPECT_GT(updated["updatedAt"].get<std::string>(), id["updatedAt"].get<std::string>());
  auto field = send(alice_, "PATCH", target, Json{{"reputation", 900}});
  EXPECT_EQ(field.status, 400) << "only name, description, avatar, tags, privacyLevel and metadata change";
  EXPECT_EQ(body_of(field)["code"], "VALIDATION_ERROR");
  auto type = send(alice_, "PATCH", target, Json{{"type", "DAO"}});
  EXPECT_EQ(type.status, 400);
  auto big = send(alice_, "PATCH", target, Json{{"metadata", {{"blob", std::string(9000, 'x')}}}});
  EXPECT_EQ(big.status, 400) << "metadata is bounded to 8 KiB";
  auto stale = send(alice_, "PATCH", target, Json{{"name", "late"}, {"expectedUpdatedAt", id["updatedAt"]}});
  EXPECT_EQ(stale.status, 409);
  auto cond = send(alice_, "PATCH", target, Json{{"name", "fresh"}, {"expectedUpdatedAt", updated["updatedAt"]}});
  EXPECT_EQ(cond.status, 200) << cond.body;
  auto theirs = send(mallory_, "PATCH", target, Json{{"name", "pwned"}});
  EXPECT_EQ(theirs.status, 403);
  EXPECT_EQ(body_of(theirs)["code"], "QONSENT_DENIED");

  Json events = history("q.squid.created.v1");
  ASSERT_EQ(events.size(), 1u);
  Json p = events[0]["event"]["payload"];
  EXPECT_EQ(p["identity"]["squidId"], did);
  EXPECT_EQ(p["custody"], "BYOK");
  EXPECT_EQ(events[0]["event"]["actor"]["squidId"], did);
}

TEST_F(SquidHttpTest, CustodialAndProofBasedRoots) {
  const std::string operator_did = node_.node().operator_identity().squid_id;
  // Custodial, by the operator: the node generates the key; the operator is its custodian.
  Call c = op("squid.create", {{"custodial", true}, {"name", "bob"}});
  ASSERT_EQ(c.http_status, 200) << c.body;
  Json bob = c.envelope["data"]["identity"];
  EXPECT_EQ(bob["custody"], "CUSTODIAL");
  EXPECT_EQ(bob["custodian"], operator_did);
  EXPECT_TRUE(bob.contains("keyId"));
  EXPECT_EQ(bob["squidId"].get<std::string>().rfind("did:key:z6Mk", 0), 0u);
  EXPECT_EQ(bob["verificationLevel"], "UNVERIFIED");
  // The identity key is the DID: qlock's key tools cannot use, rotate or revoke it.
  const std::string bob_key = bob["keyId"];
  EXPECT_EQ(op("qlock.key.revoke", {{"keyId", bob_key}}).http_status, 404);
  EXPECT_EQ(op("qlock.key.rotate", {{"keyId", bob_key}}).http_status, 404);
  EXPECT_EQ(op("qlock.sign", {{"data", "as bob"}, {"keyId", bob_key}}).http_status, 404);
  Call keys = op("qlock.key.list", Json::object());
  for (const auto& k : keys.envelope["data"]["keys"]) EXPECT_NE(k["keyId"], bob_key);
  EXPECT_FALSE(history("q.qlock.key.created.v1").empty()) << "the custodial key's creation is audited";
  // Deleting a custodial identity revokes its key with it.
  Call temp = op("squid.create", {{"custodial", true}, {"name", "temp"}});
  ASSERT_EQ(temp.http_status, 200) << temp.body;
  const std::string temp_key = temp.envelope["data"]["identity"]["keyId"];
  ASSERT_EQ(op("squid.delete", {{"squidId", temp.envelope["data"]["identity"]["squidId"]}}).http_status, 200);
  bool revoked = false;
  for (const auto& e : history("q.qlock.key.revoked.v1")) revoked |= e["event"]["payload"]["keyId"] == temp_key;
  EXPECT_TRUE(revoked);
  EXPECT_EQ(node_.node().keystore().get(temp_key)->status, KeyStatus::kRevoked);
  // Custodial over HTTP: the signer is the custodian; strangers do not see the key id.
  auto r = send(alice_, "POST", "/squid/v1/identities", Json{{"custodial", true}, {"name", "carol"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json carol = body_of(r)["data"]["identity"];
  EXPECT_EQ(carol["custodian"], did_of(alice_));
  auto public_view = body_of(send(nullptr, "GET", "/squid/v1/identities/" + carol["squidId"].get<std::string>()));
  EXPECT_FALSE(public_view["data"]["identity"].contains("keyId"));
  EXPECT_EQ(public_view["data"]["identity"]["custodian"], did_of(alice_));

  // BYOK by proof: the operator registers a key it does not sign requests with.
  auto dave = crypto::ed25519_generate();
  Call p = op("squid.create", {{"squidId", did_of(dave)}, {"proof", create_proof(dave)}, {"name", "dave"}});
  ASSERT_EQ(p.http_status, 200) << p.body;
  EXPECT_EQ(p.envelope["data"]["identity"]["squidId"], did_of(dave));
  EXPECT_EQ(p.envelope["data"]["identity"]["custody"], "BYOK");
  EXPECT_FALSE(p.envelope["data"]["identity"].contains("custodian"));
  auto erin = crypto::ed25519_generate();
  Call stale = op("squid.create", {{"squidId", did_of(erin)}, {"proof", create_proof(erin, now_ms() - 301'000)}, {"name", "erin"}});
  EXPECT_EQ(stale.http_status, 401);
  EXPECT_EQ(stale.envelope["code"], "SIGNATURE_INVALID");
  Call wrong = op("squid.create", {{"squidId", did_of(erin)}, {"proof", create_proof(dave)}, {"name", "erin"}});
  EXPECT_EQ(wrong.http_status, 401) << "a proof by another key";
  Json forged = create_proof(erin);
  forged["nonce"] = crypto::new_locksig_nonce();
  Call bad = op("squid.create", {{"squidId", did_of(erin)}, {"proof", forged}, {"name", "erin"}});
  EXPECT_EQ(bad.http_status, 401);
  EXPECT_EQ(bad.envelope["code"], "SIGNATURE_INVALID");

  // A custodial root's subidentities: the node signs the delegation with the root's keystore key.
  const std::string root = bob["squidId"];
  Call sub = op("squid.sub.create", {{"parentId", root}, {"custodial", true}, {"type", "AID"}, {"name", "anon"}});
  ASSERT_EQ(sub.http_status, 200) << sub.body;
  Json s = sub.envelope["data"]["identity"];
  EXPECT_EQ(s["custody"], "CUSTODIAL");
  EXPECT_EQ(s["privacyLevel"], "ANONYMOUS");
  EXPECT_EQ(s["governanceType"], "SELF");
  std::string m = "anarq-squid-delegation-v1\n" + root + "\n" + s["squidId"].get<std::string>() + "\nAID";
  EXPECT_TRUE(crypto::locksig_verify(s["delegation"], m).ok()) << "the stored delegation verifies with any Ed25519 library";
  EXPECT_EQ(s["delegation"]["pub"], root);
  auto byok_sub = crypto::ed25519_generate();
  Call unproven = op("squid.sub.create", {{"parentId", root}, {"squidId", did_of(byok_sub)}, {"type", "CONSENTIDA"}, {"name", "kid"}});
  EXPECT_EQ(unproven.http_status, 400) << "no root claims a DID whose key did not consent";
  Call stolen = op("squid.sub.create", {{"parentId", root}, {"squidId", did_of(byok_sub)}, {"type", "CONSENTIDA"},
                                        {"name", "kid"}, {"subProof", sub_proof(crypto::ed25519_generate(), root, "CONSENTIDA")}});
  EXPECT_EQ(stolen.http_status, 401);
  Call b = op("squid.sub.create", {{"parentId", root}, {"squidId", did_of(byok_sub)}, {"type", "CONSENTIDA"}, {"name", "kid"},
                                   {"subProof", sub_proof(byok_sub, root, "CONSENTIDA")}});
  ASSERT_EQ(b.http_status, 200) << b.body;
  EXPECT_EQ(b.envelope["data"]["identity"]["privacyLevel"], "PRIVATE");
  EXPECT_EQ(b.envelope["data"]["identity"]["governanceType"], "PARENT");
  EXPECT_EQ(b.envelope["data"]["identity"]["kyc"]["required"], false);
  // Only custodial roots get node-generated subidentity keys.
  create_root(alice_);
  auto refused = send(alice_, "POST", "/squid/v1/identities/" + did_of(alice_) + "/subidentities",
                      Json{{"custodial", true}, {"type", "DAO"}, {"name", "d"}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  // And a stranger does not create subidentities of someone else's root.
  auto stranger = send(mallory_, "POST", "/squid/v1/identities/" + root + "/subidentities",
                       Json{{"custodial", true}, {"type", "DAO"}, {"name", "d"}});
  EXPECT_EQ(stranger.status, 403) << stranger.body;
}

TEST_F(SquidHttpTest, SubidentitiesAreDelegatedLimitedAndActWithXSubid) {
  const std::string root = did_of(alice_);
  create_root(alice_);
  auto sub = crypto::ed25519_generate();
  const std::string sub_did = did_of(sub);

  // A delegation that is not the root's over exactly (root, sub, type) is refused.
  auto forged = create_sub(alice_, sub, "DAO", delegation(mallory_, sub_did, "DAO"));
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(body_of(forged)["code"], "SIGNATURE_INVALID");
  auto other_type = create_sub(alice_, sub, "DAO", delegation(alice_, sub_did, "ENTERPRISE"));
  EXPECT_EQ(other_type.status, 401);
  EXPECT_EQ(body_of(other_type)["code"], "SIGNATURE_INVALID");
  Json tampered = delegation(alice_, sub_did, "DAO");
  tampered["ts"] = tampered["ts"].get<int64_t>() + 1;
  EXPECT_EQ(create_sub(alice_, sub, "DAO", tampered).status, 401);

  auto ok = create_sub(alice_, sub, "DAO", delegation(alice_, sub_did, "DAO"), "my-dao");
  ASSERT_EQ(ok.status, 200) << ok.body;
  Json s = body_of(ok)["data"]["identity"];
  EXPECT_EQ(body_of(ok)["code"], "SUBIDENTITY_CREATED");
  EXPECT_EQ(s["squidId"], sub_did);
  EXPECT_EQ(s["type"], "DAO");
  EXPECT_EQ(s["parentId"], root);
  EXPECT_EQ(s["rootId"], root);
  EXPECT_EQ(s["depth"], 1);
  EXPECT_EQ(s["path"], Json::array({root, sub_did}));
  EXPECT_EQ(s["reputation"], 80) << "floor(0.8 x 100)";
  EXPECT_EQ(s["governanceType"], "DAO");
  EXPECT_EQ(s["privacyLevel"], "PUBLIC");
  EXPECT_EQ(s["kyc"]["required"], true);
  EXPECT_EQ(s["verificationLevel"], "UNVERIFIED");
  EXPECT_EQ(s["delegation"]["pub"], root);
  Json ev = history("q.squid.sub.created.v1");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["event"]["payload"]["parentId"], root);
  EXPECT_EQ(ev[0]["event"]["payload"]["identity"]["squidId"], sub_did);
  EXPECT_EQ(create_sub(alice_, sub, "DAO", delegation(alice_, sub_did, "DAO")).status, 409) << "registered once";

  // The subidentity signs its own requests with x-subid.
  auto ctx = send(&sub, "GET", "/squid/v1/context?includeSubidentities=true", "", root);
  ASSERT_EQ(ctx.status, 200) << ctx.body;
  Json c = body_of(ctx)["data"];
  EXPECT_EQ(c["activeIdentity"]["squidId"], root);
  EXPECT_EQ(c["activeIdentity"]["subId"], sub_did);
  EXPECT_EQ(c["activeIdentity"]["type"], "DAO");
  EXPECT_EQ(c["identity"]["squidId"], sub_did);
  EXPECT_THAT(c["permissions"], Contains("dao.vote"));
  EXPECT_EQ(c["session"]["transport"], "http");
  EXPECT_EQ(c["session"]["signed"], true);
  // In qlock a subidentity owns its own keys and leases, never its root's.
  auto root_key = send(alice_, "POST", "/qlock/v1/keys", Json{{"purpose", "ENCRYPTION"}});
  ASSERT_EQ(root_key.status, 200) << root_key.body;
  std::string root_key_id = body_of(root_key)["data"]["key"]["keyId"];
  EXPECT_EQ(send(&sub, "GET", "/qlock/v1/keys/" + root_key_id, "", root).status, 404);
  EXPECT_EQ(send(&sub, "POST", "/qlock/v1/keys/" + root_key_id + "/revoke", "{}", root).status, 404);
  auto sub_key = send(&sub, "POST", "/qlock/v1/keys", std::string(R"({"purpose":"SIGNING"})"), root);
  ASSERT_EQ(sub_key.status, 200) << sub_key.body;
  EXPECT_EQ(body_of(sub_key)["data"]["key"]["owner"], sub_did);
  // ... but not as a subidentity of another root.
  auto bob = crypto::ed25519_generate();
  create_root(bob);
  auto foreign = send(&sub, "GET", "/squid/v1/context", "", did_of(bob));
  EXPECT_EQ(foreign.status, 401);
  EXPECT_EQ(body_of(foreign)["code"], "SQUID_IDENTITY_INVALID");
  // A subidentity has no subidentities of its own.
  auto grand = crypto::ed25519_generate();
  auto nested = send(sub, "POST", "/squid/v1/identities/" + sub_did + "/subidentities",
                     Json{{"squidId", did_of(grand)}, {"type", "AID"}, {"name", "g"}, {"delegation", delegation(sub, did_of(grand), "AID")}},
                     root);
  EXPECT_EQ(nested.status, 422) << nested.body;
  EXPECT_EQ(body_of(nested)["code"], "SQUID_NOT_A_ROOT");

  // Ten live subidentities per root; the eleventh is refused.
  for (int i = 1; i < 10; ++i) {
    auto k = crypto::ed25519_generate();
    auto r = create_sub(alice_, k, "AID", delegation(alice_, did_of(k), "AID"), "aid" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << i << r.body;
  }
  auto eleventh_key = crypto::ed25519_generate();
  auto eleventh = create_sub(alice_, eleventh_key, "AID", delegation(alice_, did_of(eleventh_key), "AID"));
  EXPECT_EQ(eleventh.status, 409) << eleventh.body;
  EXPECT_EQ(body_of(eleventh)["code"], "SQUID_SUBIDENTITY_LIMIT");
  auto children = body_of(send(alice_, "GET", "/squid/v1/identities/" + root + "?includeChildren=true", Json()));
  EXPECT_EQ(children["data"]["children"].size(), 10u) << "the root sees its ANONYMOUS AIDs too";
  auto anon = body_of(send(nullptr, "GET", "/squid/v1/identities/" + root + "?includeChildren=true"));
  EXPECT_EQ(anon["data"]["children"].size(), 1u) << "strangers see only the PUBLIC DAO";

  // A root with live subidentities is not deleted.
  auto del_root = send(alice_, "DELETE", "/squid/v1/identities/" + root, Json());
  EXPECT_EQ(del_root.status, 409);
  EXPECT_EQ(body_of(del_root)["code"], "SQUID_HAS_CHILDREN");
  // Deleting the subidentity: its signed requests are refused at once.
  EXPECT_EQ(send(mallory_, "DELETE", "/squid/v1/identities/" + sub_did, Json()).status, 403);
  auto del = send(alice_, "DELETE", "/squid/v1/identities/" + sub_did, Json());
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(body_of(del)["data"]["identity"]["status"], "DELETED");
  auto after = send(&sub, "GET", "/squid/v1/context", "", root);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(body_of(after)["code"], "SQUID_IDENTITY_INVALID");
  EXPECT_EQ(send(nullptr, "GET", "/squid/v1/identities/" + sub_did).status, 404);
  Call seen = op("squid.get", {{"squidId", sub_did}});
  ASSERT_EQ(seen.http_status, 200) << "the operator (the x-subid check) sees deleted records";
  EXPECT_EQ(seen.envelope["data"]["identity"]["status"], "DELETED");
  EXPECT_EQ(seen.envelope["data"]["identity"]["rootId"], root);
  // The freed slot takes a new subidentity.
  auto twelfth = create_sub(alice_, eleventh_key, "AID", delegation(alice_, did_of(eleventh_key), "AID"));
  EXPECT_EQ(twelfth.status, 200) << twelfth.body;
}

TEST_F(SquidHttpTest, ReputationIsChangedByTheNodeOnlyClampedAndEvented) {
  const std::string did = did_of(alice_);
  create_root(alice_);
  const std::string target = "/squid/v1/identities/" + did + "/reputation";
  auto self = send(alice_, "POST", target, Json{{"delta", 50}, {"reason", "I am great"}});
  EXPECT_EQ(self.status, 403);
  EXPECT_EQ(body_of(self)["code"], "QONSENT_DENIED");
  auto stranger = send(mallory_, "POST", target, Json{{"delta", -50}, {"reason", "spite"}});
  EXPECT_EQ(stranger.status, 403);
  Call too_big = op("squid.reputation.update", {{"squidId", did}, {"delta", 2000}, {"reason", "x"}});
  EXPECT_EQ(too_big.http_status, 400);

  Call up = op("squid.reputation.update", {{"squidId", did}, {"delta", 1000}, {"reason", "verified trades"}, {"module", "qmarket"}});
  ASSERT_EQ(up.http_status, 200) << up.body;
  EXPECT_EQ(up.envelope["data"]["previousScore"], 100);
  EXPECT_EQ(up.envelope["data"]["score"], 1000) << "clamped";
  EXPECT_EQ(up.envelope["data"]["level"], "AUTHORITY");
  Call down = op("squid.reputation.update", {{"squidId", did}, {"delta", -450}, {"reason", "dispute lost"}});
  ASSERT_EQ(down.http_status, 200) << down.body;
  EXPECT_EQ(down.envelope["data"]["score"], 550);
  auto rep = send(nullptr, "GET", target);
  ASSERT_EQ(rep.status, 200) << rep.body;
  EXPECT_EQ(body_of(rep)["data"]["score"], 550);
  EXPECT_EQ(body_of(rep)["data"]["level"], "TRUSTED");

  Json events = history("q.squid.>");
  std::vector<Json> updates;
  for (const auto& e : events)
    if (e["event"]["topic"] == "q.squid.reputation.updated.v1") updates.push_back(e["event"]["payload"]);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]["squidId"], did);
  EXPECT_EQ(updates[0]["previousScore"], 100);
  EXPECT_EQ(updates[0]["newScore"], 1000);
  EXPECT_EQ(updates[0]["delta"], 1000);
  EXPECT_EQ(updates[0]["module"], "qmarket");
  EXPECT_EQ(updates[0]["level"], "AUTHORITY");
  EXPECT_EQ(updates[1]["module"], "operator");
  EXPECT_EQ(updates[1]["newScore"], 550);
  // Subidentities created now inherit 80% of the current score.
  auto sub = crypto::ed25519_generate();
  auto r = create_sub(alice_, sub, "ENTERPRISE", delegation(alice_, did_of(sub), "ENTERPRISE"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["data"]["identity"]["reputation"], 440);
  EXPECT_EQ(body_of(r)["data"]["identity"]["privacyLevel"], "DAO_ONLY");
}

TEST_F(SquidHttpTest, VerifyIdentityChecksRealSignatures) {
  const std::string did = did_of(alice_);
  create_root(alice_);
  Json lock = *crypto::locksig_sign(alice_, "hello world", now_ms(), crypto::new_locksig_nonce());
  auto verify = [&](const std::string& squid, const std::string& message, const Json& sig) {
    return send(nullptr, "POST", "/squid/v1/verify",
                dump_compact(Json{{"squidId", squid}, {"message", message}, {"signature", sig}}));
  };
  auto good = verify(did, "hello world", lock);
  ASSERT_EQ(good.status, 200) << good.body;
  Json g = body_of(good)["data"];
  EXPECT_EQ(g["verified"], true);
  EXPECT_EQ(g["registered"], true);
  EXPECT_EQ(g["identity"]["squidId"], did);
  EXPECT_EQ(g["reputation"], 100);
  EXPECT_EQ(g["reputationLevel"], "NOVICE");
  EXPECT_EQ(g["verificationLevel"], "UNVERIFIED");
  EXPECT_EQ(g["format"], "LockSig");
  EXPECT_EQ(body_of(verify(did, "hello world!", lock))["data"]["verified"], false) << "altered message";
  EXPECT_EQ(body_of(verify(did_of(mallory_), "hello world", lock))["data"]["verified"], false) << "another claimed signer";
  std::string bare = ipld::base64_encode(crypto::ed25519_sign(alice_, "raw"), /*url=*/true);
  EXPECT_EQ(body_of(verify(did, "raw", bare))["data"]["verified"], true);
  EXPECT_EQ(body_of(verify(did, "raw!", bare))["data"]["verified"], false);
  // Any did:key, registered or not.
  Json m = *crypto::locksig_sign(mallory_, "m", now_ms(), crypto::new_locksig_nonce());
  Json u = body_of(verify(did_of(mallory_), "m", m))["data"];
  EXPECT_EQ(u["verified"], true);
  EXPECT_EQ(u["registered"], false);
  EXPECT_TRUE(u["identity"].is_null());
  EXPECT_TRUE(u["reputation"].is_null());
  EXPECT_EQ(verify(did, "raw", "not-a-signature").status, 400);
  // Verification writes nothing.
  Json before = body_of(send(nullptr, "GET", "/squid/v1/identities/" + did))["data"]["identity"];
  EXPECT_EQ(before["lastUsed"], g["identity"]["lastUsed"]);
  EXPECT_EQ(before["updatedAt"], g["identity"]["updatedAt"]);
}

TEST_F(SquidHttpTest, PrivateIdentitiesAreHiddenFromEveryoneButTheirOwnersAndTheOperator) {
  const std::string did = did_of(alice_);
  create_root(alice_, {{"privacyLevel", "PRIVATE"}, {"name", "secret"}});
  const std::string target = "/squid/v1/identities/" + did;
  auto anon = send(nullptr, "GET", target);
  EXPECT_EQ(anon.status, 404);
  EXPECT_EQ(body_of(anon)["code"], "NOT_FOUND");
  EXPECT_EQ(send(mallory_, "GET", target, Json()).status, 404) << "another identity";
  EXPECT_EQ(send(nullptr, "GET", target + "/reputation").status, 404);
  EXPECT_EQ(send(alice_, "GET", target, Json()).status, 200) << "the identity itself";
  EXPECT_EQ(op("squid.get", {{"squidId", did}}).http_status, 200) << "the operator";
  Json ev = history("q.squid.created.v1");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0]["event"]["payload"]["identity"].contains("name")) << "the public log carries no private name";
  // Made PUBLIC, anyone reads it; deleted, only the operator does.
  ASSERT_EQ(send(alice_, "PATCH", target, Json{{"privacyLevel", "PUBLIC"}}).status, 200);
  EXPECT_EQ(send(nullptr, "GET", target).status, 200);
  ASSERT_EQ(send(alice_, "DELETE", target, Json()).status, 200);
  EXPECT_EQ(send(nullptr, "GET", target).status, 404);
  EXPECT_EQ(send(alice_, "GET", target, Json()).status, 404);
  EXPECT_EQ(send(alice_, "DELETE", target, Json()).status, 404);
  EXPECT_EQ(op("squid.get", {{"squidId", did}}).envelope["data"]["identity"]["status"], "DELETED");
  EXPECT_EQ(send(alice_, "POST", "/squid/v1/identities", Json{{"name", "again"}}).status, 409) << "a DID registers once";
}

TEST(SquidRestartTest, IdentitiesSurviveARestart) {
  std::string dir = temp_dir("anarq-squid");
  Config config;
  config.data_dir = dir;
  config.log_level = "off";
  auto key = crypto::ed25519_generate();
  std::string custodial;
  {
    Node node(config);
    ASSERT_TRUE(node.start().ok());
    Call a = node.call("squid.create", {{"squidId", did_of(key)}, {"proof", create_proof(key)}, {"name", "kept"}});
    ASSERT_EQ(a.http_status, 200) << a.body;
    Call b = node.call("squid.create", {{"custodial", true}, {"name", "held"}, {"privacyLevel", "PRIVATE"}});
    ASSERT_EQ(b.http_status, 200) << b.body;
    custodial = b.envelope["data"]["identity"]["squidId"];
  }
  {
    Node node(config);
    ASSERT_TRUE(node.start().ok());
    Call a = node.call("squid.get", {{"squidId", did_of(key)}});
    ASSERT_EQ(a.http_status, 200) << a.body;
    EXPECT_EQ(a.envelope["data"]["identity"]["name"], "kept");
    Call b = node.call("squid.get", {{"squidId", custodial}});
    ASSERT_EQ(b.http_status, 200) << b.body;
    EXPECT_EQ(b.envelope["data"]["identity"]["privacyLevel"], "PRIVATE");
    // The custodial key survived too: the node still signs its delegations.
    Call s = node.call("squid.sub.create", {{"parentId", custodial}, {"custodial", true}, {"type", "DAO"}, {"name", "later"}});
    ASSERT_EQ(s.http_status, 200) << s.body;
    EXPECT_EQ(s.envelope["data"]["identity"]["delegation"]["pub"], custodial);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace anarq::test
