// Qlock over real HTTP (and POST /mcp): keys with rotation and revocation,
// encryption that refuses tampering, sealed boxes any did:key opens, LockSig
// signatures any Ed25519 library verifies, XMSS and hybrid signatures, time
// locks, and leases with fencing tokens across restarts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/json.h"
#include "crypto/box.h"
#include "crypto/locksig.h"
#include "crypto/node_key.h"
#include "core/clock.h"
#include "ipld/multibase.h"
#include "tests/http_client.h"
#include "tests/signing.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

Json body_of(const RawResponse& r) {
  auto j = parse_json(r.body);
  return j.ok() ? *j : Json();
}

// One identity generated outside the node, speaking signed HTTP.
struct Client {
  crypto::Ed25519KeyPair key = crypto::ed25519_generate();
  std::string did = crypto::did_key_from_ed25519(key.public_key());
  RawResponse post(uint16_t port, const std::string& target, const Json& body) const {
    std::string text = body.dump();
    return request(port, "POST", target, sign_request(key, "POST", target, text), text);
  }
  RawResponse get(uint16_t port, const std::string& target) const {
    return request(port, "GET", target, sign_request(key, "GET", target, ""), "");
  }
};

class QlockHttpTest : public ::testing::Test {
 protected:
  // Keys are durable state: the identities register first (BYOK, signed).
  void SetUp() override {
    ASSERT_EQ(register_identity(port(), alice_.key, "alice"), 200);
    ASSERT_EQ(register_identity(port(), bob_.key, "bob"), 200);
  }
  Json ok(const RawResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return body_of(r)["data"];
  }
  ServedNode node_;
  Client alice_, bob_;
  uint16_t port() { return node_.port(); }
};

TEST_F(QlockHttpTest, KeysAreForRegisteredIdentitiesOnly) {
  Client throwaway;
  auto made = throwaway.post(port(), "/qlock/v1/keys", {{"purpose", "SIGNING"}});
  EXPECT_EQ(made.status, 401) << made.body;
  EXPECT_EQ(body_of(made)["code"], "SQUID_IDENTITY_INVALID");
  // Nor a default key on first use: that is a key too, and every use an audit event.
  auto sign = throwaway.post(port(), "/qlock/v1/sign", {{"data", "hello"}});
  EXPECT_EQ(sign.status, 401) << sign.body;
  auto keys = node_.node().db().query("SELECT COUNT(*) FROM keystore_keys WHERE owner = ?", {throwaway.did});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->rows[0].i64(0), 0);
  // A sealed box to any did:key needs no key of the sender's.
  auto box = throwaway.post(port(), "/qlock/v1/encrypt", {{"data", "x"}, {"recipient", alice_.did}});
  EXPECT_LT(box.status, 300) << box.body;
}

