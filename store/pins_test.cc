#include "store/pins.h"

#include <gtest/gtest.h>

#include "ipld/multicodec.h"
#include "store/testing.h"

namespace anarq {
namespace {

using ipld::Cid;
using testing::TempDir;

class PinsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_ / "state.db").value();
    blocks_ = open_fs_blockstore(dir_ / "blocks").value();
    pins_ = Pins::open(*db_, *blocks_, clock_).value();
  }

  ipld::BlockSink sink() {
    return [this](const Cid& cid, std::string_view bytes) { return blocks_->put(cid, bytes); };
  }
  Status pin(const Cid& cid, bool recursive, std::optional<std::string> rt = std::nullopt) {
    auto guard = pins_->gc_lock().add_guard();
    return pins_->pin(guard, cid, recursive, std::move(rt));
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Db> db_;
  std::unique_ptr<Blockstore> blocks_;
  std::unique_ptr<Pins> pins_;
};

TEST_F(PinsTest, MigrationsAreIdempotentAndVersioned) {
  EXPECT_EQ(*db_->schema_version("content"), 1);
  EXPECT_TRUE(Pins::open(*db_, *blocks_, clock_).ok());
  EXPECT_EQ(content_migrations().size(), 1u);
}

TEST_F(PinsTest, RecursivePinNeedsTheWholeDagAndNamesTheFirstMissingBlock) {
  const Cid a = testing::put_raw("a", sink());
  const Cid b = testing::put_raw("b", sink());
  const Cid inner = testing::put_pb_node({a, b}, sink());
  const Cid root = testing::put_cbor_node({inner, a}, 1, sink());
  ASSERT_TRUE(blocks_->remove(b).ok());

  Status s = pin(root, true);
  ASSERT_EQ(s.code(), "NOT_FOUND");
  EXPECT_NE(s.message().find(b.to_string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(root.to_string()), std::string::npos) << s.message();
  EXPECT_FALSE(*pins_->is_pinned(root));

  ASSERT_TRUE(blocks_->put(b, "b").ok());
  ASSERT_TRUE(pin(root, true).ok());
  EXPECT_TRUE(*pins_->is_pinned(root));
  auto found = pins_->find(root).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, PinKind::kRecursive);
  EXPECT_EQ(found[0].policy, PinPolicy::kPermanent);
  EXPECT_EQ(found[0].created_at_ms, clock_.now_ms());
  EXPECT_FALSE(found[0].resource_type);
  EXPECT_FALSE(found[0].expires_at_ms);
  // Only the pinned CID itself counts as pinned here, not blocks inside its DAG.
  EXPECT_FALSE(*pins_->is_pinned(inner));
}

TEST_F(PinsTest, DirectPinNeedsOnlyItsBlock) {
  const Cid child = Cid::v1_sha256(ipld::kCodecRaw, "never stored");
  const Cid node = testing::put_pb_node({child}, sink());
  EXPECT_EQ(pin(child, false).code(), "NOT_FOUND");
  ASSERT_TRUE(pin(node, false).ok());
  EXPECT_EQ(pins_->find(node)->at(0).kind, PinKind::kDirect);
  EXPECT_EQ(pin(node, true).code(), "NOT_FOUND");  // recursive needs the child
}

TEST_F(PinsTest, RepinKeepsCreatedAtAndNeverWeakensRecursive) {
  const Cid cid = testing::put_raw("x", sink());
  ASSERT_TRUE(pin(cid, true).ok());
  const int64_t first = clock_.now_ms();
  clock_.advance_ms(5000);
  ASSERT_TRUE(pin(cid, false).ok());
  auto found = pins_->find(cid).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, PinKind::kRecursive);
  EXPECT_EQ(found[0].created_at_ms, first);
}

