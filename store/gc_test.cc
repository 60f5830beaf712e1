#include "store/gc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "ipld/multibase.h"
#include "ipld/multicodec.h"
#include "store/testing.h"

namespace anarq {
namespace {

using ipld::Cid;
using testing::TempDir;

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_ / "state.db").value();
    blocks_ = open_fs_blockstore(dir_ / "blocks").value();
    pins_ = Pins::open(*db_, *blocks_, clock_).value();
    gc_ = std::make_unique<Gc>(*pins_);
  }

  ipld::BlockSink sink() {
    return [this](const Cid& cid, std::string_view bytes) { return blocks_->put(cid, bytes); };
  }
  Status pin(const Cid& cid, bool recursive, std::optional<std::string> rt = std::nullopt) {
    auto guard = gc_->add_guard();
    return pins_->pin(guard, cid, recursive, std::move(rt));
  }
  bool has(const Cid& cid) { return *blocks_->has(cid); }
  std::string path_of(const Cid& cid) {
    const std::string key = ipld::base32_encode(cid.multihash().bytes(), true);
    return dir_ / ("blocks/" + key.substr(key.size() - 3, 2) + "/" + key + ".data");
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Db> db_;
  std::unique_ptr<Blockstore> blocks_;
  std::unique_ptr<Pins> pins_;
  std::unique_ptr<Gc> gc_;
};

TEST_F(GcTest, SweepsWhatNoLivePinReaches) {
  ASSERT_TRUE(pins_->set_policy({"cache", PinPolicy::kTemporary, 1000, std::nullopt}).ok());
  ASSERT_TRUE(pins_->set_policy({"qmail.message", PinPolicy::kConditional, std::nullopt, "until read"}).ok());

  // Recursively pinned: a dag-pb node over two raw leaves, under a dag-cbor root.
  const Cid leaf1 = testing::put_raw("leaf one", sink());
  const Cid shared = testing::put_raw("shared leaf", sink());
  const Cid mid = testing::put_pb_node({leaf1, shared}, sink());
  const Cid root = testing::put_cbor_node({mid}, 1, sink());
  // Direct pin: the node stays, its child does not.
  const Cid orphan_child = testing::put_raw("child of a direct pin", sink());
  const Cid direct = testing::put_pb_node({orphan_child}, sink());
  // Garbage, one block of it shared with the pinned DAG.
  const Cid garbage_leaf = testing::put_raw("garbage!", sink());
  const Cid garbage = testing::put_cbor_node({garbage_leaf, shared}, 2, sink());
  // An expired temporary pin and a live conditional one.
  const Cid temp_leaf = testing::put_raw("temp", sink());
  const Cid temp = testing::put_cbor_node({temp_leaf}, 3, sink());
  const Cid cond = testing::put_raw("conditional", sink());

  ASSERT_TRUE(pin(root, true).ok());
  ASSERT_TRUE(pin(direct, false).ok());
  ASSERT_TRUE(pin(temp, true, "cache").ok());
  ASSERT_TRUE(pin(cond, true, "qmail.message").ok());

  // Before expiry the temporary pin protects its DAG.
  const uint64_t garbage_bytes = *blocks_->size(orphan_child) + *blocks_->size(garbage_leaf) + *blocks_->size(garbage);
  Result<GcReport> first = gc_->run();
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->blocks_removed, 3u);  // orphan_child, garbage_leaf, garbage
  EXPECT_EQ(first->bytes_freed, garbage_bytes);
  EXPECT_EQ(first->expired_pins_dropped, 0u);
  EXPECT_FALSE(has(orphan_child));
  EXPECT_FALSE(has(garbage_leaf));
  EXPECT_FALSE(has(garbage));
  EXPECT_TRUE(has(temp) && has(temp_leaf));

  clock_.advance_ms(1000);
  const uint64_t temp_bytes = *blocks_->size(temp) + *blocks_->size(temp_leaf);
  Result<GcReport> second = gc_->run();
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->blocks_removed, 2u);
  EXPECT_EQ(second->bytes_freed, temp_bytes);
  EXPECT_EQ(second->expired_pins_dropped, 1u);
  EXPECT_EQ(second->blocks_kept, 6u);  // root, mid, leaf1, shared, direct, cond
  EXPECT_EQ(second->remove_failures, 0u);
  EXPECT_FALSE(has(temp));
  EXPECT_FALSE(has(temp_leaf));
  for (const Cid& kept : {root, mid, leaf1, shared, direct, cond}) EXPECT_TRUE(has(kept)) << kept;
  EXPECT_FALSE(*pins_->is_pinned(temp));

  Result<GcReport> third = gc_->run();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->blocks_removed, 0u);
  EXPECT_EQ(blocks_->stats()->blocks, 6u);
}

TEST_F(GcTest, ReportsExactBytesFreed) {
  const Cid a = testing::put_raw(std::string(1000, 'a'), sink());
  const Cid b = testing::put_raw(std::string(234, 'b'), sink());
  const Cid keep = testing::put_raw("keep", sink());
  ASSERT_TRUE(pin(keep, false).ok());
  Result<GcReport> r = gc_->run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blocks_removed, 2u);
  EXPECT_EQ(r->bytes_freed, 1234u);
  EXPECT_EQ(r->blocks_kept, 1u);
  EXPECT_GE(r->duration_ms, 0);
  EXPECT_FALSE(has(a) || has(b));
}

