// Signed requests over real HTTP (standards.md section 3): a did:key signs the
// canonical string; tampering with the body, the path or the headers, a
// replayed nonce, a stale or future x-ts, an x-subid that is no live
// subidentity, and missing headers all answer 401 in the envelope.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json.h"
#include "tests/http_client.h"
#include "tests/signing.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

Json body_of(const RawResponse& r) {
  auto j = parse_json(r.body);
  return j.ok() ? *j : Json();
}

class SignedHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(node_.port(), 0);
    did_ = crypto::did_key_from_ed25519(key_.public_key());
    ASSERT_EQ(register_identity(node_.port(), key_, "signer"), 200);
  }
  RawResponse signed_post(const std::string& target, const std::string& body) {
    return request(node_.port(), "POST", target, sign_request(key_, "POST", target, body), body);
  }
  ServedNode node_;
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();  // generated outside the node
  std::string did_;
};

TEST_F(SignedHttpTest, AnIdentityRegistersPublishesAndConsumesOverHttp) {
  const std::string reg = R"({"schema":{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}})";
  auto r = signed_post("/registry/v1/topics/q.app.ping.v1/versions", reg);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["data"]["topic"]["owner"], did_);
  auto pub = signed_post("/events/v1/publish", R"({"topic":"q.app.ping.v1","payload":{"n":1}})");
  ASSERT_EQ(pub.status, 200) << pub.body;
  auto bad = signed_post("/events/v1/publish", R"({"topic":"q.app.ping.v1","payload":{"n":"x"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body_of(bad)["details"]["violations"][0]["pointer"], "/n");
  auto unknown = signed_post("/events/v1/publish", R"({"topic":"q.app.none.v1","payload":{}})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body_of(unknown)["code"], "NOT_FOUND");
  auto sub = signed_post("/events/v1/subscribe", R"({"consumer":"app","subject":"q.app.>"})");
  ASSERT_EQ(sub.status, 200) << sub.body;
  Json msgs = body_of(sub)["data"]["messages"];
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["event"]["actor"]["squidId"], did_) << "the signer is the event's actor";
  // The operator (CLI) may not publish on a topic this identity owns.
  Call other = node_.node().call("events.publish", {{"topic", "q.app.ping.v1"}, {"payload", {{"n", 2}}}});
  EXPECT_EQ(other.http_status, 403);
}

