// SQLite backend of Db (SQLiteCpp). One connection, serialised by a mutex:
// SQLite admits one writer at a time anyway, and WAL lets external readers
// (backups, sqlite3 shell) proceed. Prepared statements are cached per SQL text.
#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <mutex>

#include "core/clock.h"
#include "store/db.h"

namespace anarq {
namespace {

constexpr size_t kMaxCachedStatements = 256;

class SqliteDb;

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(SqliteDb& db, bool reader = false) : db_(db), reader_(reader) {}
  Result<int64_t> exec(const std::string& sql, const std::vector<Value>& params) override;
  Result<Rows> query(const std::string& sql, const std::vector<Value>& params) override;
  void after_commit(std::function<void()> fn) override { on_commit_.push_back(std::move(fn)); }
  std::vector<std::function<void()>>& on_commit() { return on_commit_; }

 private:
  SqliteDb& db_;
  bool reader_;  // statements on the read-only connection
  std::vector<std::function<void()>> on_commit_;
};

Status db_error(const std::string& what, const std::exception& e) {
  return Status(ErrorCode::kInternalError, what + ": " + e.what());
}

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(const std::string& path)
      : conn_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {
    conn_.setBusyTimeout(5000);
    conn_.exec("PRAGMA journal_mode=WAL");
    conn_.exec("PRAGMA synchronous=FULL");
    conn_.exec("PRAGMA foreign_keys=ON");
    conn_.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,"
        " PRIMARY KEY (module, version))");
    // Reads outside transactions go to a second, read-only connection: under
    // WAL they see every committed transaction and do not wait for a writer's
    // commit (fsync) to finish. An in-memory database is private to its
    // connection, so it keeps one.
    if (path != ":memory:" && path.rfind("file::memory:", 0) != 0) {
      reader_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
      reader_->setBusyTimeout(5000);
      reader_->exec("PRAGMA synchronous=FULL");  // per connection: keep PRAGMA answers the same on both
      reader_->exec("PRAGMA foreign_keys=ON");
    }
  }

  Status transaction(const std::function<Status(Tx&)>& fn) override {
    std::vector<std::function<void()>> hooks;
    Status s;
    {
      std::lock_guard lock(mu_);
      s = transaction_locked(fn, &hooks);
    }
    // Outside the lock: a hook may read the database (never write it).
    if (s.ok())
      for (auto& h : hooks) h();
    return s;
  }

  Result<Rows> query(const std::string& sql, const std::vector<Value>& params) override {
    if (reader_) {
      std::lock_guard lock(read_mu_);
      SqliteTx tx(*this, /*reader=*/true);
      return tx.query(sql, params);
    }
    std::lock_guard lock(mu_);
    return query_locked(sql, params);
  }

  Status migrate(const std::string& module, const std::vector<Migration>& migrations) override {
    std::lock_guard lock(mu_);
    for (size_t i = 1; i < migrations.size(); ++i)
      if (migrations[i].version <= migrations[i - 1].version)
        return Status::internal("migrations of " + module + " are not strictly increasing");
    auto current = version_locked(module);
    if (!current.ok()) return current.status();
    int known = migrations.empty() ? 0 : migrations.back().version;
    if (*current > known)
      return Status::unavailable("database schema of module " + module + " is at version " +
                                 std::to_string(*current) + ", newer than this binary knows (" +
                                 std::to_string(known) + "); refusing to downgrade");
    for (const auto& m : migrations) {
      if (m.version <= *current) continue;
      Status s = transaction_locked([&](Tx& tx) -> Status {
        try {
          conn_.exec(m.sql);
        } catch (const std::exception& e) {
          return db_error("migration " + module + " v" + std::to_string(m.version) + " failed", e);
        }
        auto r = tx.exec("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)",
                         {module, int64_t{m.version}, m.name, format_rfc3339_ms(SystemClock::instance().now_ms())});
        return r.ok() ? Status() : r.status();
      });
      if (!s.ok()) return s;
    }
    return {};
  }

  Result<int> schema_version(const std::string& module) override {
    std::lock_guard lock(mu_);
    return version_locked(module);
  }

  Status ping() override {
    std::lock_guard lock(mu_);
    auto r = query_locked("SELECT 1", {});
    return r.ok() ? Status() : r.status();
  }

  std::string backend() const override { return "sqlite"; }

  // Called with mu_ held (read_mu_ for the reader).
  SQLite::Statement& statement(const std::string& sql, bool reader) {
    auto& cache = reader ? read_cache_ : cache_;
    auto it = cache.find(sql);
    if (it == cache.end()) {
      if (cache.size() >= kMaxCachedStatements) cache.clear();
      it = cache.emplace(sql, std::make_unique<SQLite::Statement>(reader ? *reader_ : conn_, sql)).first;
    }
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
  }

 private:
  Status transaction_locked(const std::function<Status(Tx&)>& fn,
                            std::vector<std::function<void()>>* hooks = nullptr) {
    try {
      // IMMEDIATE: take the write lock up front, so a transaction that reads
      // and then writes waits for another process's writer (busy timeout)
      // instead of failing with SQLITE_BUSY_SNAPSHOT halfway.
      SQLite::Transaction txn(conn_, SQLite::TransactionBehavior::IMMEDIATE);  // rolls back unless committed
      SqliteTx tx(*this);
      Status s = fn(tx);
      if (!s.ok()) return s;
      txn.commit();
      if (hooks) *hooks = std::move(tx.on_commit());
      return {};
    } catch (const SQLite::Exception& e) {
      return db_error("transaction failed", e);
    }
  }

  Result<Rows> query_locked(const std::string& sql, const std::vector<Value>& params) {
    SqliteTx tx(*this);
    return tx.query(sql, params);
  }

  Result<int> version_locked(const std::string& module) {
    auto r = query_locked("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = ?", {module});
    if (!r.ok()) return r.status();
    return static_cast<int>(r->rows.at(0).i64(0));
  }

  std::mutex mu_;
  SQLite::Database conn_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> cache_;
  std::mutex read_mu_;
  std::unique_ptr<SQLite::Database> reader_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> read_cache_;
};

