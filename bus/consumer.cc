#include "bus/consumer.h"

#include <algorithm>

#include "bus/topic.h"
#include "core/json.h"

namespace anarq::bus {
namespace {

const char* kConsumerColumns =
    "name, pattern, owner, accept, ack_wait_ms, max_ack_pending, max_deliver, delivered_seq, ack_floor,"
    " terminated, created_ms, deliver, start_seq, start_time_ms";

ConsumerInfo to_info(const Row& r) {
  ConsumerInfo i;
  i.config.name = r.str(0);
  i.config.pattern = r.str(1);
  i.config.owner = r.str(2);
  auto accept = parse_json(r.str(3));
  if (accept.ok() && accept->is_array())
    for (const auto& v : *accept) i.config.accept.push_back(v.get<int>());
  i.config.ack_wait_ms = r.i64(4);
  i.config.max_ack_pending = static_cast<int>(r.i64(5));
  i.config.max_deliver = static_cast<int>(r.i64(6));
  i.delivered_seq = r.i64(7);
  i.ack_floor = r.i64(8);
  i.terminated = r.i64(9);
  i.created_ms = r.i64(10);
  i.config.deliver = r.str(11);
  i.config.start_seq = r.i64(12);
  i.config.start_time_ms = r.i64(13);
  return i;
}

Status check_owner(const ConsumerInfo& info, const std::string& caller) {
  if (!info.config.owner.empty() && info.config.owner != caller)
    return Status(ErrorCode::kQonsentDenied, "consumer '" + info.config.name + "' belongs to another identity")
        .with_suggestion("use a consumer name of your own");
  return {};
}

// The floor: everything at or below is settled. REQUIRES: inside tx.
Result<int64_t> recompute_floor(Tx& tx, const std::string& name, int64_t delivered_seq) {
  auto r = tx.query("SELECT MIN(seq), COUNT(*) FROM bus_pending WHERE consumer = ?", {name});
  if (!r.ok()) return r.status();
  if (r->rows[0].i64(1) == 0) return delivered_seq;
  return r->rows[0].i64(0) - 1;
}

}  // namespace

Status validate_consumer_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok &= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  if (!ok) return Status::validation("consumer name must be 1-64 characters of [A-Za-z0-9_-]");
  return {};
}

DurableConsumers::DurableConsumers(Db& db, EventLog& log, const Clock& clock, EventView view)
    : db_(db), log_(log), clock_(clock), view_(std::move(view)) {}

Result<ConsumerInfo> DurableConsumers::load(const std::string& name) {
  auto rows = db_.query(std::string("SELECT ") + kConsumerColumns + " FROM bus_consumers WHERE name = ?", {name});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status(ErrorCode::kNotFound, "no consumer named '" + name + "'")
        .with_suggestion("create it with events.subscribe and a subject pattern");
  ConsumerInfo info = to_info(rows->rows[0]);
  auto pending = db_.query("SELECT COUNT(*) FROM bus_pending WHERE consumer = ?", {name});
  if (!pending.ok()) return pending.status();
  info.pending = pending->rows[0].i64(0);
  return info;
}