TEST_F(QlockHttpTest, IdentityToolsRefuseUnsignedCalls) {
  auto r = request(port(), "POST", "/qlock/v1/encrypt", {{"content-type", "application/json"}}, R"({"data":"x"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body_of(r)["code"], "SQUID_IDENTITY_INVALID");
  // qlock.verify is public: no identity, no key held here.
  auto v = request(port(), "POST", "/qlock/v1/verify", {{"content-type", "application/json"}},
                   R"({"data":"x","signature":{"alg":"Ed25519","pub":"did:key:z6Mk","sig":"AA","ts":1,"nonce":"short"}})");
  EXPECT_EQ(v.status, 400);
}

TEST_F(QlockHttpTest, TheNodeKeyIsOutOfEveryCallersReach) {
  // It signs events and checkpoints; not even the operator makes it sign anything else.
  EXPECT_EQ(node_.node().call("qlock.sign", {{"data", "forged event"}, {"keyId", "node"}}).http_status, 404);
  EXPECT_EQ(node_.node().call("qlock.key.rotate", {{"keyId", "node"}}).http_status, 404);
  EXPECT_EQ(node_.node().call("qlock.key.revoke", {{"keyId", "node"}}).http_status, 404);
  EXPECT_EQ(node_.node().keystore().get("node")->status, KeyStatus::kActive);
}

TEST_F(QlockHttpTest, RotationKeepsOldDataReadableUntilRevokedAndRewrapMovesIt) {
  Json key = ok(alice_.post(port(), "/qlock/v1/keys", {{"purpose", "ENCRYPTION"}, {"label", "invoices"}}))["key"];
  const std::string id = key["keyId"];
  EXPECT_EQ(key["version"], 1);
  EXPECT_EQ(key["rotateAfter"], "P90D");
  EXPECT_EQ(key["owner"], alice_.did);
  EXPECT_FALSE(key.contains("material"));
  Json c1 = ok(alice_.post(port(), "/qlock/v1/encrypt", {{"data", "on v1"}, {"keyId", id}}))["ciphertext"];
  EXPECT_EQ(c1["kid"], id);
  EXPECT_EQ(c1["kv"], 1) << "the ciphertext names key id and version";

  Json r = ok(alice_.post(port(), "/qlock/v1/keys/" + id + "/rotate", Json::object()))["key"];
  EXPECT_EQ(r["version"], 2);
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c1}}))["data"], "on v1") << "v1 still decrypts";
  Json c2 = ok(alice_.post(port(), "/qlock/v1/encrypt", {{"data", "on v2"}, {"keyId", id}}))["ciphertext"];
  EXPECT_EQ(c2["kv"], 2) << "new encryptions use v2";
  Json versions = ok(alice_.get(port(), "/qlock/v1/keys/" + id))["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["status"], "ROTATING");
  EXPECT_EQ(versions[1]["status"], "ACTIVE");

  Json rewrapped = ok(alice_.post(port(), "/qlock/v1/rewrap", {{"ciphertext", c1}}));
  EXPECT_EQ(rewrapped["fromVersion"], 1);
  EXPECT_EQ(rewrapped["ciphertext"]["kv"], 2);

  ok(alice_.post(port(), "/qlock/v1/keys/" + id + "/revoke", {{"version", 1}}));
  auto refused = alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c1}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(body_of(refused)["code"], "QLOCK_KEY_REVOKED") << "v1 data is refused clearly";
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", rewrapped["ciphertext"]}}))["data"], "on v1");
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c2}}))["data"], "on v2");

  // Not Bob's key: its existence is not disclosed.
  auto other = bob_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c2}});
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(bob_.get(port(), "/qlock/v1/keys/" + id).status, 404);

  // Every key operation is audited in the log.
  Call h = node_.node().call("events.history", {{"subject", "q.qlock.key.>"}, {"limit", 100}});
  std::map<std::string, int> topics;
  for (const auto& m : h.envelope["data"]["events"]) topics[m["event"]["topic"]]++;
  EXPECT_EQ(topics["q.qlock.key.created.v1"], 2) << "alice's key, and the node's own at first start";
  EXPECT_EQ(topics["q.qlock.key.rotated.v1"], 1);
  EXPECT_EQ(topics["q.qlock.key.revoked.v1"], 1);
  EXPECT_GE(topics["q.qlock.key.used.v1"], 6);
}

