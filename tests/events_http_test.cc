// Events through the real transports: Server-Sent Events over a socket
// (resumption with Last-Event-ID sees every event exactly once), the events.*
// and registry.* tools over HTTP, and their errors in the envelope.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bus/envelope.h"
#include "core/json.h"
#include "tests/http_client.h"
#include "tests/sse_client.h"
#include "tests/test_node.h"

namespace anarq::test {
namespace {

using ::testing::HasSubstr;

Json body_of(const RawResponse& r) {
  auto j = parse_json(r.body);
  return j.ok() ? *j : Json();
}

class EventsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(node_.port(), 0);
    for (const char* topic : {"q.test.tick.v1", "q.other.tock.v1"}) {
      Call c = node_.node().call("registry.register",
                                 {{"topic", topic},
                                  {"schema", {{"type", "object"}, {"required", {"n"}}, {"properties", {{"n", {{"type", "integer"}}}}}}}});
      ASSERT_EQ(c.http_status, 200) << c.body;
    }
  }
  int64_t publish(const std::string& topic, int n) {
    Call c = node_.node().call("events.publish", {{"topic", topic}, {"payload", {{"n", n}}}});
    EXPECT_EQ(c.http_status, 200) << c.body;
    return c.envelope["data"].value("seq", int64_t{0});
  }
  std::vector<int64_t> history_seqs(const std::string& subject) {
    std::vector<int64_t> out;
    int64_t cursor = 0;
    for (;;) {
      auto r = request(node_.port(), "GET", "/events/v1/history?subject=" + subject + "&limit=1000&cursor=" + std::to_string(cursor));
      Json b = body_of(r);
      for (const auto& e : b["data"]["events"]) out.push_back(e["seq"].get<int64_t>());
      cursor = b["data"]["nextCursor"];
      if (!b["data"]["more"].get<bool>()) return out;
    }
  }
  ServedNode node_;
};

TEST_F(EventsHttpTest, SseResumeWithLastEventIdSeesEveryEventExactlyOnce) {
  constexpr int kEvents = 400;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < kEvents; ++i) publish(i % 3 == 0 ? "q.other.tock.v1" : "q.test.tick.v1", i);
    done = true;
  });
  std::vector<int64_t> seen;
  {
    SseClient a(node_.port(), "/events/stream?subject=q.test.%3E&after=0");
    ASSERT_EQ(a.status(), 200);
    while (seen.size() < 60) {
      auto e = a.next(10'000);
      ASSERT_TRUE(e) << "stream stalled after " << seen.size();
      ASSERT_EQ(e->event, "q.test.tick.v1");
      seen.push_back(std::stoll(e->id));
    }
    a.close();  // drop mid-stream, with events still being published
  }
  producer.join();
  std::vector<int64_t> want = history_seqs("q.test.%3E");
  ASSERT_EQ(want.size(), static_cast<size_t>(kEvents - (kEvents + 2) / 3));
  {
    SseClient b(node_.port(), "/events/stream?subject=q.test.%3E", {{"Last-Event-ID", std::to_string(seen.back())}});
    ASSERT_EQ(b.status(), 200);
    while (seen.back() != want.back()) {
      auto e = b.next(10'000);
      ASSERT_TRUE(e) << "resumed stream stalled at " << seen.back();
      auto env = parse_json(e->data);
      ASSERT_TRUE(env.ok());
      EXPECT_TRUE(bus::verify_event(*env).ok());
      EXPECT_EQ((*env)["topic"], e->event);
      seen.push_back(std::stoll(e->id));
    }
  }
  EXPECT_EQ(seen, want) << "every matching event once, in sequence order";
}

TEST_F(EventsHttpTest, SseFollowsLiveEventsAndStartsAtNowByDefault) {
  publish("q.test.tick.v1", 1);
  SseClient c(node_.port(), "/events/stream?subject=q.*.tick.v1");
  ASSERT_EQ(c.status(), 200);
  int64_t seq = publish("q.test.tick.v1", 2);
  publish("q.other.tock.v1", 3);
  auto e = c.next(10'000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, std::to_string(seq)) << "events before the connection are not replayed without after/Last-Event-ID";
  EXPECT_THAT(e->data, HasSubstr("\"n\":2"));
  EXPECT_FALSE(c.next(300)) << "q.other.tock.v1 does not match q.*.tick.v1";
}

TEST_F(EventsHttpTest, SseRefusesBadRequestsInTheEnvelope) {
  for (const char* target : {"/events/stream?subject=q..x", "/events/stream?after=-1", "/events/stream?since=yesterday",
                             "/events/stream?accept=0", "/events/stream?bogus=1"}) {
    SCOPED_TRACE(target);
    auto r = request(node_.port(), "GET", target);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["code"], "VALIDATION_ERROR");
  }
  auto bad_id = request(node_.port(), "GET", "/events/stream", {{"Last-Event-ID", "abc"}});
  EXPECT_EQ(bad_id.status, 400);
  auto post = request(node_.port(), "POST", "/events/stream");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers["allow"], "GET, HEAD");
}

