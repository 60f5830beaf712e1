#include "bus/consumer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bus/envelope.h"
#include "core/clock.h"
#include "core/json.h"
#include "crypto/ed25519.h"
#include "store/testing.h"

namespace anarq::bus {
namespace {

constexpr int64_t kStart = 1'764'079'200'000;
constexpr const char* kOwner = "did:key:z6MkOwner";

using ::anarq::testing::TempDir;

// Every event as logged (what a consumer accepting any version sees).
Result<std::optional<std::pair<Json, std::string>>> as_logged(const StoredEvent& e, const std::vector<int>&) {
  auto env = parse_json(e.envelope);
  if (!env.ok()) return env.status();
  return std::optional<std::pair<Json, std::string>>(std::make_pair(std::move(*env), std::string()));
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_.path() + "/state.db").value();
    ASSERT_TRUE(db_->migrate("bus", EventLog::migrations()).ok());
    log_ = std::make_unique<EventLog>(*db_);
    consumers_ = std::make_unique<DurableConsumers>(*db_, *log_, clock_, as_logged);
  }

  // Appends events of the given topics in one transaction.
  void append(const std::vector<std::string>& topics) {
    Status s = db_->transaction([&](Tx& tx) -> Status {
      for (const auto& t : topics) {
        auto env = make_event({t, "test", {{"squidId", kOwner}}, {{"n", 1}}, ""}, clock_, key_);
        if (!env.ok()) return env.status();
        auto seq = log_->append(tx, *env, 1);
        if (!seq.ok()) return seq.status();
      }
      return {};
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  ConsumerConfig config(const std::string& name, const std::string& pattern = ">") {
    ConsumerConfig c;
    c.name = name;
    c.pattern = pattern;
    c.owner = kOwner;
    c.ack_wait_ms = 1000;
    return c;
  }
  ConsumerInfo ensure(const ConsumerConfig& c) {
    auto info = consumers_->ensure(c);
    EXPECT_TRUE(info.ok()) << info.status().to_string();
    return info.ok() ? *info : ConsumerInfo{};
  }
  std::vector<int64_t> fetch(const std::string& name, size_t max = 100, DurableConsumers* from = nullptr) {
    auto msgs = (from ? from : consumers_.get())->fetch(name, max, kOwner);
    EXPECT_TRUE(msgs.ok()) << msgs.status().to_string();
    std::vector<int64_t> out;
    if (msgs.ok())
      for (const auto& m : *msgs) out.push_back(m.event.seq);
    return out;
  }
  DurableConsumers::AckResult ack(const std::string& name, const std::vector<int64_t>& seqs) {
    auto r = consumers_->ack(name, seqs, kOwner);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : DurableConsumers::AckResult{};
  }

  TempDir dir_;
  ManualClock clock_{kStart};
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();
  std::unique_ptr<Db> db_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<DurableConsumers> consumers_;
};

using Seqs = std::vector<int64_t>;

TEST_F(ConsumerTest, EnsureIsIdempotentAndRefusesAnotherSubjectOrVersions) {
  ConsumerInfo first = ensure(config("audit", "q.mail.>"));
  EXPECT_EQ(first.config.pattern, "q.mail.>");
  EXPECT_EQ(first.created_ms, kStart);
  clock_.advance_ms(5000);
  ConsumerInfo again = ensure(config("audit", "q.mail.>"));
  EXPECT_EQ(again.created_ms, kStart);  // the same consumer, not a new one
  ASSERT_EQ(consumers_->list()->size(), 1u);

  auto other = consumers_->ensure(config("audit", "q.chat.>"));
  EXPECT_EQ(other.status().code(), "VERSION_CONFLICT");
  EXPECT_EQ(other.status().details().value("subject", ""), "q.mail.>");
  ConsumerConfig versions = config("audit", "q.mail.>");
  versions.accept = {2};
  EXPECT_EQ(consumers_->ensure(versions).status().code(), "VERSION_CONFLICT");
  ConsumerConfig stranger = config("audit", "q.mail.>");
  stranger.owner = "did:key:z6MkStranger";
  EXPECT_EQ(consumers_->ensure(stranger).status().code(), "QONSENT_DENIED");
  EXPECT_EQ(consumers_->info("audit")->config.pattern, "q.mail.>");
}

// consumer.h: ensure returns the existing consumer only when the pattern, the
// start and the accepted versions are the same (VERSION_CONFLICT otherwise).
TEST_F(ConsumerTest, EnsureRefusesAnotherStart) {
  append({"q.mail.sent.v1"});
  ensure(config("audit"));  // deliver=all
  ConsumerConfig fresh = config("audit");
  fresh.deliver = "new";
  auto r = consumers_->ensure(fresh);
  EXPECT_EQ(r.status().code(), "VERSION_CONFLICT");
  EXPECT_EQ(fetch("audit"), (Seqs{1}));  // whatever ensure said, the stored start is unchanged
}

TEST_F(ConsumerTest, AnotherOwnerIsDenied) {
  append({"q.mail.sent.v1"});
  ensure(config("mine"));
  const std::string bob = "did:key:z6MkBob";
  EXPECT_EQ(consumers_->fetch("mine", 10, bob).status().code(), "QONSENT_DENIED");
  EXPECT_EQ(consumers_->ack("mine", {1}, bob).status().code(), "QONSENT_DENIED");
  EXPECT_EQ(consumers_->remove("mine", bob).code(), "QONSENT_DENIED");
  EXPECT_EQ(consumers_->info("mine")->delivered_seq, 0);  // the denied fetch took nothing
  EXPECT_TRUE(consumers_->remove("mine", kOwner).ok());
  EXPECT_EQ(consumers_->info("mine").status().code(), "NOT_FOUND");
  EXPECT_EQ(consumers_->fetch("mine", 10, kOwner).status().code(), "NOT_FOUND");
}

TEST_F(ConsumerTest, FetchDeliversMatchingEventsInOrder) {
  append({"q.mail.sent.v1", "q.chat.msg.v1", "q.mail.read.v1", "q.chat.msg.v1", "q.mail.sent.v1"});
  ensure(config("mail", "q.mail.>"));
  auto msgs = consumers_->fetch("mail", 2, kOwner);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].event.seq, 1);
  EXPECT_EQ((*msgs)[1].event.seq, 3);
  EXPECT_EQ((*msgs)[1].envelope["topic"], "q.mail.read.v1");
  EXPECT_EQ((*msgs)[1].deliveries, 1);
  EXPECT_TRUE((*msgs)[1].upcast_from.empty());
  EXPECT_EQ(fetch("mail"), (Seqs{5}));
  EXPECT_EQ(fetch("mail"), (Seqs{}));
  auto info = consumers_->info("mail");
  EXPECT_EQ(info->delivered_seq, 5);
  EXPECT_EQ(info->pending, 3);
  EXPECT_EQ(info->ack_floor, 0);
}

TEST_F(ConsumerTest, AckSettlesAndMovesTheFloor) {
  append({"q.a.x.v1", "q.a.x.v1", "q.a.x.v1"});
  ensure(config("c"));
  ASSERT_EQ(fetch("c"), (Seqs{1, 2, 3}));
  auto r = ack("c", {2});
  EXPECT_EQ(r.acked, 1);
  EXPECT_EQ(r.ack_floor, 0);  // 1 is still pending
  r = ack("c", {1, 1, 99});
  EXPECT_EQ(r.acked, 1);
  EXPECT_EQ(r.unknown, 2);  // already acked, never delivered
  EXPECT_EQ(r.ack_floor, 2);
  r = ack("c", {3});
  EXPECT_EQ(r.ack_floor, 3);
  auto info = consumers_->info("c");
  EXPECT_EQ(info->pending, 0);
  EXPECT_EQ(info->ack_floor, 3);
  clock_.advance_ms(10'000);
  EXPECT_EQ(fetch("c"), (Seqs{}));  // nothing acked comes back
}

TEST_F(ConsumerTest, UnackedAreRedeliveredOnlyAfterAckWait) {
  append({"q.a.x.v1", "q.a.x.v1"});
  ensure(config("c"));  // ack wait 1000 ms
  ASSERT_EQ(fetch("c"), (Seqs{1, 2}));
  ack("c", {2});
  clock_.advance_ms(999);
  EXPECT_EQ(fetch("c"), (Seqs{}));
  clock_.advance_ms(1);
  auto msgs = consumers_->fetch("c", 10, kOwner);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].event.seq, 1);
  EXPECT_EQ((*msgs)[0].deliveries, 2);
  EXPECT_EQ((*msgs)[0].envelope["topic"], "q.a.x.v1");
  EXPECT_EQ(fetch("c"), (Seqs{}));  // the redelivery restarted its ack wait
  clock_.advance_ms(1000);
  msgs = consumers_->fetch("c", 10, kOwner);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].deliveries, 3);
}