TEST_F(QlockHttpTest, TamperedCiphertextIsAClearErrorNeverGarbage) {
  Json c = ok(alice_.post(port(), "/qlock/v1/encrypt", {{"data", "secret payload"}}))["ciphertext"];
  std::string ct = *ipld::base64_decode(c["ct"].get<std::string>(), true);
  for (size_t i : {size_t{0}, ct.size() / 2, ct.size() - 1}) {
    std::string t = ct;
    t[i] ^= 0x20;
    Json bad = c;
    bad["ct"] = ipld::base64_encode(t, true);
    auto r = alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", bad}});
    EXPECT_EQ(r.status, 400) << i;
    EXPECT_EQ(body_of(r)["code"], "QLOCK_DECRYPTION_FAILED");
  }
  Json bad = c;
  bad["enc"] = "base64";  // the header is authenticated too
  EXPECT_EQ(body_of(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", bad}}))["code"], "QLOCK_DECRYPTION_FAILED");
  bad = c;
  bad["nonce"] = "AAAA";
  EXPECT_EQ(body_of(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", bad}}))["code"], "QLOCK_DECRYPTION_FAILED");
  bad = c;
  bad["v"] = 9;
  EXPECT_EQ(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", bad}}).status, 400);
  EXPECT_EQ(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", "text"}}).status, 400);
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}}))["data"], "secret payload");
  // Bytes that are not text come back as base64.
  Json bin = ok(alice_.post(port(), "/qlock/v1/encrypt", {{"data", "/wD+"}, {"encoding", "base64"}}))["ciphertext"];
  Json out = ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", bin}}));
  EXPECT_EQ(out["encoding"], "base64");
  EXPECT_EQ(*ipld::base64_decode(out["data"].get<std::string>(), false), std::string("\xff\x00\xfe", 3));
}

TEST_F(QlockHttpTest, SealedBoxToAnyDidKeyOpensOnlyWithItsKey) {
  Json c = ok(alice_.post(port(), "/qlock/v1/encrypt", {{"data", "for bob"}, {"recipient", bob_.did}}))["ciphertext"];
  EXPECT_EQ(c["to"], bob_.did);
  std::string ct = *ipld::base64_decode(c["ct"].get<std::string>(), true);
  EXPECT_EQ(*crypto::sealed_box_open(bob_.key, ct), "for bob") << "bob opens it locally, the node never held his key";
  EXPECT_EQ(crypto::sealed_box_open(alice_.key, ct).status().code(), "QLOCK_DECRYPTION_FAILED");
  auto here = bob_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}});
  EXPECT_EQ(here.status, 400) << "without a keyId held here, the node explains how to open it";
}

TEST_F(QlockHttpTest, ASealedBoxToACustodialIdentityOpensThroughItsCustodianOnly) {
  // alice is the custodian of a custodial identity; the node holds its key.
  Json id = ok(alice_.post(port(), "/squid/v1/identities", {{"custodial", true}, {"name", "ward"}}))["identity"];
  const std::string ward = id["squidId"], ward_key = id["keyId"];
  // bob seals a box to it, as to any did:key.
  Json c = ok(bob_.post(port(), "/qlock/v1/encrypt", {{"data", "for the ward"}, {"recipient", ward}}))["ciphertext"];
  EXPECT_EQ(c["to"], ward);
  // Its custodian opens it through qlock, with or without naming the key.
  Json opened = ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}}));
  EXPECT_EQ(opened["data"], "for the ward");
  EXPECT_EQ(opened["keyId"], ward_key);
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}, {"keyId", ward_key}}))["data"], "for the ward");
  // Nobody else: the sender, a stranger naming the key (not disclosed), the
  // custodian naming another of its keys.
  auto by_bob = bob_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}});
  EXPECT_EQ(by_bob.status, 400) << by_bob.body;
  EXPECT_EQ(bob_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}, {"keyId", ward_key}}).status, 404);
  Json other = ok(alice_.post(port(), "/qlock/v1/keys", {{"purpose", "SIGNING"}}))["key"];
  EXPECT_EQ(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}, {"keyId", other["keyId"]}}).status, 403);
  // Each opening is an audited use of the identity's key, by the custodian.
  Call h = node_.node().call("events.history", {{"subject", "q.qlock.key.used.v1"}, {"limit", 100}});
  int uses = 0;
  for (const auto& e : h.envelope["data"]["events"]) {
    const Json& p = e["event"]["payload"];
    if (p["keyId"] == ward_key && p["operation"] == "decrypt" && p["actor"] == alice_.did) ++uses;
  }
  EXPECT_EQ(uses, 2);
  // A deleted identity's key is revoked: its boxes no longer open.
  std::string target = "/squid/v1/identities/" + ward;
  ASSERT_EQ(request(port(), "DELETE", target, sign_request(alice_.key, "DELETE", target, ""), "").status, 200);
  auto after = alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", c}});
  EXPECT_EQ(after.status, 403) << after.body;
  EXPECT_EQ(body_of(after)["code"], "QLOCK_KEY_REVOKED");
}