Result<ConsumerInfo> DurableConsumers::ensure(const ConsumerConfig& c) {
  ANARQ_RETURN_IF_ERROR(validate_consumer_name(c.name));
  if (!c.pattern.empty()) ANARQ_RETURN_IF_ERROR(validate_subject_pattern(c.pattern));
  if (!c.deliver.empty() && c.deliver != "all" && c.deliver != "new" && c.deliver != "seq" && c.deliver != "time")
    return Status::validation("deliver must be all, new, seq or time");
  if (c.ack_wait_ms < 100 || c.ack_wait_ms > kMaxAckWaitMs)
    return Status::validation("ackWaitMs must be between 100 and " + std::to_string(kMaxAckWaitMs));
  if (c.max_ack_pending < 1 || c.max_ack_pending > kMaxMaxAckPending)
    return Status::validation("maxAckPending must be between 1 and " + std::to_string(kMaxMaxAckPending));
  if (c.max_deliver < 1 || c.max_deliver > 1000) return Status::validation("maxDeliver must be between 1 and 1000");
  if (c.accept.size() > 32) return Status::validation("at most 32 accepted versions");
  for (int v : c.accept)
    if (v < 1) return Status::validation("accepted versions are integers >= 1");
  std::vector<int> accept = c.accept;
  std::sort(accept.begin(), accept.end());
  accept.erase(std::unique(accept.begin(), accept.end()), accept.end());

  std::lock_guard lock(mu_);
  auto existing = load(c.name);
  if (existing.ok()) {
    ANARQ_RETURN_IF_ERROR(check_owner(*existing, c.owner));
    const ConsumerConfig& e = existing->config;
    bool other_start = !c.deliver.empty() &&
                       (c.deliver != e.deliver || (c.deliver == "seq" && c.start_seq != e.start_seq) ||
                        (c.deliver == "time" && c.start_time_ms != e.start_time_ms));
    if (other_start)
      return Status(ErrorCode::kVersionConflict,
                    "consumer '" + c.name + "' exists with another start (deliver=" + e.deliver + ")",
                    Json{{"deliver", e.deliver}, {"startSeq", e.start_seq}})
          .with_suggestion("leave deliver out to reuse it, or use another name");
    if ((!c.pattern.empty() && e.pattern != c.pattern) || (!accept.empty() && e.accept != accept))
      return Status(ErrorCode::kVersionConflict,
                    "consumer '" + c.name + "' exists with subject " + existing->config.pattern +
                        " and other accepted versions",
                    Json{{"subject", existing->config.pattern}, {"accept", existing->config.accept}})
          .with_suggestion("use another name, or the same subject and versions");
    return existing;
  }
  if (existing.status().code() != "NOT_FOUND") return existing.status();
  auto owned = db_.query("SELECT COUNT(*) FROM bus_consumers WHERE owner = ?", {c.owner});
  if (!owned.ok()) return owned.status();
  if (owned->rows[0].i64(0) >= c.max_owned)
    return Status::custom("EVENTS_CONSUMER_LIMIT", 422, false,
                          c.owner + " already owns " + std::to_string(c.max_owned) + " durable consumers")
        .with_suggestion("delete consumers you no longer use with events.unsubscribe");
  auto count = db_.query("SELECT COUNT(*) FROM bus_consumers", {});
  if (!count.ok()) return count.status();
  if (count->rows[0].i64(0) >= static_cast<int64_t>(kMaxConsumers))
    return Status::custom("EVENTS_CONSUMER_LIMIT", 422, false,
                          "this node holds its maximum of " + std::to_string(kMaxConsumers) + " durable consumers")
        .with_suggestion("delete consumers you no longer use with events.unsubscribe");
  std::string pattern = c.pattern.empty() ? ">" : c.pattern;
  std::string deliver = c.deliver.empty() ? "all" : c.deliver;
  int64_t start = 0;
  if (deliver == "new") {
    auto last = log_.last_seq();
    if (!last.ok()) return last.status();
    start = *last;
  } else if (deliver == "seq") {
    start = std::max<int64_t>(0, c.start_seq - 1);
  } else if (deliver == "time") {
    auto s = log_.seq_before_time(c.start_time_ms);
    if (!s.ok()) return s.status();
    start = *s;
  }
  int64_t now = clock_.now_ms();
  Status s = db_.transaction([&](Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO bus_consumers (name, stream, pattern, owner, accept, deliver, start_seq, start_time_ms,"
                     " ack_wait_ms, max_ack_pending, max_deliver, delivered_seq, ack_floor, terminated, created_ms)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                     {c.name, std::string(kStreamName), pattern, c.owner, Json(accept).dump(), deliver, c.start_seq,
                      c.start_time_ms, c.ack_wait_ms, int64_t{c.max_ack_pending}, int64_t{c.max_deliver}, start, start,
                      now});
    return r.ok() ? Status() : r.status();
  });
  if (!s.ok()) return s;
  return load(c.name);
}

Result<ConsumerInfo> DurableConsumers::info(const std::string& name) {
  std::lock_guard lock(mu_);
  return load(name);
}

Result<std::vector<ConsumerInfo>> DurableConsumers::list() {
  std::lock_guard lock(mu_);
  auto rows = db_.query(std::string("SELECT ") + kConsumerColumns + " FROM bus_consumers ORDER BY name", {});
  if (!rows.ok()) return rows.status();
  std::vector<ConsumerInfo> out;
  for (const Row& r : rows->rows) out.push_back(to_info(r));
  return out;
}

Status DurableConsumers::remove(const std::string& name, const std::string& caller) {
  std::lock_guard lock(mu_);
  auto info = load(name);
  if (!info.ok()) return info.status();
  ANARQ_RETURN_IF_ERROR(check_owner(*info, caller));
  return db_.transaction([&](Tx& tx) -> Status {
    auto a = tx.exec("DELETE FROM bus_pending WHERE consumer = ?", {name});
    if (!a.ok()) return a.status();
    auto b = tx.exec("DELETE FROM bus_consumers WHERE name = ?", {name});
    return b.ok() ? Status() : b.status();
  });
}