TEST_F(EventsHttpTest, PublishOverHttpNeedsASignedRequestBeforeItsInputIsExamined) {
  auto unsigned_call = request(node_.port(), "POST", "/events/v1/publish", {{"content-type", "application/json"}},
                               R"({"topic":"q.test.tick.v1","payload":{"n":1}})");
  EXPECT_EQ(unsigned_call.status, 401);
  EXPECT_EQ(body_of(unsigned_call)["code"], "SQUID_IDENTITY_INVALID");
  auto malformed = request(node_.port(), "POST", "/events/v1/publish", {{"content-type", "application/json"}},
                           R"({"topic":"Q.Bad","payload":{}})");
  EXPECT_EQ(malformed.status, 401) << "an unsigned caller learns nothing of the input's validity";
}

TEST_F(EventsHttpTest, PublishErrorsAreClear) {
  Call unknown = node_.node().call("events.publish", {{"topic", "q.test.unknown.v1"}, {"payload", Json::object()}});
  EXPECT_EQ(unknown.http_status, 404);
  EXPECT_EQ(unknown.envelope["code"], "NOT_FOUND");
  Call mismatch = node_.node().call("events.publish", {{"topic", "q.test.tick.v1"}, {"payload", {{"n", "one"}}}});
  EXPECT_EQ(mismatch.http_status, 400);
  EXPECT_EQ(mismatch.envelope["details"]["violations"][0]["pointer"], "/n");
  Call owned = node_.node().call("events.publish", {{"topic", "q.tools.registry.updated.v1"}, {"payload", Json::object()}});
  EXPECT_EQ(owned.http_status, 403) << "module topics are published by their module only";
  EXPECT_EQ(history_seqs("q.test.%3E").size(), 0u) << "refused publishes leave nothing in the log";
}

TEST_F(EventsHttpTest, HistoryFiltersAndPaginatesOverHttp) {
  for (int i = 0; i < 25; ++i) publish(i % 2 ? "q.test.tick.v1" : "q.other.tock.v1", i);
  auto page1 = body_of(request(node_.port(), "GET", "/events/v1/history?subject=q.test.tick.v1&limit=5"));
  ASSERT_EQ(page1["code"], "EVENTS_LISTED");
  ASSERT_EQ(page1["data"]["events"].size(), 5u);
  EXPECT_TRUE(page1["data"]["more"].get<bool>());
  auto page2 = body_of(request(node_.port(), "GET", "/events/v1/history?subject=q.test.tick.v1&limit=5&cursor=" +
                                                        std::to_string(page1["data"]["nextCursor"].get<int64_t>())));
  EXPECT_GT(page2["data"]["events"][0]["seq"], page1["data"]["events"][4]["seq"]);
  auto desc = body_of(request(node_.port(), "GET", "/events/v1/history?subject=q.%3E&order=desc&limit=3"));
  ASSERT_EQ(desc["data"]["events"].size(), 3u);
  EXPECT_GT(desc["data"]["events"][0]["seq"], desc["data"]["events"][1]["seq"]);
  std::string actor = node_.node().operator_identity().squid_id;
  auto by_actor = body_of(request(node_.port(), "GET", "/events/v1/history?subject=q.test.tick.v1&actor=" + actor));
  EXPECT_EQ(by_actor["data"]["events"].size(), 12u);
  auto nobody = body_of(request(node_.port(), "GET", "/events/v1/history?actor=did:key:z6MkNobody"));
  EXPECT_EQ(nobody["data"]["events"].size(), 0u);
  EXPECT_EQ(request(node_.port(), "GET", "/events/v1/history?subject=a..b").status, 400);
  EXPECT_EQ(request(node_.port(), "GET", "/events/v1/history?since=notatime").status, 400);
}