TEST_F(QlockHttpTest, SignaturesVerifyWithPlainLibsodiumAndOutsideSignaturesVerifyHere) {
  Json s = ok(alice_.post(port(), "/qlock/v1/sign", {{"data", "I agree"}}));
  Json sig = s["signature"];
  EXPECT_EQ(sig["alg"], "Ed25519");
  // Any Ed25519 implementation: the did:key's public key over the documented bytes.
  auto pub = crypto::ed25519_from_did_key(sig["pub"].get<std::string>());
  ASSERT_TRUE(pub.ok());
  std::string bytes = crypto::locksig_message(sig["ts"].get<int64_t>(), sig["nonce"].get<std::string>(), "I agree");
  std::string raw = *ipld::base64_decode(sig["sig"].get<std::string>(), true);
  EXPECT_EQ(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(raw.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                        reinterpret_cast<const unsigned char*>(pub->data())),
            0);
  auto verify = [&](const Json& sg, const std::string& data) {
    return request(port(), "POST", "/qlock/v1/verify", {{"content-type", "application/json"}},
                   Json{{"data", data}, {"signature", sg}}.dump());
  };
  EXPECT_TRUE(body_of(verify(sig, "I agree"))["data"]["valid"].get<bool>());
  EXPECT_FALSE(body_of(verify(sig, "I agreE"))["data"]["valid"].get<bool>());
  // A LockSig made outside the node by the RFC 8032 test-1 key verifies here.
  std::string seed = "\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec\x2c\xc4\x44\x49\xc5\x69\x7b\x32\x69\x19\x70"
                     "\x3b\xac\x03\x1c\xae\x7f\x60";
  auto rfc = crypto::ed25519_from_seed(seed);
  ASSERT_TRUE(rfc.ok());
  Json outside = *crypto::locksig_sign(*rfc, "outside", 1796000000000, "abcdefghijklmnop");
  EXPECT_EQ(outside["pub"], "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw");
  Json v = body_of(verify(outside, "outside"))["data"];
  EXPECT_TRUE(v["valid"].get<bool>());
  EXPECT_EQ(v["signer"], outside["pub"]);
  outside["ts"] = 1796000000001;
  EXPECT_FALSE(body_of(verify(outside, "outside"))["data"]["valid"].get<bool>()) << "ts is covered";
}

TEST_F(QlockHttpTest, XmssAndHybridSignaturesRoundTripAndFailOnAnyAlteredByte) {
  Json xk = ok(alice_.post(port(), "/qlock/v1/keys", {{"purpose", "SIGNING"}, {"algorithm", "XMSS-SHA2_10_256"}}))["key"];
  EXPECT_EQ(xk["algorithm"], "XMSS-SHA2_10_256");
  auto verify = [&](const Json& sg, const std::string& data) {
    return body_of(request(port(), "POST", "/qlock/v1/verify", {{"content-type", "application/json"}},
                           Json{{"data", data}, {"signature", sg}}.dump()));
  };
  Json x = ok(alice_.post(port(), "/qlock/v1/sign",
                          {{"data", "charter"}, {"algorithm", "XMSS-SHA2_10_256"}, {"keyId", xk["keyId"]}}));
  EXPECT_EQ(x["leavesLeft"], 1023);
  EXPECT_TRUE(verify(x["signature"], "charter")["data"]["valid"].get<bool>());
  EXPECT_FALSE(verify(x["signature"], "Charter")["data"]["valid"].get<bool>());
  std::string raw = *ipld::base64_decode(x["signature"]["sig"].get<std::string>(), true);
  for (size_t i : {size_t{0}, size_t{37}, size_t{1200}, raw.size() - 1}) {
    std::string t = raw;
    t[i] ^= 0x01;
    Json sg = x["signature"];
    sg["sig"] = ipld::base64_encode(t, true);
    EXPECT_FALSE(verify(sg, "charter")["data"]["valid"].get<bool>()) << i;
  }

  Json h = ok(alice_.post(port(), "/qlock/v1/sign",
                          {{"data", "charter"}, {"algorithm", "Ed25519+XMSS-SHA2_10_256"}, {"pqKeyId", xk["keyId"]}}));
  Json hs = h["signature"];
  EXPECT_EQ(hs["alg"], "Ed25519+XMSS-SHA2_10_256");
  EXPECT_EQ(hs["pub"].get<std::string>().rfind("did:key:z6Mk", 0), 0u);
  EXPECT_EQ(h["leavesLeft"], 1022) << "the leaf spent by the first signature stays spent";
  EXPECT_TRUE(verify(hs, "charter")["data"]["valid"].get<bool>());
  for (const char* part : {"classical", "pq"}) {
    Json sg = hs;
    Json& field = std::string(part) == "pq" ? sg["pq"]["sig"] : sg["sig"];
    std::string t = *ipld::base64_decode(field.get<std::string>(), true);
    t[5] ^= 0x01;
    field = ipld::base64_encode(t, true);
    EXPECT_FALSE(verify(sg, "charter")["data"]["valid"].get<bool>()) << part << ": both must verify";
  }
  Json stripped = hs;
  stripped.erase("pq");
  EXPECT_EQ(verify(stripped, "charter")["code"], "VALIDATION_ERROR") << "a hybrid without its pq half is malformed";
}

