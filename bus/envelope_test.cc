#include "bus/envelope.h"

#include <gtest/gtest.h>

#include "bus/jcs.h"
#include "ipld/dag_cbor.h"

namespace anarq::bus {
namespace {

class EnvelopeTest : public ::testing::Test {
 protected:
  EventDraft draft() {
    return {"q.qindex.record.created.v1", "qindex", {{"squidId", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"}},
            {{"key", "profile/alice"}, {"version", 3}}, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  }
  ManualClock clock_{1764079200000};
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();
};

TEST_F(EnvelopeTest, CarriesEveryStandardFieldAndVerifies) {
  auto env = make_event(draft(), clock_, key_);
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  EXPECT_EQ((*env)["topic"], "q.qindex.record.created.v1");
  EXPECT_EQ((*env)["time"], "2025-11-25T14:00:00.000Z");
  EXPECT_EQ((*env)["id"].get<std::string>().size(), 36u);
  EXPECT_EQ((*env)["payloadCid"], ipld::dag_cbor_cid(draft().payload)->to_string());
  EXPECT_EQ((*env)["sig"]["pub"], crypto::did_key_from_ed25519(key_.public_key()));
  EXPECT_EQ((*env)["sig"]["ts"], 1764079200000);
  EXPECT_TRUE(verify_event(*env).ok());
  // Member order does not matter to the signature: JCS canonicalises it.
  EXPECT_TRUE(verify_event(Json::parse(env->dump())).ok());
}

TEST_F(EnvelopeTest, AnyChangeBreaksIt) {
  Json env = *make_event(draft(), clock_, key_);
  Json payload = env;
  payload["payload"]["version"] = 4;
  EXPECT_EQ(verify_event(payload).code(), "SIGNATURE_INVALID");  // payloadCid no longer matches
  Json both = payload;
  both["payloadCid"] = ipld::dag_cbor_cid(both["payload"])->to_string();
  EXPECT_EQ(verify_event(both).code(), "SIGNATURE_INVALID");  // the signature covers it
  for (const char* field : {"id", "source", "time"}) {
    Json changed = env;
    changed[field] = "x";
    EXPECT_EQ(verify_event(changed).code(), "SIGNATURE_INVALID") << field;
  }
  Json actor = env;
  actor["actor"]["squidId"] = "did:key:z6MkOther";
  EXPECT_EQ(verify_event(actor).code(), "SIGNATURE_INVALID");
}

TEST_F(EnvelopeTest, BadDraftsAreRefused) {
  EventDraft d = draft();
  d.topic = "q.qindex.created";  // no version
  EXPECT_EQ(make_event(d, clock_, key_).status().code(), "VALIDATION_ERROR");
  d = draft();
  d.actor = Json::object();
  EXPECT_EQ(make_event(d, clock_, key_).status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(verify_event(Json::object()).code(), "VALIDATION_ERROR");
}

}  // namespace
}  // namespace anarq::bus
