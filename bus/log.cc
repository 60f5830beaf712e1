#include "bus/log.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "bus/topic.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/json.h"

namespace anarq::bus {
namespace {

constexpr size_t kScanBatch = 512;
constexpr size_t kRetentionBatch = 1000;
constexpr size_t kInChunk = 200;

// Rows come back as (seq, topic, time_ms, actor, schema_version, envelope).
const char* kColumns = "seq, topic, time_ms, actor, schema_version, envelope";

StoredEvent to_event(const Row& r) {
  StoredEvent e;
  e.seq = r.i64(0);
  e.topic = r.str(1);
  e.time_ms = r.i64(2);
  e.actor = r.is_null(3) ? "" : r.str(3);
  e.schema_version = static_cast<int>(r.i64(4));
  e.envelope = r.str(5);
  return e;
}

// The literal tokens of a pattern before its first wildcard, as a topic range
// [lo, hi): "q.qmail.>" -> ["q.qmail.", "q.qmail/"). Empty when the pattern
// starts with a wildcard. Needs bytewise comparison of `topic` (SQLite's
// BINARY; on PostgreSQL the column must be COLLATE "C").
void literal_range(const std::string& pattern, std::string& lo, std::string& hi) {
  size_t end = 0;
  while (end < pattern.size()) {
    size_t dot = pattern.find('.', end);
    std::string_view tok = std::string_view(pattern).substr(end, dot == std::string::npos ? std::string::npos : dot - end);
    if (tok == "*" || tok == ">") break;
    if (dot == std::string::npos) {
      end = pattern.size();
      break;
    }
    end = dot + 1;
  }
  lo = pattern.substr(0, end);
  hi = lo;
  if (!hi.empty()) hi.back() = static_cast<char>(hi.back() + 1);
}

bool has_wildcard(const std::string& p) {
  return p == "*" || p == ">" || p.find(".*") != std::string::npos || p.find(".>") != std::string::npos ||
         p.rfind("*.", 0) == 0 || p.rfind(">.", 0) == 0;
}

struct Where {
  std::string sql;
  std::vector<Value> params;
};

Where where_of(const ReadFilter& f) {
  Where w;
  w.sql = " WHERE stream = ?";
  w.params.emplace_back(std::string(kStreamName));
  if (!has_wildcard(f.pattern)) {
    w.sql += " AND topic = ?";
    w.params.emplace_back(f.pattern);
  } else {
    std::string lo, hi;
    literal_range(f.pattern, lo, hi);
    if (!lo.empty()) {
      w.sql += " AND topic >= ? AND topic < ?";
      w.params.emplace_back(lo);
      w.params.emplace_back(hi);
    }
  }
  if (f.since_ms > 0) {
    w.sql += " AND time_ms >= ?";
    w.params.emplace_back(f.since_ms);
  }
  if (f.until_ms > 0) {
    w.sql += " AND time_ms < ?";
    w.params.emplace_back(f.until_ms);
  }
  if (!f.actor.empty()) {
    w.sql += " AND actor = ?";
    w.params.emplace_back(f.actor);
  }
  return w;
}

Result<int64_t> parse_scaled(std::string_view text, bool duration) {
  if (text == "0") return int64_t{0};
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, n);
  if (i == 0 || ec != std::errc() || n < 0) return Status::validation("bad number in '" + std::string(text) + "'");
  std::string_view unit = text.substr(i);
  int64_t mul = 0;
  if (duration) {
    if (unit == "ms") mul = 1;
    else if (unit == "s") mul = 1000;
    else if (unit == "m") mul = 60'000;
    else if (unit == "h") mul = 3'600'000;
    else if (unit == "d") mul = 86'400'000;
  } else {
    if (unit == "B" || unit.empty()) mul = 1;
    else if (unit == "KiB") mul = int64_t{1} << 10;
    else if (unit == "MiB") mul = int64_t{1} << 20;
    else if (unit == "GiB") mul = int64_t{1} << 30;
  }
  if (mul == 0)
    return Status::validation("unknown unit '" + std::string(unit) + "' in '" + std::string(text) +
                              (duration ? "' (ms, s, m, h, d)" : "' (B, KiB, MiB, GiB)"));
  if (n > INT64_MAX / mul) return Status::validation("'" + std::string(text) + "' is too large");
  return n * mul;
}

}  // namespace