TEST_F(EventsHttpTest, RegistryOverHttpExplainsIncompatibilities) {
  auto got = body_of(request(node_.port(), "GET", "/registry/v1/topics/q.test.tick.v1"));
  ASSERT_EQ(got["code"], "SCHEMA_FOUND");
  EXPECT_EQ(got["data"]["version"], 1);
  EXPECT_EQ(got["data"]["topic"]["compatibility"], "BACKWARD");
  EXPECT_EQ(request(node_.port(), "GET", "/registry/v1/topics/q.test.none.v1").status, 404);
  // Making n a string breaks readers of v1 data.
  auto check = request(node_.port(), "POST", "/registry/v1/topics/q.test.tick.v1/check", {{"content-type", "application/json"}},
                       R"({"schema":{"type":"object","required":["n"],"properties":{"n":{"type":"string"}}}})");
  Json c = body_of(check);
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_FALSE(c["data"]["compatible"].get<bool>());
  ASSERT_FALSE(c["data"]["incompatibilities"].empty());
  EXPECT_THAT(c["data"]["incompatibilities"][0]["pointer"].get<std::string>(), HasSubstr("/properties/n"));
  Call refused = node_.node().call(
      "registry.register",
      {{"topic", "q.test.tick.v1"}, {"schema", {{"type", "object"}, {"properties", {{"n", {{"type", "string"}}}}}}}});
  EXPECT_EQ(refused.http_status, 409);
  EXPECT_EQ(refused.envelope["code"], "VERSION_CONFLICT");
  EXPECT_FALSE(refused.envelope["details"]["incompatibilities"].empty());
  Call module_topic = node_.node().call("registry.register", {{"topic", "q.node.x.v1"}, {"schema", Json::object()}});
  EXPECT_EQ(module_topic.http_status, 403);
  Call dep = node_.node().call("registry.deprecate", {{"topic", "q.test.tick.v1"}, {"replacement", "q.test.tick.v2"}});
  ASSERT_EQ(dep.http_status, 200) << dep.body;
  auto after = body_of(request(node_.port(), "GET", "/registry/v1/topics?subject=q.test.%3E"));
  ASSERT_EQ(after["data"]["topics"].size(), 1u);
  EXPECT_EQ(after["data"]["topics"][0]["deprecated"]["replacement"], "q.test.tick.v2");
}

TEST_F(EventsHttpTest, DurableConsumerByPollingRedeliversUntilAcked) {
  for (int i = 0; i < 5; ++i) publish("q.test.tick.v1", i);
  Json in = {{"consumer", "agent-1"}, {"subject", "q.test.>"}, {"max", 3}, {"ackWaitMs", 600000}};
  Call first = node_.node().call("events.subscribe", in);
  ASSERT_EQ(first.http_status, 200) << first.body;
  const Json& msgs = first.envelope["data"]["messages"];
  ASSERT_EQ(msgs.size(), 3u);
  Call ack = node_.node().call("events.ack", {{"consumer", "agent-1"}, {"seqs", {msgs[0]["seq"], msgs[1]["seq"]}}});
  ASSERT_EQ(ack.http_status, 200) << ack.body;
  EXPECT_EQ(ack.envelope["data"]["acked"], 2);
  Call again = node_.node().call("events.subscribe", {{"consumer", "agent-1"}, {"subject", "q.test.>"}, {"max", 10}});
  ASSERT_EQ(again.http_status, 200);
  // The two not yet delivered; the unacked third comes back only after its ack wait.
  EXPECT_EQ(again.envelope["data"]["messages"].size(), 2u);
  EXPECT_EQ(node_.node().call("events.subscribe", {{"consumer", "agent-1"}, {"subject", "q.>"}}).http_status, 409)
      << "same name, other subject";
}

}  // namespace
}  // namespace anarq::test