TEST_F(SignedHttpTest, EveryTamperingIsRefusedWith401) {
  const std::string target = "/events/v1/subscribe";
  const std::string body = R"({"consumer":"c1"})";
  auto expect_401 = [&](const std::map<std::string, std::string>& h, const std::string& t, const std::string& b,
                        const char* code, const char* what) {
    auto r = request(node_.port(), "POST", t, h, b);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(body_of(r)["code"], code) << what;
    EXPECT_EQ(body_of(r)["status"], "error") << what;
  };
  expect_401(sign_request(key_, "POST", target, body), target, R"({"consumer":"c2"})", "SIGNATURE_INVALID", "tampered body");
  auto h = sign_request(key_, "POST", "/events/v1/ack", body);
  expect_401(h, target, body, "SIGNATURE_INVALID", "tampered path");
  int64_t now = SystemClock::instance().now_ms();
  expect_401(sign_request(key_, "POST", target, body, now - 301'000), target, body, "SIGNATURE_INVALID", "stale x-ts");
  expect_401(sign_request(key_, "POST", target, body, now + 301'000), target, body, "SIGNATURE_INVALID", "future x-ts");
  auto other = crypto::ed25519_generate();
  auto wrong = sign_request(other, "POST", target, body);
  wrong["x-squid-id"] = did_;
  expect_401(wrong, target, body, "SIGNATURE_INVALID", "another key's signature");
  // Signed correctly by the acting key, but `other` is no subidentity of this root.
  std::map<std::string, std::string> sub = {{"content-type", "application/json"}};
  for (auto& [k, v] : signed_request_headers(other, "POST", target, body, SystemClock::instance().now_ms(),
                                             random_hex(12), did_))
    sub[k] = v;
  expect_401(sub, target, body, "SQUID_IDENTITY_INVALID", "x-subid that is no live subidentity");
  auto root_signed = sign_request(key_, "POST", target, body);
  root_signed["x-subid"] = crypto::did_key_from_ed25519(other.public_key());
  expect_401(root_signed, target, body, "SIGNATURE_INVALID", "an x-subid request must be signed by the subidentity's key");
  auto missing = sign_request(key_, "POST", target, body);
  missing.erase("x-nonce");
  expect_401(missing, target, body, "SQUID_IDENTITY_INVALID", "missing x-nonce");
  auto not_did = sign_request(key_, "POST", target, body);
  not_did["x-squid-id"] = "did:web:example.com";
  expect_401(not_did, target, body, "SQUID_IDENTITY_INVALID", "not a did:key");
  auto short_nonce = sign_request(key_, "POST", target, body, now, "abc");
  expect_401(short_nonce, target, body, "SIGNATURE_INVALID", "nonce too short");

  // The untampered request passes once; its replay does not.
  auto good = sign_request(key_, "POST", target, body);
  EXPECT_EQ(request(node_.port(), "POST", target, good, body).status, 200);
  expect_401(good, target, body, "SIGNATURE_INVALID", "replayed nonce");
}

TEST_F(SignedHttpTest, SigningAPublicReadStillVerifies) {
  auto ok = request(node_.port(), "GET", "/node/v1/info", sign_request(key_, "GET", "/node/v1/info", ""));
  EXPECT_EQ(ok.status, 200);
  auto h = sign_request(key_, "GET", "/node/v1/info", "");
  h["x-sig"] = "AAAA";
  EXPECT_EQ(request(node_.port(), "GET", "/node/v1/info", h).status, 401) << "credentials sent must verify";
}

}  // namespace
}  // namespace anarq::test

namespace anarq::test {
namespace {

// A request signed ahead of the node's clock is inside the window for longer
// than the process may live; a restart must not let it replay.
TEST(SignedRestartTest, AFutureDatedRequestDoesNotReplayAfterARestart) {
  const std::string dir = temp_dir("anarq-signed-restart");
  auto key = crypto::ed25519_generate();
  const std::string target = "/node/v1/info";
  auto ahead = sign_request(key, "GET", target, "", SystemClock::instance().now_ms() + 120'000);
  auto other_key = crypto::ed25519_generate();
  // Unregistered identities lead the clock by a second at most and share one mark.
  auto throwaway = crypto::ed25519_generate();
  auto slightly_ahead = sign_request(throwaway, "GET", target, "", SystemClock::instance().now_ms() + 900);
  {
    ServedNode n(Config{}, dir);
    ASSERT_EQ(register_identity(n.port(), key, "early"), 200);
    ASSERT_EQ(register_identity(n.port(), other_key, "other"), 200);
    EXPECT_EQ(request(n.port(), "GET", target, ahead).status, 200);
    EXPECT_EQ(request(n.port(), "GET", target, slightly_ahead).status, 200);
    EXPECT_EQ(request(n.port(), "GET", target, ahead).status, 401) << "a replay in the same process";
  }
  {
    ServedNode n(Config{}, dir);
    auto replay = request(n.port(), "GET", target, ahead);
    EXPECT_EQ(replay.status, 401) << replay.body;
    EXPECT_EQ(body_of(replay)["code"], "SIGNATURE_INVALID");
    auto replay2 = request(n.port(), "GET", target, slightly_ahead);
    EXPECT_EQ(replay2.status, 401) << "the shared mark holds for unregistered identities too: " << replay2.body;
    EXPECT_EQ(request(n.port(), "GET", target, sign_request(other_key, "GET", target, "")).status, 200)
        << "other registered identities are not held back by one identity's clock";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anarq::test
