#pragma once
// EventLog: the durable, append-only event log in the state database, which is
// also the transactional outbox. An event is appended inside the transaction of
// the state change it reports (append(tx, ...)), so it commits or rolls back
// with it; consumers read the log after commit, so nothing uncommitted is ever
// delivered and nothing committed is lost across a crash.
//
// One stream, "Q", captures every topic (`q.>`); its sequence is gap-free for
// appends (a per-stream counter row bumped inside the appending transaction, so
// commit order is sequence order) and survives restarts. Retention removes the
// oldest events by age and size per subject pattern; removed sequence numbers
// are never reused. This maps 1:1 onto a NATS JetStream stream for the
// scale-out adapter (topics are subjects, seq is the stream sequence).
//
//   auto seq = log.append(tx, envelope, schema_version);     // in the caller's tx
//   ReadFilter f; f.pattern = "q.qmail.>"; f.after_seq = 41;
//   auto page = log.read(f, 100);                             // events 42.. matching
//
// Thread-safety: all methods are safe from any thread (the Db serialises).
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/db.h"

namespace anarq::bus {

inline constexpr const char* kStreamName = "Q";
inline constexpr size_t kMaxEventBytes = 1 << 20;  // one serialised envelope
inline constexpr size_t kMaxReadLimit = 1000;      // events per read page

struct StoredEvent {
  int64_t seq = 0;
  std::string topic;
  int64_t time_ms = 0;
  std::string actor;     // actor.squidId
  int schema_version = 0;
  std::string envelope;  // the signed envelope, compact JSON
};

struct ReadFilter {
  std::string pattern = ">";  // NATS subject pattern
  int64_t after_seq = 0;      // events with seq > after_seq
  int64_t until_seq = 0;      // 0 = no upper bound; else seq <= until_seq
  int64_t since_ms = 0;       // 0 = no bound; else time >= since_ms
  int64_t until_ms = 0;       // 0 = no bound; else time < until_ms
  std::string actor;          // empty = any; else actor.squidId
};

struct ReadPage {
  std::vector<StoredEvent> events;
  int64_t cursor = 0;  // pass as after_seq to continue (the last seq examined)
  bool more = false;   // more rows may match beyond cursor
};

struct RetentionRule {
  std::string pattern;     // subject pattern; the first matching rule applies
  int64_t max_age_ms = 0;  // 0 = no age limit
  int64_t max_bytes = 0;   // 0 = no size limit (envelope bytes of matching events)
};

// "q.qchat.>=7d/64MiB;>=30d/1GiB": rules separated by ';', each
// pattern=age/size with age in ms|s|m|h|d (or 0) and size in B|KiB|MiB|GiB (or 0).
Result<std::vector<RetentionRule>> parse_retention(const std::string& text);

struct RetentionReport {
  int64_t removed_by_age = 0;
  int64_t removed_by_size = 0;
};

class EventLog {
 public:
  explicit EventLog(Db& db) : db_(db) {}
  // Module "bus": the stream, events, consumers and schema registry tables.
  static std::vector<Migration> migrations();

  // Appends in the caller's transaction; returns the event's sequence.
  // REQUIRES: envelope is a made (signed) event of at most kMaxEventBytes.
  Result<int64_t> append(Tx& tx, const Json& envelope, int schema_version);

  // At most `limit` (<= kMaxReadLimit) matching events in sequence order,
  // examining at most `max_scan` rows (a sparse pattern continues from cursor).
  Result<ReadPage> read(const ReadFilter& filter, size_t limit, size_t max_scan = 20'000);
  Result<StoredEvent> get(int64_t seq);
  // Newest first, for history pages that go backwards (before_seq 0 = head).
  Result<ReadPage> read_back(const ReadFilter& filter, int64_t before_seq, size_t limit, size_t max_scan = 20'000);

  Result<int64_t> last_seq();   // 0 when nothing was ever appended
  Result<int64_t> first_seq();  // oldest retained; 0 when empty
  // Retained events and their envelope bytes (for /metrics).
  Result<std::pair<int64_t, int64_t>> size();
  // The last sequence before the first event at or after t (replay "from a time").
  Result<int64_t> seq_before_time(int64_t t_ms);

  Result<RetentionReport> apply_retention(const std::vector<RetentionRule>& rules, int64_t now_ms);

 private:
  Result<ReadPage> scan(const ReadFilter& filter, bool backward, int64_t start, size_t limit, size_t max_scan);
  Db& db_;
};

}  // namespace anarq::bus
