#include "store/content.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/ids.h"
#include "ipld/multicodec.h"

namespace anarq {
namespace {

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("anarq-content-" + random_hex(6))).string();
    std::filesystem::create_directories(dir_);
    auto db = open_sqlite(dir_ + "/state.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    auto cs = ContentStore::open(dir_, *db_, clock_);
    ASSERT_TRUE(cs.ok()) << cs.status().to_string();
    cs_ = std::move(*cs);
  }
  void TearDown() override {
    cs_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  static std::string bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }
  std::string dir_;
  ManualClock clock_{1'764'079'200'000};
  std::unique_ptr<Db> db_;
  std::unique_ptr<ContentStore> cs_;
};

TEST_F(ContentStoreTest, RecordsRoundTripAsVerifiedDagCbor) {
  Json rec = {{"kind", "receipt"}, {"amount", 5}, {"tags", {"a", "b"}}};
  auto cid = cs_->put_record(rec, "qwallet:receipt");
  ASSERT_TRUE(cid.ok()) << cid.status().to_string();
  EXPECT_EQ(cid->codec(), ipld::kCodecDagCbor);
  EXPECT_EQ(cid->to_string().rfind("bafyrei", 0), 0u);
  EXPECT_EQ(*cs_->get_record(*cid), rec);
  EXPECT_FALSE(cs_->get_record(ipld::Cid::v1_sha256(ipld::kCodecRaw, "x")).ok());
  // Pinned under its resource type: GC keeps it.
  ASSERT_TRUE(cs_->gc().ok());
  EXPECT_TRUE(cs_->get_record(*cid).ok());
  // An unpinned record is collected.
  auto loose = cs_->put_record({{"n", 1}});
  ASSERT_TRUE(cs_->gc().ok());
  EXPECT_EQ(cs_->get_record(*loose).status().code(), "NOT_FOUND");
}

TEST_F(ContentStoreTest, FilesStreamInAndRangesStreamOut) {
  std::string data = bytes(700'000, 1);
  auto w = cs_->add_file({});
  ASSERT_TRUE(w.ok());
  for (size_t off = 0; off < data.size(); off += 99'999)
    ASSERT_TRUE((*w)->write(std::string_view(data).substr(off, 99'999)).ok());
  auto added = (*w)->finish();
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  EXPECT_EQ(added->file_size, data.size());
  auto reader = cs_->open_file(added->cid);
  ASSERT_TRUE(reader.ok());
  reader->seek(262'000, 1000);
  std::string out, piece;
  for (;;) {
    auto more = reader->next(piece);
    ASSERT_TRUE(more.ok());
    out += piece;
    if (!*more) break;
  }
  EXPECT_EQ(out, data.substr(262'000, 1000));
  EXPECT_TRUE(*cs_->pins().is_pinned(added->cid));
}

TEST_F(ContentStoreTest, OnlyHashStoresNothing) {
  AddOptions o;
  o.only_hash = true;
  auto added = cs_->add_bytes(bytes(300'000, 2), o);
  ASSERT_TRUE(added.ok());
  EXPECT_FALSE(*cs_->blocks().has(added->cid));
  EXPECT_EQ(cs_->blocks().stats()->blocks, 0u);
}

TEST_F(ContentStoreTest, BatchedBlocksAppearOnlyAtCommit) {
  std::string block = "batched block";
  ipld::Cid cid = ipld::Cid::v1_sha256(ipld::kCodecRaw, block);
  {
    auto batch = cs_->blocks().batch();
    ASSERT_TRUE(batch->put(cid, block).ok());
    EXPECT_FALSE(*cs_->blocks().has(cid));  // not visible before commit
  }  // dropped uncommitted: nothing left behind
  EXPECT_FALSE(*cs_->blocks().has(cid));
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/blocks")) files += e.is_regular_file() && e.path().filename() != "SHARDING";
  EXPECT_EQ(files, 0u);
  auto batch = cs_->blocks().batch();
  ASSERT_TRUE(batch->put(cid, block).ok());
  EXPECT_FALSE(batch->put(cid, "other bytes").ok());  // still hash-checked
  ASSERT_TRUE(batch->commit().ok());
  EXPECT_EQ(*cs_->blocks().get(cid), block);
}

TEST_F(ContentStoreTest, TemporaryPolicyExpires) {
  ASSERT_TRUE(cs_->pins().set_policy({"qchat:attachment", PinPolicy::kTemporary, 60'000, std::nullopt}).ok());
  AddOptions o;
  o.resource_type = "qchat:attachment";
  auto added = cs_->add_bytes(bytes(1000, 3), o);
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(cs_->gc().ok());
  EXPECT_TRUE(*cs_->blocks().has(added->cid));
  clock_.advance_ms(61'000);
  ASSERT_TRUE(cs_->gc().ok());
  EXPECT_FALSE(*cs_->blocks().has(added->cid));
}

}  // namespace
}  // namespace anarq
