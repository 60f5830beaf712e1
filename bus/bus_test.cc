#include "bus/bus.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fault.h"
#include "core/json.h"
#include "crypto/ed25519.h"
#include "store/testing.h"

namespace anarq::bus {
namespace {

constexpr int64_t kStart = 1'764'079'200'000;
constexpr auto kWait = std::chrono::seconds(20);  // generous: only a broken bus waits this long
constexpr const char* kThing = "q.test.thing.v1";
constexpr const char* kOther = "q.test.other.v1";
constexpr const char* kMail = "q.mail.sent.v1";
constexpr const char* kCrashDirEnv = "ANARQ_BUS_TEST_CRASH_DIR";

using ::anarq::testing::TempDir;

Json int_schema(const char* field) {
  return {{"type", "object"}, {"properties", {{field, {{"type", "integer"}}}}}, {"required", {field}}};
}

Status register_topic(SchemaRegistry& reg, const std::string& topic, const Json& schema) {
  RegisterRequest r;
  r.topic = topic;
  r.schema = schema;
  r.owner = "test";
  auto res = reg.register_schema(r);
  return res.ok() ? Status() : res.status();
}

EventDraft draft(const std::string& topic, int n) {
  return {topic, "test", {{"squidId", "did:key:z6MkActor"}}, {{"n", n}}, ""};
}

// Collects what a live handler sees; waits with a timeout.
class Collector {
 public:
  void add(const StoredEvent& e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    }
    cv_.notify_all();
  }
  bool wait_for(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return events_.size() >= n; });
  }
  std::vector<StoredEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<int64_t> seqs() {
    std::vector<int64_t> out;
    for (const auto& e : events()) out.push_back(e.seq);
    return out;
  }
  Bus::LiveHandler handler() { return [this](const StoredEvent& e) { add(e); }; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StoredEvent> events_;
};

// One node's state: database, registry and bus over a database file.
struct Node {
  explicit Node(const std::string& path, BusOptions options = {}) {
    db = open_sqlite(path).value();
    EXPECT_TRUE(db->migrate("bus", Bus::migrations()).ok());
    EXPECT_TRUE(db->migrate("bus_registry", SchemaRegistry::migrations()).ok());
    registry = std::make_unique<SchemaRegistry>(*db, clock);
    for (const char* t : {kThing, kOther, kMail}) {
      Status r = register_topic(*registry, t, int_schema("n"));
      EXPECT_TRUE(r.ok()) << r.to_string();
    }
    bus = std::make_unique<Bus>(*db, clock, key, *registry, options);
  }
  ManualClock clock{kStart};
  crypto::Ed25519KeyPair key = crypto::ed25519_generate();
  std::unique_ptr<Db> db;
  std::unique_ptr<SchemaRegistry> registry;
  std::unique_ptr<Bus> bus;
};

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<Node>(dir_.path() + "/state.db");
    ASSERT_TRUE(bus().start().ok());
  }
  Bus& bus() { return *node_->bus; }
  Db& db() { return *node_->db; }
  int64_t publish(const std::string& topic, int n) {
    auto p = bus().publish(draft(topic, n));
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? p->seq : -1;
  }
  Bus::Subscription subscribe(const std::string& pattern, int64_t after, Collector& c) {
    auto s = bus().subscribe(pattern, after, c.handler());
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(*s) : Bus::Subscription();
  }

  TempDir dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(BusTest, RolledBackPublishIsNeitherLoggedNorDelivered) {
  ConsumerConfig cfg;
  cfg.name = "durable";
  ASSERT_TRUE(bus().consumers().ensure(cfg).ok());
  Collector live;
  auto sub = subscribe(">", 0, live);

  Status s = db().transaction([&](Tx& tx) -> Status {
    auto p = bus().publish(tx, draft(kThing, 1));
    if (!p.ok()) return p.status();
    return Status::validation("the state change it reports failed");
  });
  EXPECT_EQ(s.code(), "VALIDATION_ERROR");
  EXPECT_EQ(*bus().log().last_seq(), 0);
  EXPECT_TRUE(bus().log().read({}, 10)->events.empty());

  // A committed witness: whatever the dispatcher had delivered first would show before it.
  ASSERT_EQ(publish(kThing, 2), 1);
  ASSERT_TRUE(live.wait_for(1));
  auto got = live.events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Json::parse(got[0].envelope)["payload"]["n"], 2);
  auto msgs = bus().consumers().fetch("durable", 10, "");
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].envelope["payload"]["n"], 2);
}