TEST_F(ConsumerTest, RestartRedeliversWhatWasNotAckedOnceItsAckWaitPasses) {
  append({"q.a.x.v1", "q.a.x.v1", "q.a.x.v1"});
  ensure(config("c"));  // ack wait 1000 ms
  ASSERT_EQ(fetch("c", 2), (Seqs{1, 2}));
  ack("c", {1});
  clock_.advance_ms(1);  // well inside the ack wait
  consumers_.reset();    // the node stops

  // The pending set survives; a lease stays a lease across restarts (other
  // processes may still be working on it), so only the ack wait frees it.
  DurableConsumers restarted(*db_, *log_, clock_, as_logged);
  EXPECT_EQ(fetch("c", 10, &restarted), (Seqs{3}));
  clock_.advance_ms(1000);
  auto msgs = restarted.fetch("c", 10, kOwner);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].event.seq, 2);
  EXPECT_EQ((*msgs)[0].deliveries, 2);
  EXPECT_EQ((*msgs)[1].event.seq, 3);
  EXPECT_EQ((*msgs)[1].deliveries, 2);
}

TEST_F(ConsumerTest, MaxAckPendingBoundsUnacked) {
  append({"q.a.x.v1", "q.a.x.v1", "q.a.x.v1", "q.a.x.v1", "q.a.x.v1"});
  ConsumerConfig c = config("c");
  c.max_ack_pending = 2;
  ensure(c);
  EXPECT_EQ(fetch("c", 10), (Seqs{1, 2}));
  EXPECT_EQ(fetch("c", 10), (Seqs{}));
  ack("c", {1});
  EXPECT_EQ(fetch("c", 10), (Seqs{3}));
  EXPECT_EQ(fetch("c", 10), (Seqs{}));
  clock_.advance_ms(1000);
  EXPECT_EQ(fetch("c", 10), (Seqs{2, 3}));  // redeliveries fill the room; nothing new
  ack("c", {2, 3});
  EXPECT_EQ(fetch("c", 10), (Seqs{4, 5}));
  EXPECT_EQ(consumers_->info("c")->pending, 2);
}