TEST_F(QlockHttpTest, TimelockRefusesBeforeNotBeforeAndItsTimeCannotBeMoved) {
  const std::string future = format_rfc3339_ms(SystemClock::instance().now_ms() + 3'600'000);
  const std::string past = format_rfc3339_ms(SystemClock::instance().now_ms() - 1'000);
  Json locked = ok(alice_.post(port(), "/qlock/v1/timelock", {{"data", "sealed bid"}, {"notBefore", future}}))["ciphertext"];
  EXPECT_EQ(locked["nbf"], future);
  auto r = alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", locked}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(body_of(r)["code"], "QLOCK_TIMELOCKED");
  EXPECT_EQ(body_of(r)["details"]["notBefore"], future);
  Json moved = locked;
  moved["nbf"] = past;
  EXPECT_EQ(body_of(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", moved}}))["code"], "QLOCK_DECRYPTION_FAILED");
  Json stripped = locked;
  stripped.erase("nbf");
  EXPECT_EQ(body_of(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", stripped}}))["code"], "QLOCK_DECRYPTION_FAILED");
  Json open = ok(alice_.post(port(), "/qlock/v1/timelock", {{"data", "opened"}, {"notBefore", past}}))["ciphertext"];
  EXPECT_EQ(ok(alice_.post(port(), "/qlock/v1/decrypt", {{"ciphertext", open}}))["data"], "opened");
}

TEST_F(QlockHttpTest, LockContentionBetweenTwoIdentities) {
  auto lock = [&](const Client& c, Json in) { return c.post(port(), "/qlock/v1/lock", in); };
  Json a = ok(lock(alice_, {{"action", "acquire"}, {"resource", "invoice:42"}, {"ttl", 60000}}));
  EXPECT_TRUE(a["held"].get<bool>());
  EXPECT_EQ(a["owner"], alice_.did);
  int64_t t1 = a["token"];
  auto busy = lock(bob_, {{"action", "acquire"}, {"resource", "invoice:42"}});
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(body_of(busy)["code"], "QLOCK_LOCK_UNAVAILABLE");
  EXPECT_EQ(busy.headers["retry-after"].empty(), false);
  auto steal = lock(bob_, {{"action", "release"}, {"resource", "invoice:42"}});
  EXPECT_EQ(steal.status, 401);
  EXPECT_EQ(body_of(steal)["code"], "QLOCK_AUTH_FAIL");
  EXPECT_EQ(body_of(lock(bob_, {{"action", "extend"}, {"resource", "invoice:42"}}))["code"], "QLOCK_AUTH_FAIL");
  Json ext = ok(lock(alice_, {{"action", "extend"}, {"resource", "invoice:42"}, {"ttl", 90000}, {"token", t1}}));
  EXPECT_EQ(ext["extensions"], 1);
  EXPECT_EQ(ext["token"], t1) << "extending keeps the token";
  EXPECT_EQ(body_of(lock(alice_, {{"action", "release"}, {"resource", "invoice:42"}, {"token", t1 + 1}}))["code"],
            "QLOCK_LOCK_TOKEN_MISMATCH");
  Json st = ok(lock(bob_, {{"action", "status"}, {"resource", "invoice:42"}}));
  EXPECT_TRUE(st["held"].get<bool>());

  // Bob waits; Alice releases from another thread; Bob gets it with a higher token.
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    lock(alice_, {{"action", "release"}, {"resource", "invoice:42"}, {"token", t1}});
  });
  auto waited = lock(bob_, {{"action", "acquire"}, {"resource", "invoice:42"}, {"waitMs", 10000}});
  releaser.join();
  Json b = ok(waited);
  EXPECT_EQ(b["owner"], bob_.did);
  EXPECT_GT(b["token"].get<int64_t>(), t1);
  auto timeout = lock(alice_, {{"action", "acquire"}, {"resource", "invoice:42"}, {"waitMs", 200}});
  EXPECT_EQ(timeout.status, 409);
  EXPECT_EQ(body_of(lock(alice_, {{"action", "release"}, {"resource", "free"}}))["code"], "QLOCK_LOCK_NOT_HELD");
  EXPECT_EQ(lock(alice_, {{"action", "acquire"}, {"resource", "x"}, {"ttl", 3600001}}).status, 400) << "max 1 h";

  Call h = node_.node().call("events.history", {{"subject", "q.qlock.lock.>"}, {"limit", 100}});
  std::map<std::string, int> topics;
  for (const auto& m : h.envelope["data"]["events"]) topics[m["event"]["topic"]]++;
  EXPECT_EQ(topics["q.qlock.lock.acquired.v1"], 2);
  EXPECT_EQ(topics["q.qlock.lock.extended.v1"], 1);
  EXPECT_EQ(topics["q.qlock.lock.released.v1"], 1);
  EXPECT_GE(topics["q.qlock.lock.failed.v1"], 5);
}

TEST(QlockRestartTest, KeysIdentitiesAndFencingTokensSurviveRestart) {
  const std::string dir = temp_dir("anarq-qlock-restart");
  Client alice;
  int64_t t1 = 0;
  Json ct;
  std::string node_did;
  {
    ServedNode n(Config{}, dir);
    node_did = n.node().operator_identity().squid_id;
    ASSERT_EQ(register_identity(n.port(), alice.key, "alice"), 200);
    auto a = alice.post(n.port(), "/qlock/v1/lock", {{"action", "acquire"}, {"resource", "job"}, {"ttl", 100}});
    ASSERT_EQ(a.status, 200) << a.body;
    t1 = body_of(a)["data"]["token"];
    ct = body_of(alice.post(n.port(), "/qlock/v1/encrypt", {{"data", "kept"}}))["data"]["ciphertext"];
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/node.key")) << "the node key lives in the keystore";
  {
    ServedNode n(Config{}, dir);
    EXPECT_EQ(n.node().operator_identity().squid_id, node_did) << "the node's identity survives";
    auto d = alice.post(n.port(), "/qlock/v1/decrypt", {{"ciphertext", ct}});
    EXPECT_EQ(body_of(d)["data"]["data"], "kept");
    // The lease lapsed (100 ms); the next token is still higher.
    int64_t t2 = 0;
    for (int i = 0; i < 50 && t2 == 0; ++i) {
      auto a = alice.post(n.port(), "/qlock/v1/lock", {{"action", "acquire"}, {"resource", "job"}, {"ttl", 1000}});
      if (a.status == 200) t2 = body_of(a)["data"]["token"];
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GT(t2, t1);
  }
  // Another environment's keys are refused: a dev data dir does not start as prod.
  {
    Config prod;
    prod.environment = "prod";
    ServedNode n(prod, dir, /*expect_start_failure=*/true);
    EXPECT_EQ(n.start_status().code(), "QLOCK_KEY_ENVIRONMENT") << n.start_status().to_string();
  }
  // Nor under another master key.
  {
    Config other;
    other.master_key = ipld::base64_encode(std::string(32, 'm'), false);
    ServedNode n(other, dir, /*expect_start_failure=*/true);
    EXPECT_EQ(n.start_status().code(), "SERVICE_UNAVAILABLE");
  }
  std::filesystem::remove_all(dir);
}

TEST(QlockLegacyKeyTest, ALegacyNodeKeyFileMovesIntoTheKeystore) {
  const std::string dir = temp_dir("anarq-qlock-legacy");
  auto legacy = crypto::ed25519_generate();
  ASSERT_TRUE(crypto::write_new_key_file(dir + "/node.key", legacy).ok());
  {
    ServedNode n(Config{}, dir);
    EXPECT_EQ(n.node().operator_identity().squid_id, crypto::did_key_from_ed25519(legacy.public_key()));
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/node.key"));
  {
    ServedNode n(Config{}, dir);
    EXPECT_EQ(n.node().operator_identity().squid_id, crypto::did_key_from_ed25519(legacy.public_key()));
  }
  std::filesystem::remove_all(dir);
}

TEST(QlockScheduleTest, TheScheduledJobRotatesKeysPastRotateAfter) {
  ::setenv("ANARQ_KEY_ROTATION_INTERVAL_MS", "100", 1);
  ServedNode n;
  ::unsetenv("ANARQ_KEY_ROTATION_INTERVAL_MS");
  Client alice;
  ASSERT_EQ(register_identity(n.port(), alice.key, "alice"), 200);
  auto made = alice.post(n.port(), "/qlock/v1/keys", {{"purpose", "ENCRYPTION"}, {"rotateAfter", "PT1S"}});
  ASSERT_EQ(made.status, 200) << made.body;
  std::string id = body_of(made)["data"]["key"]["keyId"];
  int version = 1;
  for (int i = 0; i < 100 && version == 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    version = body_of(alice.get(n.port(), "/qlock/v1/keys/" + id))["data"]["key"]["version"].get<int>();
  }
  EXPECT_GE(version, 2);
  Call h = n.node().call("events.history", {{"subject", "q.qlock.key.rotated.v1"}});
  ASSERT_FALSE(h.envelope["data"]["events"].empty());
  EXPECT_EQ(h.envelope["data"]["events"][0]["event"]["payload"]["trigger"], "scheduled");
}

TEST_F(QlockHttpTest, McpOverHttpCarriesTheSameSignedHeaders) {
  auto post = [&](const Json& msg, std::map<std::string, std::string> h) {
    std::string body = msg.dump();
    h.emplace("Content-Type", "application/json");
    h.emplace("Accept", "application/json, text/event-stream");
    return request(port(), "POST", "/mcp", h, body);
  };
  auto init = post({{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                    {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()},
                                {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}}, {});
  ASSERT_EQ(init.status, 200) << init.body;
  std::map<std::string, std::string> session = {{"Mcp-Session-Id", init.headers["mcp-session-id"]},
                                                {"MCP-Protocol-Version", "2025-11-25"}};
  Json call = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
               {"params", {{"name", "qlock.sign"}, {"arguments", {{"data", "over mcp"}}}}}};
  auto unsigned_call = body_of(post(call, session))["result"];
  EXPECT_TRUE(unsigned_call["isError"].get<bool>());
  EXPECT_EQ(unsigned_call["_meta"]["anarq/code"], "SQUID_IDENTITY_INVALID");
  EXPECT_FALSE(unsigned_call.contains("structuredContent")) << "an error has no data to match the outputSchema";
  // The signature covers the JSON-RPC body sent to POST /mcp.
  std::string body = call.dump();
  auto h = sign_request(alice_.key, "POST", "/mcp", body);
  for (auto& [k, v] : session) h[k] = v;
  h["Accept"] = "application/json, text/event-stream";
  auto signed_call = body_of(request(port(), "POST", "/mcp", h, body))["result"];
  ASSERT_FALSE(signed_call["isError"].get<bool>()) << signed_call.dump();
  EXPECT_EQ(signed_call["structuredContent"]["keyId"], "sig:" + alice_.did) << "acting as the signer";
  // Replaying the same signed request is refused.
  auto replay = body_of(request(port(), "POST", "/mcp", h, body))["result"];
  EXPECT_EQ(replay["_meta"]["anarq/code"], "SIGNATURE_INVALID");
}

}  // namespace
}  // namespace anarq::test
