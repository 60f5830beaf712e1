#pragma once
// Db: the state store every module writes through. SQL with `?` placeholders,
// written to run on SQLite and PostgreSQL alike (no SQLite-only syntax in
// module migrations). Embedded default: SQLite in WAL mode with
// synchronous=FULL, so a committed transaction survives power loss.
//
// Thread-safety: a Db is safe to share; transactions are serialised (one writer,
// as SQLite allows). A Tx must not escape the callback it was handed to.
//
//   auto db = open_sqlite(dir + "/state.db");
//   ANARQ_RETURN_IF_ERROR(db->migrate("node", {{1, "create meta", "CREATE TABLE ..."}}));
//   Status s = db->transaction([&](Tx& tx) -> Status {
//     auto r = tx.exec("INSERT INTO node_meta(k, v) VALUES (?, ?)", {"id", id});
//     return r.ok() ? Status() : r.status();
//   });
//   auto rows = db->query("SELECT v FROM node_meta WHERE k = ?", {"id"});
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"

namespace anarq {

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

struct Row {
  std::vector<std::string>* columns = nullptr;  // shared by every row of one result
  std::vector<Value> values;

  const Value& at(size_t i) const { return values.at(i); }
  // REQUIRES: the column holds that type (checked; wrong type throws std::bad_variant_access).
  int64_t i64(size_t i) const { return std::get<int64_t>(values.at(i)); }
  const std::string& str(size_t i) const { return std::get<std::string>(values.at(i)); }
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(values.at(i)); }
};

struct Rows {
  std::shared_ptr<std::vector<std::string>> columns;
  std::vector<Row> rows;
  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
  const Row& operator[](size_t i) const { return rows[i]; }
};

class Tx {
 public:
  virtual ~Tx() = default;
  // Runs a statement; returns the number of rows changed.
  virtual Result<int64_t> exec(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  virtual Result<Rows> query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // Runs fn after this transaction has committed durably, in registration
  // order, on the committing thread; dropped when it rolls back (the
  // transactional outbox wakes its dispatcher this way). fn must not throw or
  // open a transaction of its own.
  virtual void after_commit(std::function<void()> fn) = 0;
};

struct Migration {
  int version;       // 1, 2, 3 ... strictly increasing per module
  std::string name;  // one line, stored with the applied version
  std::string sql;   // one or more statements separated by ';'
};

class Db {
 public:
  virtual ~Db() = default;
  // Runs fn in one transaction: commits (durably) when fn returns OK, rolls back
  // otherwise or when fn throws (the exception propagates after rollback).
  virtual Status transaction(const std::function<Status(Tx&)>& fn) = 0;
  // A read outside any explicit transaction.
  virtual Result<Rows> query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // Applies the module's migrations newer than its recorded version, each in its
  // own transaction with its bookkeeping row. Refuses a database that is ahead of
  // the code (a downgrade) and a list that is not strictly increasing.
  virtual Status migrate(const std::string& module, const std::vector<Migration>& migrations) = 0;
  // Current applied version for a module (0 = none).
  virtual Result<int> schema_version(const std::string& module) = 0;
  // Cheap round trip, for health checks.
  virtual Status ping() = 0;
  virtual std::string backend() const = 0;
};

// Opens (creating if needed) a SQLite database file. SERVICE_UNAVAILABLE when
// the file cannot be opened or configured.
Result<std::unique_ptr<Db>> open_sqlite(const std::string& path);

}  // namespace anarq
