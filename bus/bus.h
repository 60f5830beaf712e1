#pragma once
// Bus: the node's event bus — signed envelopes (bus/envelope.h) validated
// against the schema registry, appended to the durable log inside the
// publisher's transaction (the transactional outbox, bus/log.h), then
// delivered after commit to live subscribers, pull readers (SSE) and durable
// consumers (bus/consumer.h). Embedded backend: the state database; the NATS
// JetStream adapter of the scale-out issue implements the same surface
// (topics are subjects, the log is a stream, durable consumers are consumers).
//
//   Bus bus(db, clock, node_key, registry);
//   ANARQ_RETURN_IF_ERROR(bus.start());
//   Status s = db.transaction([&](Tx& tx) -> Status {
//     ... the state change ...
//     auto ev = bus.publish(tx, {.topic = "q.qindex.record.created.v1", .source = "qindex",
//                                .actor = {{"squidId", did}}, .payload = p});
//     return ev.ok() ? Status() : ev.status();          // rolled back: nothing is delivered
//   });
//   auto sub = bus.subscribe("q.qindex.>", Bus::kFromNow, [](const StoredEvent& e) { ... });
//
// Delivery runs on one dispatcher thread, woken by each commit (and every
// poll interval, for commits by another process on the same database). A live
// subscriber's callback runs on that thread and must be quick; subscribers
// that need back-pressure read the log themselves (SSE) or use a durable
// consumer. Thread-safety: every method is safe from any thread.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bus/consumer.h"
#include "bus/envelope.h"
#include "bus/log.h"
#include "bus/schema_registry.h"

namespace anarq::bus {

inline constexpr size_t kMaxLiveSubscriptions = 1024;
inline constexpr size_t kMaxListeners = 4096;

struct BusOptions {
  std::vector<RetentionRule> retention;  // empty = keep everything
  int64_t retention_interval_ms = 60'000;
  int64_t poll_interval_ms = 1'000;  // wake-up without a local commit
};

struct Published {
  int64_t seq = 0;
  Json envelope;
};

class Bus {
 public:
  static constexpr int64_t kFromNow = -1;
  using LiveHandler = std::function<void(const StoredEvent&)>;

  Bus(Db& db, const Clock& clock, const crypto::Ed25519KeyPair& node_key, SchemaRegistry& registry,
      BusOptions options = {});
  ~Bus();
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // The log's and consumers' tables (module "bus").
  static std::vector<Migration> migrations() { return EventLog::migrations(); }

  // Starts the dispatcher and the retention janitor (first pass after
  // retention_interval_ms; a serving node also runs apply_retention() before
  // it listens, short CLI processes never pay for it).
  Status start();
  void stop();

  // In the caller's transaction: validates the payload against the topic's
  // registered schema (NOT_FOUND unknown topic, VALIDATION_ERROR mismatch),
  // signs and appends. Delivered once the transaction commits.
  Result<Published> publish(Tx& tx, const EventDraft& draft);
  // In a transaction of its own.
  Result<Published> publish(const EventDraft& draft);

  // Live subscription from after `after_seq` (kFromNow: only what commits
  // from here on). Unsubscribes when the handle is destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Bus* bus, uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& o) noexcept : bus_(o.bus_), id_(o.id_) { o.bus_ = nullptr; }
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription();

   private:
    Bus* bus_ = nullptr;
    uint64_t id_ = 0;
  };
  Result<Subscription> subscribe(const std::string& pattern, int64_t after_seq, LiveHandler fn);

  // Wake-ups for readers that pull from the log (SSE): fn runs on the
  // dispatcher thread after new events commit, and must only signal. Once
  // remove_listener returns, fn is not running and will not run again.
  Result<uint64_t> add_listener(std::function<void()> fn);
  void remove_listener(uint64_t id);

  // What a consumer accepting `accept` (topic versions) sees of a logged event:
  // as is, upcast and re-signed by the node, or nothing.
  Result<std::optional<std::pair<Json, std::string>>> view(const StoredEvent& event, const std::vector<int>& accept);

  // Highest sequence the dispatcher has seen committed.
  int64_t head() const { return head_.load(std::memory_order_acquire); }
  // Wakes the dispatcher (after a commit it did not see through publish()).
  void notify();
  // Runs retention now (the janitor does this every retention_interval_ms).
  Result<RetentionReport> apply_retention();

  EventLog& log() { return log_; }
  DurableConsumers& consumers() { return consumers_; }
  SchemaRegistry& registry() { return registry_; }
  const std::string& node_did() const { return node_did_; }

 private:
  struct Live {
    std::string pattern;
    int64_t cursor;
    LiveHandler fn;
  };
  void run();
  void dispatch();
  void unsubscribe(uint64_t id);

  Db& db_;
  const Clock& clock_;
  const crypto::Ed25519KeyPair& key_;
  SchemaRegistry& registry_;
  BusOptions options_;
  EventLog log_;
  DurableConsumers consumers_;
  std::string node_did_;

  std::atomic<int64_t> head_{0};
  std::mutex deliver_mu_;  // held while live handlers run: unsubscribe waits for it
  std::mutex mu_;          // guards the maps, wake_ and stop_; held while listeners run
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::map<uint64_t, std::shared_ptr<Live>> live_;
  std::map<uint64_t, std::function<void()>> listeners_;
  uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace anarq::bus