TEST_F(GcTest, AbortsWithoutRemovingAnythingWhenAPinnedDagCannotBeRead) {
  const Cid leaf = testing::put_raw("leaf", sink());
  const Cid node = testing::put_pb_node({leaf}, sink());
  const Cid root = testing::put_cbor_node({node}, 1, sink());
  ASSERT_TRUE(pin(root, true).ok());
  const Cid garbage = testing::put_raw("garbage", sink());

  // Corrupt the inner node on disk.
  std::string bytes = *blocks_->get(node);
  bytes[0] ^= 0x40;
  std::ofstream(path_of(node), std::ios::binary | std::ios::trunc) << bytes;

  Result<GcReport> r = gc_->run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "INTERNAL_ERROR");
  EXPECT_NE(r.status().message().find("gc aborted"), std::string::npos);
  EXPECT_NE(r.status().message().find(root.to_string()), std::string::npos);
  EXPECT_NE(r.status().message().find("block " + node.to_string() + " is corrupted on disk"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(has(garbage));

  // A missing block stops it too.
  ASSERT_TRUE(blocks_->remove(node).ok());
  r = gc_->run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("block " + node.to_string() + " is not in the local blockstore"),
            std::string::npos)
      << r.status().message();
  EXPECT_TRUE(has(garbage));
}

TEST_F(GcTest, AGcWaitingOnAnAdderNeverSweepsItsBlocks) {
  std::optional<GcLock::AddGuard> guard(gc_->add_guard());
  const Cid root = testing::put_cbor_node({testing::put_raw("in flight", sink())}, 1, sink());
  Result<GcReport> report = Status::internal("not run");
  std::thread gc([&] { report = gc_->run(); });
  // Whether or not the GC has started waiting yet, it cannot sweep before the
  // pin lands: it needs the guard released.
  ASSERT_TRUE(pins_->pin(*guard, root, true).ok());
  guard.reset();
  gc.join();
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->blocks_removed, 0u);
  EXPECT_TRUE(has(root));
}

// Adders add-and-pin random DAGs (and some garbage, and unpin some of their
// DAGs) while the GC runs over and over; afterwards every pinned DAG is whole
// and everything else is gone.
TEST(GcConcurrency, AddersAndRepeatedGcNeverLoseAPinnedBlock) {
  TempDir dir;
  auto db = open_sqlite(dir / "state.db").value();
  auto blocks = open_fs_blockstore(dir / "blocks").value();
  auto pins = Pins::open(*db, *blocks, SystemClock::instance()).value();
  Gc gc(*pins);
  ipld::BlockSink sink = [&](const Cid& cid, std::string_view bytes) { return blocks->put(cid, bytes); };

  constexpr int kAdders = 4;
  constexpr int kDagsPerAdder = 8;
  std::mutex mu;
  std::vector<Cid> pinned;
  std::vector<std::string> errors;
  auto fail = [&](std::string what) {
    std::lock_guard lock(mu);
    errors.push_back(std::move(what));
  };
  std::atomic<int> adders_left{kAdders};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAdders; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      std::vector<Cid> mine;
      for (int i = 0; i < kDagsPerAdder; ++i) {
        {
          auto guard = gc.add_guard();
          const Cid root = testing::put_random_dag(rng, sink);
          if (Status s = pins->pin(guard, root, true); !s.ok()) fail("pin: " + s.to_string());
          mine.push_back(root);
        }
        if (i % 3 == 1) (void)testing::put_random_dag(rng, sink);  // garbage, never pinned
        if (i % 4 == 3) {  // let one go
          if (Status s = pins->unpin(mine.front()); !s.ok()) fail("unpin: " + s.to_string());
          mine.erase(mine.begin());
        }
      }
      std::lock_guard lock(mu);
      pinned.insert(pinned.end(), mine.begin(), mine.end());
      --adders_left;
    });
  }
  int runs = 0;
  std::thread collector([&] {
    while (adders_left.load() > 0 || runs == 0) {
      Result<GcReport> r = gc.run();
      if (!r.ok()) fail("gc: " + r.status().to_string());
      ++runs;
    }
  });
  for (auto& t : threads) t.join();
  collector.join();
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_GE(runs, 1);

  ASSERT_TRUE(gc.run().ok());
  // Every pinned DAG is complete, every block re-hashed on the way.
  std::set<std::string> reachable;
  ipld::DagWalker walker(full_getter(*blocks));
  for (const Cid& root : pinned) {
    Status s = walker.walk(root, [&](const Cid& cid, std::string_view) {
      reachable.insert(cid.multihash().bytes());
      return Status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  EXPECT_EQ(pinned.size(), static_cast<size_t>(kAdders * (kDagsPerAdder - kDagsPerAdder / 4)));
  // ...and nothing else is left.
  EXPECT_EQ(blocks->stats()->blocks, reachable.size());
}

}  // namespace
}  // namespace anarq