TEST_F(PinsTest, PoliciesValidateAndRoundTrip) {
  EXPECT_EQ(pins_->set_policy({"qdrive.file", PinPolicy::kTemporary, std::nullopt, std::nullopt}).code(),
            "VALIDATION_ERROR");
  EXPECT_EQ(pins_->set_policy({"qdrive.file", PinPolicy::kTemporary, 0, std::nullopt}).code(), "VALIDATION_ERROR");
  EXPECT_EQ(pins_->set_policy({"qdrive.file", PinPolicy::kPermanent, 10, std::nullopt}).code(), "VALIDATION_ERROR");
  EXPECT_EQ(pins_->set_policy({"qmail", PinPolicy::kConditional, std::nullopt, std::nullopt}).code(),
            "VALIDATION_ERROR");
  EXPECT_EQ(pins_->set_policy({"bad type!", PinPolicy::kPermanent, std::nullopt, std::nullopt}).code(),
            "VALIDATION_ERROR");
  EXPECT_EQ(pins_->set_policy({std::string(kMaxResourceTypeBytes + 1, 'a'), PinPolicy::kPermanent,
                               std::nullopt, std::nullopt})
                .code(),
            "VALIDATION_ERROR");

  const ResourcePinPolicy temp{"qdrive.file", PinPolicy::kTemporary, 60'000, std::nullopt};
  const ResourcePinPolicy cond{"qmail.message", PinPolicy::kConditional, std::nullopt, "retention < 30d"};
  ASSERT_TRUE(pins_->set_policy(temp).ok());
  ASSERT_TRUE(pins_->set_policy(cond).ok());
  EXPECT_EQ(*pins_->get_policy("qdrive.file"), temp);
  EXPECT_EQ(*pins_->get_policy("qmail.message"), cond);
  EXPECT_FALSE(pins_->get_policy("none.yet")->has_value());
  // Setting again replaces.
  const ResourcePinPolicy perm{"qdrive.file", PinPolicy::kPermanent, std::nullopt, std::nullopt};
  ASSERT_TRUE(pins_->set_policy(perm).ok());
  EXPECT_EQ(*pins_->get_policy("qdrive.file"), perm);
}

TEST_F(PinsTest, TemporaryPinsExpireAndRepinRefreshes) {
  ASSERT_TRUE(pins_->set_policy({"cache", PinPolicy::kTemporary, 1000, std::nullopt}).ok());
  const Cid cid = testing::put_raw("cached", sink());
  ASSERT_TRUE(pin(cid, true, "cache").ok());
  auto found = pins_->find(cid).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].policy, PinPolicy::kTemporary);
  EXPECT_EQ(found[0].resource_type, "cache");
  EXPECT_EQ(found[0].expires_at_ms, clock_.now_ms() + 1000);

  clock_.advance_ms(999);
  EXPECT_TRUE(*pins_->is_pinned(cid));
  clock_.advance_ms(1);
  EXPECT_FALSE(*pins_->is_pinned(cid));
  EXPECT_TRUE(pins_->list({})->pins.empty());
  PinListOptions all;
  all.include_expired = true;
  EXPECT_EQ(pins_->list(all)->pins.size(), 1u);

  ASSERT_TRUE(pin(cid, true, "cache").ok());  // refresh
  EXPECT_TRUE(*pins_->is_pinned(cid));
  EXPECT_EQ(pins_->find(cid)->at(0).expires_at_ms, clock_.now_ms() + 1000);

  clock_.advance_ms(1000);
  EXPECT_EQ(*pins_->drop_expired(clock_.now_ms()), 1);
  EXPECT_TRUE(pins_->list(all)->pins.empty());
}