// The child process publishes with the fault point armed and dies between the
// commit and the delivery; the parent restarts on the same file and must find
// the event in the log and at every reader.
TEST(BusDeathTest, CrashBetweenCommitAndDeliveryLosesNothing) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The threadsafe style re-runs this test from the start in a fresh process:
  // the parent hands its directory down so that both open one database.
  std::unique_ptr<TempDir> owned;
  std::string dir;
  if (const char* inherited = std::getenv(kCrashDirEnv)) {
    dir = inherited;
  } else {
    owned = std::make_unique<TempDir>();
    dir = owned->path();
    ASSERT_EQ(::setenv(kCrashDirEnv, dir.c_str(), 1), 0);
  }
  struct Unset {
    bool owner;
    ~Unset() { if (owner) ::unsetenv(kCrashDirEnv); }
  } unset{owned != nullptr};
  const std::string path = dir + "/state.db";
  {
    Node before(path);  // a durable consumer created before the crash
    ConsumerConfig cfg;
    cfg.name = "before-crash";
    cfg.pattern = "q.test.>";
    ASSERT_TRUE(before.bus->consumers().ensure(cfg).ok());
  }

  EXPECT_EXIT(
      {
        Node child(path);
        fault::arm("bus.after_commit");
        (void)child.bus->publish(draft(kThing, 42));
        fault::arm("");
        std::fprintf(stderr, "publish returned: the fault point did not fire\n");
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(fault::kFaultExitCode), "");

  Node after(path);  // the restart
  ASSERT_TRUE(after.bus->start().ok());
  ASSERT_EQ(*after.bus->log().last_seq(), 1);
  auto logged = after.bus->log().get(1);
  ASSERT_TRUE(logged.ok());
  EXPECT_EQ(logged->topic, kThing);
  EXPECT_TRUE(verify_event(Json::parse(logged->envelope)).ok());

  auto msgs = after.bus->consumers().fetch("before-crash", 10, "");
  ASSERT_TRUE(msgs.ok()) << msgs.status().to_string();
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].event.seq, 1);
  EXPECT_EQ((*msgs)[0].envelope["payload"]["n"], 42);

  Collector live;
  auto sub = after.bus->subscribe(">", 0, live.handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(live.wait_for(1));
  EXPECT_EQ(live.seqs(), (std::vector<int64_t>{1}));
}