TEST_F(ConsumerTest, MaxDeliverTerminatesAPoisonMessage) {
  append({"q.a.x.v1"});
  ConsumerConfig c = config("c");
  c.max_deliver = 2;
  ensure(c);
  EXPECT_EQ(fetch("c"), (Seqs{1}));
  clock_.advance_ms(1000);
  EXPECT_EQ(fetch("c"), (Seqs{1}));  // second delivery
  clock_.advance_ms(1000);
  EXPECT_EQ(fetch("c"), (Seqs{}));  // given up
  auto info = consumers_->info("c");
  EXPECT_EQ(info->terminated, 1);
  EXPECT_EQ(info->pending, 0);
  EXPECT_EQ(info->ack_floor, 1);
  clock_.advance_ms(10'000);
  EXPECT_EQ(fetch("c"), (Seqs{}));
  EXPECT_EQ(ack("c", {1}).unknown, 1);
  append({"q.a.x.v1"});
  EXPECT_EQ(fetch("c"), (Seqs{2}));  // the consumer is not stalled
}

TEST_F(ConsumerTest, DeliverStartPoints) {
  append({"q.a.x.v1"});
  clock_.advance_ms(1000);
  append({"q.a.x.v1"});
  clock_.advance_ms(1000);
  append({"q.a.x.v1"});
  ConsumerConfig all = config("all");
  ConsumerConfig fresh = config("new");
  fresh.deliver = "new";
  ConsumerConfig from_seq = config("seq");
  from_seq.deliver = "seq";
  from_seq.start_seq = 2;
  ConsumerConfig from_time = config("time");
  from_time.deliver = "time";
  from_time.start_time_ms = kStart + 1000;
  ConsumerConfig late = config("late");
  late.deliver = "time";
  late.start_time_ms = kStart + 60'000;
  for (const auto& c : {all, fresh, from_seq, from_time, late}) ensure(c);
  append({"q.a.x.v1"});  // seq 4
  EXPECT_EQ(fetch("all"), (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(fetch("new"), (Seqs{4}));
  EXPECT_EQ(fetch("seq"), (Seqs{2, 3, 4}));
  EXPECT_EQ(fetch("time"), (Seqs{2, 3, 4}));
  EXPECT_EQ(fetch("late"), (Seqs{4}));
  ConsumerConfig bad = config("bad");
  bad.deliver = "last";
  EXPECT_EQ(consumers_->ensure(bad).status().code(), "VALIDATION_ERROR");
}

TEST_F(ConsumerTest, PendingEventRemovedByRetentionIsDropped) {
  append({"q.a.x.v1", "q.a.x.v1"});
  ensure(config("c"));
  ASSERT_EQ(fetch("c"), (Seqs{1, 2}));
  clock_.advance_ms(10'000);
  ASSERT_EQ(log_->apply_retention({{">", 1000, 0}}, clock_.now_ms())->removed_by_age, 2);
  EXPECT_EQ(fetch("c"), (Seqs{}));  // the expired pending messages are gone from the log
  auto info = consumers_->info("c");
  EXPECT_EQ(info->pending, 0);
  EXPECT_EQ(info->ack_floor, 2);
  append({"q.a.x.v1"});
  EXPECT_EQ(fetch("c"), (Seqs{3}));
}

TEST_F(ConsumerTest, FetchIsBoundedByMaxFetch) {
  append(std::vector<std::string>(kMaxFetch + 5, "q.a.x.v1"));
  ConsumerConfig c = config("c");
  c.max_ack_pending = kMaxMaxAckPending;
  ensure(c);
  EXPECT_EQ(fetch("c", 0).size(), 1u);  // at least one
  EXPECT_EQ(fetch("c", 1'000'000).size(), kMaxFetch);
  EXPECT_EQ(fetch("c", 1'000'000).size(), 4u);
}

TEST_F(ConsumerTest, AckIsBoundedAndNamesAndLimitsAreChecked) {
  ensure(config("c"));
  std::vector<int64_t> many(kMaxFetch + 1, 1);
  EXPECT_EQ(consumers_->ack("c", many, kOwner).status().code(), "VALIDATION_ERROR");
  many.pop_back();
  EXPECT_TRUE(consumers_->ack("c", many, kOwner).ok());

  for (const std::string& name : {std::string(), std::string("has space"), std::string("a.b"), std::string(65, 'x'),
                                  std::string("caf\xc3\xa9")})
    EXPECT_EQ(consumers_->ensure(config(name)).status().code(), "VALIDATION_ERROR") << name;
  EXPECT_TRUE(consumers_->ensure(config(std::string(64, 'x'))).ok());
  EXPECT_TRUE(consumers_->ensure(config("A-z_09")).ok());
  EXPECT_EQ(consumers_->ensure(config("p", "q..x")).status().code(), "VALIDATION_ERROR");

  auto with = [&](auto set) {
    ConsumerConfig c = config("limits");
    set(c);
    return consumers_->ensure(c).status().code();
  };
  EXPECT_EQ(with([](ConsumerConfig& c) { c.ack_wait_ms = 99; }), "VALIDATION_ERROR");
  EXPECT_EQ(with([](ConsumerConfig& c) { c.ack_wait_ms = kMaxAckWaitMs + 1; }), "VALIDATION_ERROR");
  EXPECT_EQ(with([](ConsumerConfig& c) { c.max_ack_pending = 0; }), "VALIDATION_ERROR");
  EXPECT_EQ(with([](ConsumerConfig& c) { c.max_ack_pending = kMaxMaxAckPending + 1; }), "VALIDATION_ERROR");
  EXPECT_EQ(with([](ConsumerConfig& c) { c.max_deliver = 0; }), "VALIDATION_ERROR");
  EXPECT_EQ(with([](ConsumerConfig& c) { c.accept = {0}; }), "VALIDATION_ERROR");
  EXPECT_EQ(consumers_->info("limits").status().code(), "NOT_FOUND");
}

}  // namespace
}  // namespace anarq::bus