TEST_F(PinsTest, EachResourceTypeHoldsItsOwnPin) {
  ASSERT_TRUE(pins_->set_policy({"qmail.message", PinPolicy::kConditional, std::nullopt, "until read"}).ok());
  const Cid cid = testing::put_raw("shared", sink());
  ASSERT_TRUE(pin(cid, true).ok());
  ASSERT_TRUE(pin(cid, false, "qmail.message").ok());
  auto found = pins_->find(cid).value();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].policy, PinPolicy::kConditional);

  ASSERT_TRUE(pins_->unpin(cid, "qmail.message").ok());
  EXPECT_TRUE(*pins_->is_pinned(cid));
  EXPECT_EQ(pins_->unpin(cid, "qmail.message").code(), "NOT_FOUND");
  ASSERT_TRUE(pin(cid, false, "qmail.message").ok());
  ASSERT_TRUE(pins_->unpin(cid).ok());  // every pin of the CID
  EXPECT_FALSE(*pins_->is_pinned(cid));
  EXPECT_EQ(pins_->unpin(cid).code(), "NOT_FOUND");
}

TEST_F(PinsTest, ListIsPaginatedAndBounded) {
  for (int i = 0; i < 25; ++i) {
    const Cid cid = testing::put_raw(std::string("p") + std::to_string(i), sink());
    ASSERT_TRUE(pin(cid, i % 3 != 0).ok());
    if (i % 5 == 0) {
      ASSERT_TRUE(pin(cid, false, "qindex.record").ok());
    }
  }
  PinListOptions options;
  options.limit = 10;
  std::vector<Pin> all;
  int pages = 0;
  while (true) {
    auto page = pins_->list(options);
    ASSERT_TRUE(page.ok()) << page.status().to_string();
    ++pages;
    all.insert(all.end(), page->pins.begin(), page->pins.end());
    if (!page->next_cursor) break;
    options.cursor = *page->next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all.size(), 30u);
  for (size_t i = 1; i < all.size(); ++i) {
    const auto a = std::pair(all[i - 1].cid.to_string(), all[i - 1].resource_type.value_or(""));
    const auto b = std::pair(all[i].cid.to_string(), all[i].resource_type.value_or(""));
    EXPECT_LT(a, b);
  }

  PinListOptions direct;
  direct.kind = PinKind::kDirect;
  direct.limit = kMaxPinPage;
  EXPECT_EQ(pins_->list(direct)->pins.size(), 9u + 5u);  // plain pins with i % 3 == 0, and every typed pin
  PinListOptions typed;
  typed.resource_type = "qindex.record";
  EXPECT_EQ(pins_->list(typed)->pins.size(), 5u);

  PinListOptions bad;
  bad.limit = 0;
  EXPECT_EQ(pins_->list(bad).status().code(), "VALIDATION_ERROR");
  bad.limit = kMaxPinPage + 1;
  EXPECT_EQ(pins_->list(bad).status().code(), "VALIDATION_ERROR");
  bad.limit = 10;
  bad.cursor = "no-slash";
  EXPECT_EQ(pins_->list(bad).status().code(), "VALIDATION_ERROR");
  bad.cursor = std::string(5000, 'x') + "/";
  EXPECT_EQ(pins_->list(bad).status().code(), "VALIDATION_ERROR");
}

TEST_F(PinsTest, ResourceTypeIsValidated) {
  const Cid cid = testing::put_raw("v", sink());
  EXPECT_EQ(pin(cid, true, "").code(), "VALIDATION_ERROR");
  EXPECT_EQ(pin(cid, true, "has space").code(), "VALIDATION_ERROR");
  EXPECT_TRUE(pin(cid, true, "qdrive:file/v1-x_y.z").ok());
}

TEST_F(PinsTest, PinNeedsThisNodesAddGuard) {
  const Cid cid = testing::put_raw("guarded", sink());
  GcLock other;
  // Our own bug, not bad input: an assert in debug builds, INTERNAL_ERROR otherwise.
  EXPECT_DEBUG_DEATH(
      {
        auto foreign = other.add_guard();
        EXPECT_EQ(pins_->pin(foreign, cid, true).code(), "INTERNAL_ERROR");
      },
      "add guard");
  EXPECT_FALSE(*pins_->is_pinned(cid));
}

}  // namespace
}  // namespace anarq