TEST_F(BusTest, LiveSubscriptionDeliversOnlyMatchingTopicsInOrder) {
  Collector test, things, all;
  auto a = subscribe("q.test.>", Bus::kFromNow, test);
  auto b = subscribe("q.*.thing.v1", Bus::kFromNow, things);
  auto c = subscribe(">", Bus::kFromNow, all);  // subscribed last: the witness
  for (const auto& [topic, n] : std::vector<std::pair<const char*, int>>{
           {kThing, 1}, {kMail, 2}, {kOther, 3}, {kThing, 4}, {kMail, 5}, {kThing, 6}})
    publish(topic, n);
  ASSERT_TRUE(all.wait_for(6));
  EXPECT_EQ(all.seqs(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(test.seqs(), (std::vector<int64_t>{1, 3, 4, 6}));
  EXPECT_EQ(things.seqs(), (std::vector<int64_t>{1, 4, 6}));
  for (const auto& e : test.events()) EXPECT_NE(e.topic, kMail);

  Collector replay;  // from a sequence: the catch-up comes from the log
  auto d = subscribe("q.mail.>", 2, replay);
  ASSERT_TRUE(replay.wait_for(1));
  EXPECT_EQ(replay.seqs(), (std::vector<int64_t>{5}));
  EXPECT_EQ(bus().subscribe("q..x", 0, replay.handler()).status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(bus().subscribe(">", -5, replay.handler()).status().code(), "VALIDATION_ERROR");
}

TEST_F(BusTest, DestroyingTheHandleStopsDelivery) {
  Collector gone, witness;
  auto sub = std::make_unique<Bus::Subscription>(subscribe(">", Bus::kFromNow, gone));
  auto w = subscribe(">", Bus::kFromNow, witness);
  publish(kThing, 1);
  ASSERT_TRUE(witness.wait_for(1));
  ASSERT_TRUE(gone.wait_for(1));
  sub.reset();
  publish(kThing, 2);
  publish(kThing, 3);
  ASSERT_TRUE(witness.wait_for(3));
  EXPECT_EQ(gone.seqs(), (std::vector<int64_t>{1}));
}

TEST_F(BusTest, ThrowingHandlerDoesNotStopTheDispatcher) {
  std::atomic<int> thrown{0};
  auto bad = bus().subscribe(">", Bus::kFromNow, [&](const StoredEvent&) {
    ++thrown;
    throw std::runtime_error("handler bug");
  });
  ASSERT_TRUE(bad.ok());
  Collector good;
  auto sub = subscribe(">", Bus::kFromNow, good);
  publish(kThing, 1);
  publish(kThing, 2);
  ASSERT_TRUE(good.wait_for(2));
  publish(kThing, 3);
  ASSERT_TRUE(good.wait_for(3));
  EXPECT_EQ(good.seqs(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(thrown.load(), 3);  // called for every event, not just the first
}

TEST_F(BusTest, ListenersWakeAfterCommitOnly) {
  // Shared, so that a wake-up still running after the test body cannot dangle.
  struct Wakes {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int64_t> seen;  // the log's last sequence at each wake-up
  };
  auto wakes = std::make_shared<Wakes>();
  Bus* b = &bus();
  auto id = bus().add_listener([wakes, b] {
    auto last = b->log().last_seq();
    {
      std::lock_guard lock(wakes->mu);
      wakes->seen.push_back(last.ok() ? *last : -1);
    }
    wakes->cv.notify_all();
  });
  ASSERT_TRUE(id.ok());
  struct Remove {
    Bus* b;
    uint64_t id;
    ~Remove() { b->remove_listener(id); }
  } remove{b, *id};  // also when an assertion below returns early
  Collector witness;  // live handlers run after the listeners of the same dispatch
  auto w = subscribe(">", Bus::kFromNow, witness);

  Status rolled_back = db().transaction([&](Tx& tx) -> Status {
    auto p = bus().publish(tx, draft(kThing, 1));
    return p.ok() ? Status::validation("abort") : p.status();
  });
  ASSERT_EQ(rolled_back.code(), "VALIDATION_ERROR");
  publish(kThing, 2);
  {
    std::unique_lock lock(wakes->mu);
    ASSERT_TRUE(wakes->cv.wait_for(lock, kWait, [&] { return !wakes->seen.empty(); }));
  }
  ASSERT_TRUE(witness.wait_for(1));
  {
    std::lock_guard lock(wakes->mu);
    // One wake-up (the rolled-back publish woke nobody), once the event was committed.
    EXPECT_EQ(wakes->seen, (std::vector<int64_t>{1}));
  }
  bus().remove_listener(*id);
  publish(kThing, 3);
  ASSERT_TRUE(witness.wait_for(2));
  std::lock_guard lock(wakes->mu);
  EXPECT_EQ(wakes->seen.size(), 1u);
}

TEST_F(BusTest, PublishRefusesUnknownTopicsMalformedTopicsAndBadPayloads) {
  EXPECT_EQ(bus().publish(draft("q.test.unregistered.v1", 1)).status().code(), "NOT_FOUND");
  EXPECT_EQ(bus().publish(draft("q.Test.thing", 1)).status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(bus().publish(draft("not a topic", 1)).status().code(), "VALIDATION_ERROR");
  EventDraft bad = draft(kThing, 0);
  bad.payload = {{"n", "seven"}};
  auto r = bus().publish(bad);
  ASSERT_EQ(r.status().code(), "VALIDATION_ERROR");
  const Json& violations = r.status().details()["violations"];
  ASSERT_TRUE(violations.is_array());
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations[0]["pointer"], "/n");
  bad.payload = Json::object();  // the required field is missing
  EXPECT_EQ(bus().publish(bad).status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(*bus().log().last_seq(), 0);  // nothing was appended
}

TEST_F(BusTest, EveryPublishedEnvelopeVerifies) {
  for (int i = 0; i < 3; ++i) {
    auto p = bus().publish(draft(i % 2 ? kMail : kThing, i));
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_EQ(p->seq, i + 1);
    EXPECT_TRUE(verify_event(p->envelope).ok());
    EXPECT_EQ(p->envelope["sig"]["pub"], bus().node_did());
    auto logged = bus().log().get(p->seq);
    ASSERT_TRUE(logged.ok());
    Json env = Json::parse(logged->envelope);
    EXPECT_EQ(env, p->envelope);
    EXPECT_TRUE(verify_event(env).ok());
    EXPECT_EQ(logged->schema_version, 1);
  }
}

TEST_F(BusTest, ViewUpcastsAndReSigns) {
  SchemaRegistry& reg = bus().registry();
  ASSERT_TRUE(register_topic(reg, "q.test.thing.v2", int_schema("count")).ok());
  ASSERT_TRUE(reg.add_upcaster(kThing, [](const Json& p) -> Result<Json> { return Json{{"count", p["n"]}}; }).ok());
  int64_t seq = publish(kThing, 7);
  auto e = bus().log().get(seq);
  ASSERT_TRUE(e.ok());

  auto v2 = bus().view(*e, {2});
  ASSERT_TRUE(v2.ok()) << v2.status().to_string();
  ASSERT_TRUE(v2->has_value());
  const Json& env = (*v2)->first;
  EXPECT_EQ((*v2)->second, kThing);  // upcastFrom
  EXPECT_EQ(env["topic"], "q.test.thing.v2");
  EXPECT_EQ(env["payload"], (Json{{"count", 7}}));
  EXPECT_TRUE(verify_event(env).ok()) << verify_event(env).to_string();
  EXPECT_EQ(env["sig"]["pub"], bus().node_did());
  EXPECT_EQ(env["id"], Json::parse(e->envelope)["id"]);  // the same event

  for (const std::vector<int>& accept : {std::vector<int>{}, std::vector<int>{1}, std::vector<int>{1, 2}}) {
    auto same = bus().view(*e, accept);
    ASSERT_TRUE(same.ok() && same->has_value());
    EXPECT_EQ((*same)->first, Json::parse(e->envelope));
    EXPECT_TRUE((*same)->second.empty());
  }
  auto none = bus().view(*e, {3});  // no v2 -> v3 upcaster
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto other = bus().log().get(publish(kOther, 1));
  auto no_upcaster = bus().view(*other, {2});
  ASSERT_TRUE(no_upcaster.ok());
  EXPECT_FALSE(no_upcaster->has_value());

  // A durable consumer that accepts only v2 gets the upcast envelope and skips the rest.
  ConsumerConfig cfg;
  cfg.name = "v2-reader";
  cfg.accept = {2};
  ASSERT_TRUE(bus().consumers().ensure(cfg).ok());
  auto msgs = bus().consumers().fetch("v2-reader", 10, "");
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].upcast_from, kThing);
  EXPECT_EQ((*msgs)[0].envelope["topic"], "q.test.thing.v2");
  EXPECT_TRUE(verify_event((*msgs)[0].envelope).ok());
}

}  // namespace
}  // namespace anarq::bus