Result<std::vector<Message>> DurableConsumers::fetch(const std::string& name, size_t max, const std::string& caller) {
  max = std::clamp<size_t>(max, 1, kMaxFetch);
  std::lock_guard lock(mu_);
  auto info = load(name);
  if (!info.ok()) return info.status();
  ANARQ_RETURN_IF_ERROR(check_owner(*info, caller));
  const ConsumerConfig& cfg = info->config;
  int64_t now = clock_.now_ms();

  std::vector<Message> out;
  std::vector<int64_t> terminate;                         // seqs given up on
  std::vector<std::pair<int64_t, int>> redelivered;       // (seq, deliveries)
  auto expired = db_.query(
      "SELECT seq, deliveries FROM bus_pending WHERE consumer = ? AND delivered_ms <= ? ORDER BY seq LIMIT ?",
      {name, now - cfg.ack_wait_ms, static_cast<int64_t>(max)});
  if (!expired.ok()) return expired.status();
  for (const Row& r : expired->rows) {
    int64_t seq = r.i64(0);
    int deliveries = static_cast<int>(r.i64(1));
    if (deliveries >= cfg.max_deliver) {
      terminate.push_back(seq);
      continue;
    }
    auto ev = log_.get(seq);
    if (!ev.ok()) {  // removed by retention while pending
      if (ev.status().code() != "NOT_FOUND") return ev.status();
      terminate.push_back(seq);
      continue;
    }
    auto view = view_(*ev, cfg.accept);
    if (!view.ok()) return view.status();
    if (!*view) {
      terminate.push_back(seq);
      continue;
    }
    Message m;
    m.event = std::move(*ev);
    m.envelope = std::move((*view)->first);
    m.upcast_from = std::move((*view)->second);
    m.deliveries = deliveries + 1;
    redelivered.emplace_back(seq, m.deliveries);
    out.push_back(std::move(m));
  }

  int64_t still_pending = info->pending - static_cast<int64_t>(terminate.size());
  int64_t room = std::min<int64_t>(static_cast<int64_t>(max - out.size()), cfg.max_ack_pending - still_pending);
  int64_t delivered_seq = info->delivered_seq;
  std::vector<int64_t> fresh;
  // One bounded read per fetch: a consumer on a rare subject never holds the
  // consumers' lock for a scan of the whole log.
  if (room > 0) {
    ReadFilter f;
    f.pattern = cfg.pattern;
    f.after_seq = delivered_seq;
    auto page = log_.read(f, static_cast<size_t>(room));
    if (!page.ok()) return page.status();
    delivered_seq = page->cursor;
    for (auto& ev : page->events) {
      auto view = view_(ev, cfg.accept);
      if (!view.ok()) return view.status();
      if (!*view) continue;  // a version this consumer neither accepts nor can upcast to
      Message m;
      m.envelope = std::move((*view)->first);
      m.upcast_from = std::move((*view)->second);
      m.event = std::move(ev);
      fresh.push_back(m.event.seq);
      out.push_back(std::move(m));
      --room;
    }
  }

  Status s = db_.transaction([&](Tx& tx) -> Status {
    for (int64_t seq : terminate) {
      auto r = tx.exec("DELETE FROM bus_pending WHERE consumer = ? AND seq = ?", {name, seq});
      if (!r.ok()) return r.status();
    }
    for (const auto& [seq, n] : redelivered) {
      auto r = tx.exec("UPDATE bus_pending SET delivered_ms = ?, deliveries = ? WHERE consumer = ? AND seq = ?",
                       {now, int64_t{n}, name, seq});
      if (!r.ok()) return r.status();
    }
    for (int64_t seq : fresh) {
      // Another process on the same database may have leased it first: at least once, never a failure.
      auto r = tx.exec("INSERT INTO bus_pending (consumer, seq, delivered_ms, deliveries) VALUES (?, ?, ?, 1)"
                       " ON CONFLICT (consumer, seq) DO NOTHING",
                       {name, seq, now});
      if (!r.ok()) return r.status();
    }
    auto floor = recompute_floor(tx, name, delivered_seq);
    if (!floor.ok()) return floor.status();
    auto r = tx.exec("UPDATE bus_consumers SET delivered_seq = ?, ack_floor = ?, terminated = terminated + ? WHERE name = ?",
                     {delivered_seq, *floor, static_cast<int64_t>(terminate.size()), name});
    return r.ok() ? Status() : r.status();
  });
  if (!s.ok()) return s;
  std::sort(out.begin(), out.end(), [](const Message& a, const Message& b) { return a.event.seq < b.event.seq; });
  return out;
}

Result<DurableConsumers::AckResult> DurableConsumers::ack(const std::string& name, const std::vector<int64_t>& seqs,
                                                          const std::string& caller) {
  if (seqs.size() > kMaxFetch) return Status::validation("at most " + std::to_string(kMaxFetch) + " sequences per ack");
  std::lock_guard lock(mu_);
  auto info = load(name);
  if (!info.ok()) return info.status();
  ANARQ_RETURN_IF_ERROR(check_owner(*info, caller));
  AckResult result;
  Status s = db_.transaction([&](Tx& tx) -> Status {
    for (int64_t seq : seqs) {
      auto r = tx.exec("DELETE FROM bus_pending WHERE consumer = ? AND seq = ?", {name, seq});
      if (!r.ok()) return r.status();
      (*r > 0 ? result.acked : result.unknown) += 1;
    }
    auto floor = recompute_floor(tx, name, info->delivered_seq);
    if (!floor.ok()) return floor.status();
    result.ack_floor = *floor;
    auto r = tx.exec("UPDATE bus_consumers SET ack_floor = ? WHERE name = ?", {*floor, name});
    return r.ok() ? Status() : r.status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace anarq::bus