Result<std::vector<RetentionRule>> parse_retention(const std::string& text) {
  std::vector<RetentionRule> rules;
  for (const auto& item : split_list(text, ';')) {
    if (item.empty()) continue;
    size_t eq = item.rfind('=');
    size_t slash = item.rfind('/');
    if (eq == std::string::npos || slash == std::string::npos || slash < eq)
      return Status::validation("retention rule '" + item + "' is not pattern=age/size, e.g. q.qchat.>=7d/64MiB");
    RetentionRule r;
    r.pattern = item.substr(0, eq);
    ANARQ_RETURN_IF_ERROR(validate_subject_pattern(r.pattern));
    auto age = parse_scaled(std::string_view(item).substr(eq + 1, slash - eq - 1), true);
    if (!age.ok()) return age.status();
    auto size = parse_scaled(std::string_view(item).substr(slash + 1), false);
    if (!size.ok()) return size.status();
    r.max_age_ms = *age;
    r.max_bytes = *size;
    rules.push_back(std::move(r));
    if (rules.size() > 64) return Status::validation("at most 64 retention rules");
  }
  return rules;
}

std::vector<Migration> EventLog::migrations() {
  return {
      {1, "event stream, log and durable consumers",
       "CREATE TABLE bus_streams (name TEXT PRIMARY KEY, subjects TEXT NOT NULL, last_seq BIGINT NOT NULL,"
       " created_ms BIGINT NOT NULL);"
       "CREATE TABLE bus_events (stream TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL UNIQUE,"
       " topic TEXT NOT NULL, time_ms BIGINT NOT NULL, actor TEXT, schema_version INTEGER NOT NULL,"
       " size BIGINT NOT NULL, envelope TEXT NOT NULL, PRIMARY KEY (stream, seq));"
       "CREATE INDEX bus_events_topic ON bus_events (topic, seq);"
       "CREATE INDEX bus_events_time ON bus_events (time_ms);"
       "CREATE TABLE bus_consumers (name TEXT PRIMARY KEY, stream TEXT NOT NULL, pattern TEXT NOT NULL,"
       " owner TEXT NOT NULL, accept TEXT NOT NULL, deliver TEXT NOT NULL, start_seq BIGINT NOT NULL,"
       " start_time_ms BIGINT NOT NULL, ack_wait_ms BIGINT NOT NULL, max_ack_pending INTEGER NOT NULL,"
       " max_deliver INTEGER NOT NULL, delivered_seq BIGINT NOT NULL, ack_floor BIGINT NOT NULL,"
       " terminated BIGINT NOT NULL, created_ms BIGINT NOT NULL);"
       "CREATE TABLE bus_pending (consumer TEXT NOT NULL, seq BIGINT NOT NULL, delivered_ms BIGINT NOT NULL,"
       " deliveries INTEGER NOT NULL, PRIMARY KEY (consumer, seq));"
       "INSERT INTO bus_streams (name, subjects, last_seq, created_ms) VALUES ('Q', 'q.>', 0, 0)"},
  };
}

Result<std::pair<int64_t, int64_t>> EventLog::size() {
  auto rows = db_.query("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM bus_events", {});
  if (!rows.ok()) return rows.status();
  return std::pair<int64_t, int64_t>{rows->rows[0].i64(0), rows->rows[0].i64(1)};
}

Result<int64_t> EventLog::append(Tx& tx, const Json& envelope, int schema_version) {
  auto seq = tx.query("UPDATE bus_streams SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq",
                      {std::string(kStreamName)});
  if (!seq.ok()) return seq.status();
  if (seq->empty()) return Status::internal("event stream Q is missing (migrations not applied)");
  int64_t s = seq->rows[0].i64(0);
  std::string text = dump_compact(envelope);
  const Json& actor = envelope.at("actor");
  Value actor_id = actor.contains("squidId") ? Value(actor["squidId"].get<std::string>()) : Value(nullptr);
  auto time = parse_rfc3339_ms(envelope.at("time").get<std::string>());
  auto r = tx.exec(
      "INSERT INTO bus_events (stream, seq, id, topic, time_ms, actor, schema_version, size, envelope)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {std::string(kStreamName), s, envelope.at("id").get<std::string>(), envelope.at("topic").get<std::string>(),
       time.value_or(0), actor_id, int64_t{schema_version}, static_cast<int64_t>(text.size()), text});
  if (!r.ok()) return r.status();
  return s;
}