void bind_all(SQLite::Statement& st, const std::vector<Value>& params) {
  int i = 1;
  for (const auto& v : params) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) st.bind(i);
          else if constexpr (std::is_same_v<T, int64_t>) st.bind(i, x);
          else if constexpr (std::is_same_v<T, double>) st.bind(i, x);
          else if constexpr (std::is_same_v<T, std::string>) st.bind(i, x);
          else st.bind(i, x.bytes.data(), static_cast<int>(x.bytes.size()));
        },
        v);
    ++i;
  }
}

Result<int64_t> SqliteTx::exec(const std::string& sql, const std::vector<Value>& params) {
  try {
    auto& st = db_.statement(sql, reader_);
    bind_all(st, params);
    return static_cast<int64_t>(st.exec());
  } catch (const std::exception& e) {
    return db_error("statement failed", e);
  }
}

Result<Rows> SqliteTx::query(const std::string& sql, const std::vector<Value>& params) {
  try {
    auto& st = db_.statement(sql, reader_);
    bind_all(st, params);
    Rows out;
    out.columns = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < st.getColumnCount(); ++c) out.columns->push_back(st.getColumnName(c));
    while (st.executeStep()) {
      Row row;
      row.columns = out.columns.get();
      for (int c = 0; c < st.getColumnCount(); ++c) {
        SQLite::Column col = st.getColumn(c);
        if (col.isNull()) row.values.emplace_back(nullptr);
        else if (col.isInteger()) row.values.emplace_back(static_cast<int64_t>(col.getInt64()));
        else if (col.isFloat()) row.values.emplace_back(col.getDouble());
        else if (col.isBlob()) row.values.emplace_back(Blob{std::string(static_cast<const char*>(col.getBlob()), col.getBytes())});
        else row.values.emplace_back(col.getString());
      }
      out.rows.push_back(std::move(row));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("query failed", e);
  }
}

}  // namespace

Result<std::unique_ptr<Db>> open_sqlite(const std::string& path) {
  try {
    return std::unique_ptr<Db>(std::make_unique<SqliteDb>(path));
  } catch (const std::exception& e) {
    return Status::unavailable("cannot open state database " + path + ": " + e.what());
  }
}

}  // namespace anarq
