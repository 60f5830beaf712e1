#include "bus/log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bus/envelope.h"
#include "core/clock.h"
#include "crypto/ed25519.h"
#include "store/testing.h"

namespace anarq::bus {
namespace {

constexpr int64_t kStart = 1'764'079'200'000;  // 2025-11-25T14:00:00Z
constexpr const char* kAlice = "did:key:z6MkAlice";
constexpr const char* kBob = "did:key:z6MkBob";

using ::anarq::testing::TempDir;

struct Item {
  std::string topic;
  std::string actor = kAlice;
};

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_.path() + "/state.db").value();
    ASSERT_TRUE(db_->migrate("bus", EventLog::migrations()).ok());
    log_ = std::make_unique<EventLog>(*db_);
  }

  Json envelope(const Item& item) {
    auto env = make_event({item.topic, "test", {{"squidId", item.actor}}, {{"n", 1}}, ""}, clock_, key_);
    EXPECT_TRUE(env.ok()) << env.status().to_string();
    return env.ok() ? *env : Json();
  }

  // Appends all items in one transaction (one fsync); their sequences.
  std::vector<int64_t> append(const std::vector<Item>& items) {
    std::vector<int64_t> seqs;
    Status s = db_->transaction([&](Tx& tx) -> Status {
      for (const Item& item : items) {
        auto seq = log_->append(tx, envelope(item), 1);
        if (!seq.ok()) return seq.status();
        seqs.push_back(*seq);
      }
      return {};
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return seqs;
  }
  int64_t append1(const std::string& topic, const std::string& actor = kAlice) {
    auto seqs = append({{topic, actor}});
    return seqs.empty() ? -1 : seqs[0];
  }

  static std::vector<int64_t> seqs_of(const ReadPage& page) {
    std::vector<int64_t> out;
    for (const auto& e : page.events) out.push_back(e.seq);
    return out;
  }
  std::vector<int64_t> read_seqs(const std::string& pattern) {
    ReadFilter f;
    f.pattern = pattern;
    auto page = log_->read(f, kMaxReadLimit);
    EXPECT_TRUE(page.ok()) << page.status().to_string();
    return page.ok() ? seqs_of(*page) : std::vector<int64_t>{};
  }

  TempDir dir_;
  ManualClock clock_{kStart};
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();
  std::unique_ptr<Db> db_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, AppendThenReadByExactAndWildcardPatterns) {
  auto s = append({{"q.a.created.v1"}, {"q.a.deleted.v1"}, {"q.b.created.v1"}, {"q.a.sub.created.v1"},
                   {"q.b.created.v2"}});
  ASSERT_EQ(s, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(read_seqs("q.a.created.v1"), (std::vector<int64_t>{1}));
  EXPECT_EQ(read_seqs(">"), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(read_seqs("q.>"), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(read_seqs("q.a.>"), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(read_seqs("q.*.created.v1"), (std::vector<int64_t>{1, 3}));  // not q.a.sub.created.v1
  EXPECT_EQ(read_seqs("q.*.*.v2"), (std::vector<int64_t>{5}));
  EXPECT_EQ(read_seqs("*"), (std::vector<int64_t>{}));  // one token never matches a four-token topic
  EXPECT_EQ(read_seqs("q.a"), (std::vector<int64_t>{}));  // a prefix is not a match
  EXPECT_EQ(read_seqs("q.c.>"), (std::vector<int64_t>{}));

  auto e = log_->get(3);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->topic, "q.b.created.v1");
  EXPECT_EQ(e->actor, kAlice);
  EXPECT_EQ(e->time_ms, kStart);
  EXPECT_EQ(e->schema_version, 1);
  Json env = Json::parse(e->envelope);
  EXPECT_EQ(env["topic"], "q.b.created.v1");
  EXPECT_TRUE(verify_event(env).ok());
  EXPECT_EQ(log_->get(6).status().code(), "NOT_FOUND");
}

TEST_F(EventLogTest, CursorsBoundAndPaginate) {
  std::vector<Item> items(10, Item{"q.a.created.v1"});
  append(items);
  for (const std::string pattern : {"q.a.created.v1", "q.a.>"}) {
    SCOPED_TRACE(pattern);
    ReadFilter f;
    f.pattern = pattern;
    f.after_seq = 2;
    f.until_seq = 6;
    auto bounded = log_->read(f, 100);
    ASSERT_TRUE(bounded.ok());
    EXPECT_EQ(seqs_of(*bounded), (std::vector<int64_t>{3, 4, 5, 6}));
    EXPECT_FALSE(bounded->more);

    f.after_seq = 0;
    f.until_seq = 0;
    std::vector<int64_t> all;
    std::vector<bool> mores;
    for (int guard = 0; guard < 10; ++guard) {
      auto page = log_->read(f, 3);
      ASSERT_TRUE(page.ok());
      for (int64_t s : seqs_of(*page)) all.push_back(s);
      mores.push_back(page->more);
      f.after_seq = page->cursor;
      if (!page->more) break;
    }
    EXPECT_EQ(all, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    EXPECT_EQ(mores, (std::vector<bool>{true, true, true, false}));
    EXPECT_EQ(f.after_seq, 10);
  }
}

TEST_F(EventLogTest, SparsePatternWithSmallScanContinuesFromCursorWithoutLoss) {
  std::vector<Item> items;
  std::vector<int64_t> expected;
  for (int i = 1; i <= 1500; ++i) {
    bool hit = i % 97 == 0;
    items.push_back({hit ? "q.rare.hit.v1" : "q.busy.noise.v1"});
    if (hit) expected.push_back(i);
  }
  append(items);
  ReadFilter f;
  f.pattern = "q.*.hit.v1";  // a leading wildcard: no topic range narrows the scan
  std::vector<int64_t> got;
  int pages = 0;
  for (; pages < 2000; ++pages) {
    auto page = log_->read(f, 5, /*max_scan=*/40);
    ASSERT_TRUE(page.ok());
    for (int64_t s : seqs_of(*page)) got.push_back(s);
    ASSERT_GE(page->cursor, f.after_seq);
    f.after_seq = page->cursor;
    if (!page->more) break;
  }
  EXPECT_EQ(got, expected);
  EXPECT_GT(pages, 1);
  EXPECT_EQ(f.after_seq, 1500);
}

// The header promises a page examines at most max_scan rows: a sparse read must
// not run far past its scan budget before handing back a cursor.
TEST_F(EventLogTest, ReadExaminesAtMostMaxScanRows) {
  append(std::vector<Item>(600, Item{"q.busy.noise.v1"}));
  ReadFilter f;
  f.pattern = "q.*.hit.v1";
  auto page = log_->read(f, 5, /*max_scan=*/40);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->events.empty());
  EXPECT_TRUE(page->more);
  EXPECT_LE(page->cursor, 40) << "examined " << page->cursor << " rows with max_scan 40";
}

TEST_F(EventLogTest, ReadBackIsNewestFirst) {
  append({{"q.a.x.v1"}, {"q.b.x.v1"}, {"q.a.x.v1"}, {"q.a.x.v1"}, {"q.b.x.v1"}, {"q.a.x.v1"}});
  ReadFilter f;
  f.pattern = "q.a.>";
  auto head = log_->read_back(f, 0, 2);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(seqs_of(*head), (std::vector<int64_t>{6, 4}));
  EXPECT_TRUE(head->more);
  auto next = log_->read_back(f, head->cursor, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(seqs_of(*next), (std::vector<int64_t>{3, 1}));
  auto last = log_->read_back(f, next->cursor, 2);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->events.empty());
  EXPECT_FALSE(last->more);
  f.pattern = ">";
  f.after_seq = 3;  // a lower bound too
  auto bounded = log_->read_back(f, 0, 10);
  ASSERT_TRUE(bounded.ok());
  EXPECT_EQ(seqs_of(*bounded), (std::vector<int64_t>{6, 5, 4}));
}

TEST_F(EventLogTest, ActorAndTimeFilters) {
  append1("q.a.x.v1", kAlice);  // t = kStart
  clock_.advance_ms(1000);
  append1("q.a.x.v1", kBob);  // kStart + 1000
  clock_.advance_ms(1000);
  append1("q.a.x.v1", kAlice);  // kStart + 2000
  ReadFilter f;
  f.actor = kAlice;
  EXPECT_EQ(seqs_of(*log_->read(f, 10)), (std::vector<int64_t>{1, 3}));
  f.actor = "did:key:z6MkNobody";
  EXPECT_TRUE(log_->read(f, 10)->events.empty());
  f.actor.clear();
  f.since_ms = kStart + 1000;  // inclusive
  EXPECT_EQ(seqs_of(*log_->read(f, 10)), (std::vector<int64_t>{2, 3}));
  f.until_ms = kStart + 2000;  // exclusive
  EXPECT_EQ(seqs_of(*log_->read(f, 10)), (std::vector<int64_t>{2}));
  f.since_ms = 0;
  f.actor = kBob;
  EXPECT_EQ(seqs_of(*log_->read_back(f, 0, 10)), (std::vector<int64_t>{2}));
}

TEST_F(EventLogTest, SeqBeforeTime) {
  EXPECT_EQ(*log_->seq_before_time(kStart), 0);  // empty log
  append1("q.a.x.v1");
  clock_.advance_ms(1000);
  append1("q.a.x.v1");
  clock_.advance_ms(1000);
  append1("q.a.x.v1");
  EXPECT_EQ(*log_->seq_before_time(0), 0);
  EXPECT_EQ(*log_->seq_before_time(kStart), 0);
  EXPECT_EQ(*log_->seq_before_time(kStart + 1), 1);
  EXPECT_EQ(*log_->seq_before_time(kStart + 1000), 1);
  EXPECT_EQ(*log_->seq_before_time(kStart + 1500), 2);
  EXPECT_EQ(*log_->seq_before_time(kStart + 99'000), 3);  // nothing that recent: only what comes next
}

TEST_F(EventLogTest, SequencesIncreaseAndAreNeverReusedAfterRetentionEmptiesTheLog) {
  EXPECT_EQ(*log_->last_seq(), 0);
  EXPECT_EQ(*log_->first_seq(), 0);
  EXPECT_EQ(append({{"q.a.x.v1"}, {"q.a.x.v1"}, {"q.a.x.v1"}}), (std::vector<int64_t>{1, 2, 3}));
  clock_.advance_ms(10'000);
  auto report = log_->apply_retention({{">", 1000, 0}}, clock_.now_ms());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed_by_age, 3);
  EXPECT_EQ(*log_->first_seq(), 0);
  EXPECT_EQ(*log_->last_seq(), 3);
  EXPECT_TRUE(log_->read({}, 10)->events.empty());
  EXPECT_EQ(append1("q.a.x.v1"), 4);
  EXPECT_EQ(*log_->first_seq(), 4);

  // And across a reopen of the database.
  log_.reset();
  db_.reset();
  db_ = open_sqlite(dir_.path() + "/state.db").value();
  log_ = std::make_unique<EventLog>(*db_);
  EXPECT_EQ(append1("q.a.x.v1"), 5);
}

TEST_F(EventLogTest, RolledBackAppendLeavesNoRowAndConsumesNoSequence) {
  EXPECT_EQ(append1("q.a.x.v1"), 1);
  int64_t seen = 0;
  Status s = db_->transaction([&](Tx& tx) -> Status {
    auto seq = log_->append(tx, envelope({"q.a.x.v1"}), 1);
    if (!seq.ok()) return seq.status();
    seen = *seq;
    return Status::validation("the state change failed");
  });
  EXPECT_EQ(s.code(), "VALIDATION_ERROR");
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(*log_->last_seq(), 1);
  EXPECT_EQ(log_->get(2).status().code(), "NOT_FOUND");
  EXPECT_EQ(read_seqs(">"), (std::vector<int64_t>{1}));
  EXPECT_EQ(append1("q.a.x.v1"), 2);  // the rolled-back number is handed out again: no gap
}

TEST_F(EventLogTest, RetentionByAgeAndSizeFirstMatchingRuleWins) {
  append({{"q.chat.msg.v1"}, {"q.chat.msg.v1"}, {"q.mail.sent.v1"}, {"q.mail.sent.v1"}, {"q.mail.sent.v1"},
          {"q.mail.sent.v1"}});                                        // seqs 1..6 at kStart
  clock_.advance_ms(2 * 3'600'000);                                  // two hours later
  append({{"q.chat.msg.v1"}});                                       // seq 7, fresh
  int64_t budget = 0;
  for (int64_t seq : {5, 6}) budget += static_cast<int64_t>(log_->get(seq)->envelope.size());
  auto rules = parse_retention("q.chat.>=1h/0;>=0/" + std::to_string(budget) + "B");
  ASSERT_TRUE(rules.ok()) << rules.status().to_string();
  ASSERT_EQ(rules->size(), 2u);

  auto report = log_->apply_retention(*rules, clock_.now_ms());
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->removed_by_age, 2);   // the old chat messages; the catch-all has no age limit
  EXPECT_EQ(report->removed_by_size, 2);  // oldest mail first, down to the budget
  // The fresh chat message counts only against the chat rule, not the catch-all budget.
  EXPECT_EQ(read_seqs(">"), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_EQ(*log_->first_seq(), 5);

  // Idempotent: nothing more to remove.
  auto again = log_->apply_retention(*rules, clock_.now_ms());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->removed_by_age + again->removed_by_size, 0);
  // An event exactly max_age old is kept; one ms older is removed.
  auto edge = log_->apply_retention({{"q.chat.>", 0, 0}, {">", 2 * 3'600'000, 0}}, clock_.now_ms());
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->removed_by_age, 0);
  edge = log_->apply_retention({{">", 2 * 3'600'000 - 1, 0}}, clock_.now_ms());
  EXPECT_EQ(edge->removed_by_age, 2);
  EXPECT_EQ(read_seqs(">"), (std::vector<int64_t>{7}));
}

TEST_F(EventLogTest, RetentionWithTheDocumentedCatchAllRule) {
  append({{"q.chat.msg.v1"}, {"q.mail.sent.v1"}});
  // Every envelope is larger than 300 bytes: the catch-all drops all mail, while
  // chat (first rule: an hour, no size limit) keeps its young message.
  auto rules = parse_retention("q.chat.>=1h/0;>=0/300B");
  ASSERT_TRUE(rules.ok());
  auto report = log_->apply_retention(*rules, clock_.now_ms());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed_by_size, 1);
  EXPECT_EQ(read_seqs(">"), (std::vector<int64_t>{1}));
  EXPECT_EQ(log_->apply_retention({}, clock_.now_ms())->removed_by_size, 0);  // no rules: keep everything
}

TEST(ParseRetentionTest, AcceptsUnitsAndSkipsEmptyItems) {
  auto r = parse_retention("q.qchat.>=7d/64MiB;>=30d/1GiB");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].pattern, "q.qchat.>");
  EXPECT_EQ((*r)[0].max_age_ms, 7 * 86'400'000LL);
  EXPECT_EQ((*r)[0].max_bytes, 64LL << 20);
  EXPECT_EQ((*r)[1].pattern, ">");
  EXPECT_EQ((*r)[1].max_age_ms, 30 * 86'400'000LL);
  EXPECT_EQ((*r)[1].max_bytes, 1LL << 30);

  r = parse_retention("q.a.>=500ms/10KiB;;q.*.x.v1=30s/5;q.b.>=15m/1B;q.c.>=2h/0;q.d.>=0/0;");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].max_age_ms, 500);
  EXPECT_EQ((*r)[0].max_bytes, 10 * 1024);
  EXPECT_EQ((*r)[1].pattern, "q.*.x.v1");
  EXPECT_EQ((*r)[1].max_age_ms, 30'000);
  EXPECT_EQ((*r)[1].max_bytes, 5);  // bare number: bytes
  EXPECT_EQ((*r)[2].max_age_ms, 15 * 60'000);
  EXPECT_EQ((*r)[2].max_bytes, 1);
  EXPECT_EQ((*r)[3].max_age_ms, 2 * 3'600'000);
  EXPECT_EQ((*r)[3].max_bytes, 0);
  EXPECT_EQ((*r)[4].max_age_ms, 0);
  EXPECT_TRUE(parse_retention("")->empty());
}

TEST(ParseRetentionTest, RefusesMalformedRules) {
  for (const char* bad : {"q.x.>=1h",          // no size
                          "q.x.>1h/0",         // no '='
                          "q.x.>=/0",          // no age
                          "q.x.>=1h/",         // no size after '/'
                          "q.x.>=1w/0",        // unknown duration unit
                          "q.x.>=5/0",         // a duration needs a unit
                          "q.x.>=1h/1TB",      // unknown size unit
                          "q.x.>=1h/1kib",     // units are case-sensitive
                          "q.x.>=-1h/0",       // negative
                          "q.x.>=h/0",         // no number
                          "q.x.>=1h/0/0",      // extra part
                          "Q.X=1h/0",          // upper case pattern
                          "q.>.x=1h/0",        // '>' not last
                          "q..x=1h/0",         // empty token
                          "=1h/0",             // empty pattern
                          "q.x.>=99999999999999999d/0"}) {  // overflows
    auto r = parse_retention(bad);
    EXPECT_EQ(r.status().code(), "VALIDATION_ERROR") << bad;
  }
}

TEST(ParseRetentionTest, AtMost64Rules) {
  std::string text;
  for (int i = 0; i < 64; ++i) text += "q.m" + std::to_string(i) + ".>=1d/0;";
  EXPECT_EQ(parse_retention(text)->size(), 64u);
  EXPECT_EQ(parse_retention(text + "q.extra.>=1d/0").status().code(), "VALIDATION_ERROR");
}

}  // namespace
}  // namespace anarq::bus