Result<ReadPage> EventLog::scan(const ReadFilter& f, bool backward, int64_t start, size_t limit, size_t max_scan) {
  limit = std::clamp<size_t>(limit, 1, kMaxReadLimit);
  Where w = where_of(f);
  ReadPage page;
  page.cursor = start;
  size_t scanned = 0;
  bool wild = has_wildcard(f.pattern);
  for (;;) {
    std::vector<Value> params = w.params;
    std::string sql = std::string("SELECT ") + kColumns + " FROM bus_events" + w.sql;
    if (backward) {
      sql += " AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?";
      params.emplace_back(page.cursor);
      params.emplace_back(f.after_seq);
    } else {
      sql += " AND seq > ?";
      params.emplace_back(page.cursor);
      if (f.until_seq > 0) {
        sql += " AND seq <= ?";
        params.emplace_back(f.until_seq);
      }
      sql += " ORDER BY seq LIMIT ?";
    }
    // Exact topics come from the index; wildcards are matched here, a bounded batch at a time.
    size_t batch = wild ? std::min(kScanBatch, std::max<size_t>(1, max_scan - scanned)) : limit - page.events.size() + 1;
    params.emplace_back(static_cast<int64_t>(batch));
    auto rows = db_.query(sql, params);
    if (!rows.ok()) return rows.status();
    for (const Row& r : rows->rows) {
      if (page.events.size() == limit) {
        page.more = true;
        return page;
      }
      StoredEvent e = to_event(r);
      page.cursor = e.seq;
      ++scanned;
      if (!wild || subject_matches(f.pattern, e.topic)) page.events.push_back(std::move(e));
    }
    if (rows->size() < batch) return page;  // the log ends here
    if (scanned >= max_scan) {
      page.more = true;
      return page;
    }
  }
}

Result<ReadPage> EventLog::read(const ReadFilter& f, size_t limit, size_t max_scan) {
  return scan(f, /*backward=*/false, f.after_seq, limit, max_scan);
}

Result<ReadPage> EventLog::read_back(const ReadFilter& f, int64_t before_seq, size_t limit, size_t max_scan) {
  return scan(f, /*backward=*/true, before_seq > 0 ? before_seq : INT64_MAX, limit, max_scan);
}

Result<StoredEvent> EventLog::get(int64_t seq) {
  auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM bus_events WHERE stream = ? AND seq = ?",
                        {std::string(kStreamName), seq});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::not_found("no event with sequence " + std::to_string(seq));
  return to_event(rows->rows[0]);
}

