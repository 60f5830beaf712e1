#pragma once
// DurableConsumers: named, acknowledged cursors over the event log with
// at-least-once delivery, as JetStream pull consumers work (and map onto them
// for the scale-out adapter):
//
//   - a consumer has a subject pattern, a start (all | new | a sequence | a
//     time), the topic versions it accepts, an ack wait and a bound on
//     unacknowledged messages (max_ack_pending);
//   - fetch() hands out first the messages whose ack wait expired, then new
//     matching messages, never more than max_ack_pending unacknowledged at
//     once; a fetch examines a bounded part of the log (a sparse subject on a
//     long log takes several fetches to catch up);
//   - ack() settles messages; the ack floor (everything at or below it is
//     settled) and the pending set (leases with their delivery time) are
//     stored in the state database, so after a restart, or from another
//     process on the same database, exactly what was not acknowledged comes
//     back once its ack wait has passed;
//   - after max_deliver deliveries a message is terminated (counted, no longer
//     redelivered), so one poison message cannot stall a consumer forever.
//
// Thread-safety: every method is safe from any thread; calls on one consumer
// are serialised by a per-instance mutex.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bus/log.h"
#include "core/clock.h"

namespace anarq::bus {

inline constexpr int64_t kDefaultAckWaitMs = 30'000;
inline constexpr int64_t kMaxAckWaitMs = 3'600'000;
inline constexpr int kDefaultMaxAckPending = 1000;
inline constexpr int kMaxMaxAckPending = 10'000;
inline constexpr int kDefaultMaxDeliver = 20;
inline constexpr size_t kMaxFetch = 1000;
inline constexpr size_t kMaxConsumers = 1000;
// One identity's share of them (the operator's request may raise its own).
inline constexpr int64_t kMaxConsumersPerOwner = 16;

struct ConsumerConfig {
  std::string name;              // [A-Za-z0-9_-]{1,64}
  // Empty pattern or deliver = unspecified: the defaults (">", "all") when
  // the consumer is created, whatever it has when it is reused.
  std::string pattern = ">";     // subject pattern
  std::string deliver = "all";   // all | new | seq | time
  int64_t start_seq = 0;         // deliver=seq: first sequence delivered
  int64_t start_time_ms = 0;     // deliver=time: first event at or after
  std::vector<int> accept;       // topic versions accepted; empty = as published
  int64_t ack_wait_ms = kDefaultAckWaitMs;
  int max_ack_pending = kDefaultMaxAckPending;
  int max_deliver = kDefaultMaxDeliver;
  std::string owner;             // the identity that created it
  int64_t max_owned = kMaxConsumersPerOwner;  // creation refused when the owner holds this many
};

struct ConsumerInfo {
  ConsumerConfig config;
  int64_t delivered_seq = 0;  // highest stream sequence handed out
  int64_t ack_floor = 0;      // every matching event <= ack_floor is settled
  int64_t pending = 0;        // delivered, not acknowledged
  int64_t terminated = 0;     // gave up after max_deliver
  int64_t created_ms = 0;
};

struct Message {
  StoredEvent event;   // as logged
  Json envelope;       // as delivered (upcast when the consumer asked for a newer version)
  std::string upcast_from;  // the logged topic when envelope was upcast
  int deliveries = 1;
};

// Maps a logged event to what a consumer that accepts `accept` sees: the
// envelope as is, an upcast envelope, or nullopt (skip: a version it does not
// accept and cannot be upcast to).
using EventView = std::function<Result<std::optional<std::pair<Json, std::string>>>(
    const StoredEvent&, const std::vector<int>& accept)>;

class DurableConsumers {
 public:
  DurableConsumers(Db& db, EventLog& log, const Clock& clock, EventView view);

  // Creates the consumer, or returns it when one with the same name and the
  // same pattern, start and accepted versions exists (VERSION_CONFLICT when
  // one that was given differs; QONSENT_DENIED when another identity owns it).
  Result<ConsumerInfo> ensure(const ConsumerConfig& config);
  Result<ConsumerInfo> info(const std::string& name);
  Result<std::vector<ConsumerInfo>> list();
  Status remove(const std::string& name, const std::string& caller);

  // Up to `max` messages (<= kMaxFetch): expired redeliveries first, then new.
  Result<std::vector<Message>> fetch(const std::string& name, size_t max, const std::string& caller);
  struct AckResult {
    int64_t acked = 0;    // settled by this call
    int64_t unknown = 0;  // not pending (already acked, never delivered, or terminated)
    int64_t ack_floor = 0;
  };
  Result<AckResult> ack(const std::string& name, const std::vector<int64_t>& seqs, const std::string& caller);

 private:
  Result<ConsumerInfo> load(const std::string& name);
  Db& db_;
  EventLog& log_;
  const Clock& clock_;
  EventView view_;
  std::mutex mu_;
};

Status validate_consumer_name(const std::string& name);

}  // namespace anarq::bus
