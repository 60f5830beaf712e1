#include "store/db.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/ids.h"

namespace anarq {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("anarq-db-" + random_hex(6));
    std::filesystem::create_directories(dir_);
    reopen();
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    db_.reset();
    auto db = open_sqlite((dir_ / "state.db").string());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
  }
  std::vector<Migration> v1() { return {{1, "kv", "CREATE TABLE kv (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL)"}}; }
  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(SqliteDbTest, ConfiguredForDurability) {
  auto mode = db_->query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->rows[0].str(0), "wal");
  EXPECT_EQ(db_->query("PRAGMA synchronous")->rows[0].i64(0), 2);  // FULL
  EXPECT_EQ(db_->query("PRAGMA foreign_keys")->rows[0].i64(0), 1);
  EXPECT_TRUE(db_->ping().ok());
  EXPECT_EQ(db_->backend(), "sqlite");
}

TEST_F(SqliteDbTest, MigrationsRunOnceAndAreRecorded) {
  ASSERT_TRUE(db_->migrate("m", v1()).ok());
  EXPECT_EQ(*db_->schema_version("m"), 1);
  ASSERT_TRUE(db_->migrate("m", v1()).ok());  // idempotent
  auto v2 = v1();
  v2.push_back({2, "index", "CREATE INDEX kv_v ON kv (v)"});
  ASSERT_TRUE(db_->migrate("m", v2).ok());
  EXPECT_EQ(*db_->schema_version("m"), 2);
  EXPECT_EQ(*db_->schema_version("other"), 0);
}

TEST_F(SqliteDbTest, RefusesDowngradeAndDisorder) {
  auto v2 = v1();
  v2.push_back({2, "more", "CREATE TABLE more (x INTEGER)"});
  ASSERT_TRUE(db_->migrate("m", v2).ok());
  EXPECT_FALSE(db_->migrate("m", v1()).ok());
  EXPECT_FALSE(db_->migrate("n", {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}}).ok());
}

TEST_F(SqliteDbTest, FailedMigrationLeavesNothingBehind) {
  Status s = db_->migrate("m", {{1, "bad", "CREATE TABLE t1 (x INTEGER); CREATE TABLE broken ("}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*db_->schema_version("m"), 0);
  EXPECT_TRUE(db_->query("SELECT name FROM sqlite_master WHERE name = 't1'")->empty());
}

TEST_F(SqliteDbTest, TransactionCommitsOrRollsBackWhole) {
  ASSERT_TRUE(db_->migrate("m", v1()).ok());
  Status ok = db_->transaction([](Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO kv (k, v) VALUES (?, ?)", {std::string("a"), std::string("1")});
    return r.ok() ? Status() : r.status();
  });
  ASSERT_TRUE(ok.ok());
  Status failed = db_->transaction([](Tx& tx) -> Status {
    (void)tx.exec("INSERT INTO kv (k, v) VALUES (?, ?)", {std::string("b"), std::string("2")});
    return Status(ErrorCode::kVersionConflict, "changed my mind");
  });
  EXPECT_EQ(failed.code(), "VERSION_CONFLICT");
  EXPECT_THROW(db_->transaction([](Tx& tx) -> Status {
    (void)tx.exec("INSERT INTO kv (k, v) VALUES (?, ?)", {std::string("c"), std::string("3")});
    throw std::runtime_error("boom");
  }), std::runtime_error);
  auto rows = db_->query("SELECT k FROM kv ORDER BY k");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->rows[0].str(0), "a");
}

TEST_F(SqliteDbTest, CommittedDataSurvivesReopen) {
  ASSERT_TRUE(db_->migrate("m", v1()).ok());
  ASSERT_TRUE(db_->transaction([](Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO kv (k, v) VALUES (?, ?)", {std::string("k"), std::string("v")});
    return r.ok() ? Status() : r.status();
  }).ok());
  reopen();
  EXPECT_EQ(db_->query("SELECT v FROM kv WHERE k = ?", {std::string("k")})->rows[0].str(0), "v");
}

TEST_F(SqliteDbTest, ValueTypesRoundTrip) {
  ASSERT_TRUE(db_->migrate("m", {{1, "t", "CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)"}}).ok());
  std::string bytes("\x00\x01\xff", 3);
  ASSERT_TRUE(db_->transaction([&](Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", {int64_t{-7}, 2.5, std::string("s"), Blob{bytes}, nullptr});
    return r.ok() ? Status() : r.status();
  }).ok());
  auto rows = db_->query("SELECT i, d, s, b, n FROM t");
  const Row& r = rows->rows[0];
  EXPECT_EQ(r.i64(0), -7);
  EXPECT_EQ(std::get<double>(r.at(1)), 2.5);
  EXPECT_EQ(r.str(2), "s");
  EXPECT_EQ(std::get<Blob>(r.at(3)).bytes, bytes);
  EXPECT_TRUE(r.is_null(4));
  EXPECT_EQ((*rows->columns)[2], "s");
}

TEST_F(SqliteDbTest, BadSqlIsAnErrorNotACrash) {
  auto r = db_->query("SELEC nonsense");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "INTERNAL_ERROR");
}

TEST(SqliteOpenTest, UnopenablePathIsServiceUnavailable) {
  auto db = open_sqlite("/proc/definitely/not/here/state.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), "SERVICE_UNAVAILABLE");
}

}  // namespace
}  // namespace anarq