Result<int64_t> EventLog::last_seq() {
  auto rows = db_.query("SELECT last_seq FROM bus_streams WHERE name = ?", {std::string(kStreamName)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::internal("event stream Q is missing");
  return rows->rows[0].i64(0);
}

Result<int64_t> EventLog::first_seq() {
  auto rows = db_.query("SELECT COALESCE(MIN(seq), 0) FROM bus_events WHERE stream = ?", {std::string(kStreamName)});
  if (!rows.ok()) return rows.status();
  return rows->rows[0].i64(0);
}

Result<int64_t> EventLog::seq_before_time(int64_t t_ms) {
  auto rows = db_.query("SELECT MIN(seq) FROM bus_events WHERE stream = ? AND time_ms >= ?",
                        {std::string(kStreamName), t_ms});
  if (!rows.ok()) return rows.status();
  if (rows->rows[0].is_null(0)) return last_seq();  // nothing that recent: only what comes next
  return rows->rows[0].i64(0) - 1;
}

Result<RetentionReport> EventLog::apply_retention(const std::vector<RetentionRule>& rules, int64_t now_ms) {
  RetentionReport report;
  if (rules.empty()) return report;
  // Topics are few (bounded by the schema registry): group them by the first rule that matches.
  auto topics = db_.query("SELECT topic, CAST(SUM(size) AS BIGINT) FROM bus_events WHERE stream = ? GROUP BY topic",
                          {std::string(kStreamName)});
  if (!topics.ok()) return topics.status();
  std::vector<std::vector<std::string>> by_rule(rules.size());
  std::vector<int64_t> bytes(rules.size(), 0);
  for (const Row& r : topics->rows) {
    for (size_t i = 0; i < rules.size(); ++i) {
      if (subject_matches(rules[i].pattern, r.str(0))) {
        by_rule[i].push_back(r.str(0));
        bytes[i] += r.i64(1);
        break;
      }
    }
  }
  auto in_list = [](const std::vector<std::string>& ts, size_t from, size_t n, std::vector<Value>& params) {
    std::string s = "(";
    for (size_t k = from; k < from + n; ++k) {
      s += k == from ? "?" : ", ?";
      params.emplace_back(ts[k]);
    }
    return s + ")";
  };
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& ts = by_rule[i];
    if (ts.empty()) continue;
    if (rules[i].max_age_ms > 0) {
      for (size_t from = 0; from < ts.size(); from += kInChunk) {
        size_t n = std::min(kInChunk, ts.size() - from);
        int64_t removed = 0;
        Status s = db_.transaction([&](Tx& tx) -> Status {
          std::vector<Value> params{std::string(kStreamName), now_ms - rules[i].max_age_ms};
          std::string list = in_list(ts, from, n, params);
          auto r = tx.exec("DELETE FROM bus_events WHERE stream = ? AND time_ms < ? AND topic IN " + list, params);
          if (!r.ok()) return r.status();
          removed = *r;
          return {};
        });
        if (!s.ok()) return s;
        report.removed_by_age += removed;
      }
    }
    if (rules[i].max_bytes > 0) {
      // Recount after the age pass, then drop the oldest until under budget.
      int64_t total = 0;
      for (size_t from = 0; from < ts.size(); from += kInChunk) {
        std::vector<Value> params{std::string(kStreamName)};
        std::string list = in_list(ts, from, std::min(kInChunk, ts.size() - from), params);
        auto r = db_.query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM bus_events WHERE stream = ? AND topic IN " + list, params);
        if (!r.ok()) return r.status();
        total += r->rows[0].i64(0);
      }
      while (total > rules[i].max_bytes) {
        // Oldest events of this rule's topics, across chunks of the topic list.
        std::vector<std::pair<int64_t, int64_t>> oldest;  // (seq, size)
        for (size_t from = 0; from < ts.size(); from += kInChunk) {
          std::vector<Value> params{std::string(kStreamName)};
          std::string list = in_list(ts, from, std::min(kInChunk, ts.size() - from), params);
          params.emplace_back(static_cast<int64_t>(kRetentionBatch));
          auto r = db_.query("SELECT seq, size FROM bus_events WHERE stream = ? AND topic IN " + list +
                                 " ORDER BY seq LIMIT ?",
                             params);
          if (!r.ok()) return r.status();
          for (const Row& row : r->rows) oldest.emplace_back(row.i64(0), row.i64(1));
        }
        if (oldest.empty()) break;
        std::sort(oldest.begin(), oldest.end());
        std::vector<int64_t> doomed;
        for (const auto& [seq, size] : oldest) {
          if (total <= rules[i].max_bytes || doomed.size() == kRetentionBatch) break;
          doomed.push_back(seq);
          total -= size;
        }
        Status s = db_.transaction([&](Tx& tx) -> Status {
          for (int64_t seq : doomed) {
            auto r = tx.exec("DELETE FROM bus_events WHERE stream = ? AND seq = ?", {std::string(kStreamName), seq});
            if (!r.ok()) return r.status();
          }
          return {};
        });
        if (!s.ok()) return s;
        report.removed_by_size += static_cast<int64_t>(doomed.size());
      }
    }
  }
  return report;
}

}  // namespace anarq::bus
