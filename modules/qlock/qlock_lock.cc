// qlock.lock: leases keyed by resource, owned by the calling identity.
//
// A lease row lives in qlock_locks while held; the fencing token comes from a
// single durable counter (qlock_fence), bumped inside the acquiring
// transaction, so tokens increase for every resource across restarts and
// never repeat even after a lease row is deleted. A resource that stores the
// highest token it has seen and refuses lower ones is safe against a paused
// holder whose lease lapsed (Kleppmann's fencing).
#include <algorithm>
#include <chrono>

#include "core/clock.h"
#include "modules/qlock/qlock_internal.h"

namespace anarq::qlock {
namespace {

constexpr int64_t kDefaultTtlMs = 30'000;
constexpr int64_t kMaxTtlMs = 3'600'000;
constexpr int64_t kMaxWaitMs = 10'000;
constexpr int64_t kPollMs = 100;
constexpr size_t kMaxMetadataBytes = 4096;
constexpr int64_t kMaxLeasesPerOwner = 100;

struct Lease {
  std::string resource, owner;
  int64_t token = 0, acquired_ms = 0, expires_ms = 0, ttl_ms = 0, acquisitions = 0, extensions = 0;
  Json metadata = Json::object();
};

Result<std::optional<Lease>> load(Tx& tx, const std::string& resource) {
  auto rows = tx.query(
      "SELECT resource, owner, token, acquired_ms, expires_ms, ttl_ms, acquisitions, extensions, metadata "
      "FROM qlock_locks WHERE resource = ?",
      {resource});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Lease>();
  const Row& r = (*rows)[0];
  Lease l{r.str(0), r.str(1), r.i64(2), r.i64(3), r.i64(4), r.i64(5), r.i64(6), r.i64(7)};
  auto m = parse_json(r.str(8));
  if (m.ok()) l.metadata = *m;
  return std::optional<Lease>(std::move(l));
}

Json lease_json(const Lease& l, int64_t now) {
  return {{"resource", l.resource},
          {"held", l.expires_ms > now},
          {"owner", l.owner},
          {"token", l.token},
          {"acquiredAt", format_rfc3339_ms(l.acquired_ms)},
          {"expiresAt", format_rfc3339_ms(l.expires_ms)},
          {"ttl", l.ttl_ms},
          {"acquisitions", l.acquisitions},
          {"extensions", l.extensions},
          {"metadata", l.metadata}};
}

// A refusal: the status for the caller and the reason for the failed event.
struct Refusal {
  Status status;
  const char* reason;
  std::string current_owner;
};

}  // namespace

std::vector<Migration> LockService::migrations() {
  return {{1, "leases and the fencing counter",
           "CREATE TABLE qlock_locks (resource TEXT PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, "
           "acquired_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL, ttl_ms BIGINT NOT NULL, "
           "acquisitions BIGINT NOT NULL, extensions BIGINT NOT NULL, metadata TEXT NOT NULL);"
           "CREATE INDEX qlock_locks_expiry ON qlock_locks (expires_ms);"
           "CREATE INDEX qlock_locks_owner ON qlock_locks (owner, expires_ms);"
           "CREATE TABLE qlock_fence (id INTEGER PRIMARY KEY, last BIGINT NOT NULL);"
           "INSERT INTO qlock_fence (id, last) VALUES (1, 0)"}};
}

void LockService::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  released_.notify_all();
}

void LockService::reap_expired() {
  int64_t cutoff = env_->clock->now_ms() - 60'000;
  (void)env_->db->transaction([&](Tx& tx) -> Status {
    return tx.exec("DELETE FROM qlock_locks WHERE expires_ms < ?", {cutoff}).status();
  });
}

Tool LockService::tool() {
  Tool t;
  t.name = "qlock.lock";
  t.title = "Distributed lock";
  t.description =
      "Leases on a resource: acquire (returns a fencing token that only ever increases, also across restarts; "
      "optional wait), release and extend by the owner only, status. A lease lapses after its ttl; a lapsed lease "
      "is free to take.";
  t.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"action", "resource"}},
                    {"properties",
                     {{"action", {{"type", "string"}, {"enum", {"acquire", "release", "extend", "status"}},
                                  {"description", "acquire or extend a lease, release it, or read its status"}}},
                      {"resource", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
                                    {"description", "what is locked, e.g. invoice:42"}}},
                      {"ttl", {{"type", "integer"}, {"minimum", 100}, {"maximum", kMaxTtlMs}, {"default", kDefaultTtlMs},
                               {"description", "lease length in ms (acquire, extend)"}}},
                      {"waitMs", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxWaitMs}, {"default", 0},
                                  {"description", "acquire: wait up to this long for a held lease"}}},
                      {"token", {{"type", "integer"}, {"minimum", 1},
                                 {"description", "release, extend: the token acquire returned; refused if the lease changed hands"}}},
                      {"reason", {{"type", "string"}, {"maxLength", 200}, {"description", "release: recorded in the event"}}},
                      {"metadata", {{"type", "object"}, {"description", "acquire: kept with the lease (at most 4 KiB)"}}}}}};
  t.output_schema = R"({"type": "object", "required": ["resource", "held"],
    "properties": {"resource": {"type": "string"}, "held": {"type": "boolean"},
      "owner": {"type": "string"}, "token": {"type": "integer"},
      "acquiredAt": {"type": "string", "format": "date-time"}, "expiresAt": {"type": "string", "format": "date-time"},
      "ttl": {"type": "integer"}, "acquisitions": {"type": "integer"}, "extensions": {"type": "integer"},
      "metadata": {"type": "object"}, "released": {"type": "boolean"}}})"_json;
  t.http = {"POST", "/qlock/v1/lock"};
  t.write = true;
  t.may_block = true;  // waitMs: served off the I/O threads
  t.emits = {"q.qlock.lock.acquired.v1", "q.qlock.lock.released.v1", "q.qlock.lock.extended.v1",
             "q.qlock.lock.failed.v1"};
  t.handler = [this](Context& ctx, const Json& in) { return handle(ctx, in); };
  return t;
}

Result<Reply> LockService::handle(Context& ctx, const Json& in) {
  const std::string action = in["action"];
  const std::string resource = in["resource"];
  const std::string& me = caller(ctx);
  const int64_t ttl = in.value("ttl", kDefaultTtlMs);
  Json metadata = in.value("metadata", Json::object());
  if (dump_compact(metadata).size() > kMaxMetadataBytes)
    return Status(ErrorCode::kPayloadTooLarge, "lock metadata is at most 4 KiB");

  if (action == "status") {
    Json out;
    Status s = env_->db->transaction([&](Tx& tx) -> Status {
      auto l = load(tx, resource);
      if (!l.ok()) return l.status();
      int64_t now = env_->clock->now_ms();
      out = *l && (*l)->expires_ms > now ? lease_json(**l, now) : Json{{"resource", resource}, {"held", false}};
      // Metadata is shown to the lease's owner only.
      if (*l && (*l)->owner != me) out.erase("metadata");
      return {};
    });
    if (!s.ok()) return s;
    return Reply(out, "LOCK_STATUS", "lock status");
  }

  auto fail_event = [&](const Refusal& r) {
    (void)env_->db->transaction([&](Tx& tx) {
      return publish_in(*env_, ctx, "q.qlock.lock.failed.v1", tx,
                        {{"lockId", resource},
                         {"resource", resource},
                         {"requestor", me},
                         {"action", action},
                         {"reason", r.reason},
                         {"currentOwner", r.current_owner.empty() ? Json(nullptr) : Json(r.current_owner)},
                         {"failedAt", format_rfc3339_ms(env_->clock->now_ms())}});
    });
  };

  // One attempt in one transaction: the lease change and its event commit together.
  auto attempt = [&](std::optional<Refusal>& refused) -> Result<Reply> {
    Reply reply;
    Status s = env_->db->transaction([&](Tx& tx) -> Status {
      auto loaded = load(tx, resource);
      if (!loaded.ok()) return loaded.status();
      const int64_t now = env_->clock->now_ms();
      std::optional<Lease>& cur = *loaded;
      const bool live = cur && cur->expires_ms > now;
      auto token_mismatch = [&]() {
        return in.contains("token") && cur && in["token"].get<int64_t>() != cur->token;
      };
      if (action == "acquire") {
        if (live && cur->owner != me) {
          refused = Refusal{Status::custom("QLOCK_LOCK_UNAVAILABLE", 409, true, resource + " is held by another identity",
                                           Json{{"resource", resource}, {"expiresAt", format_rfc3339_ms(cur->expires_ms)}})
                                .with_retry_after(static_cast<int>(std::max<int64_t>(1, (cur->expires_ms - now + 999) / 1000)))
                                .with_suggestion("retry after expiresAt, or pass waitMs"),
                            "HELD", cur->owner};
          return {};
        }
        if (!live) {
          auto held = tx.query("SELECT COUNT(*) FROM qlock_locks WHERE owner = ? AND expires_ms > ?", {me, now});
          if (!held.ok()) return held.status();
          if ((*held)[0].i64(0) >= kMaxLeasesPerOwner)
            return Status::custom("QLOCK_LEASE_LIMIT", 409, false,
                                  me + " already holds " + std::to_string(kMaxLeasesPerOwner) + " leases",
                                  Json{{"max", kMaxLeasesPerOwner}})
                .with_suggestion("release leases you no longer need");
        }
        Lease l;
        if (live) {  // re-acquire by the owner: the same lease, extended
          l = *cur;
          l.expires_ms = now + ttl;
          l.ttl_ms = ttl;
          l.extensions += 1;
          if (!in.contains("metadata")) metadata = l.metadata;
        } else {
          auto fence = tx.query("UPDATE qlock_fence SET last = last + 1 WHERE id = 1 RETURNING last");
          if (!fence.ok()) return fence.status();
          l.resource = resource;
          l.owner = me;
          l.token = (*fence)[0].i64(0);
          l.acquired_ms = now;
          l.expires_ms = now + ttl;
          l.ttl_ms = ttl;
          l.acquisitions = (cur ? cur->acquisitions : 0) + 1;
        }
        l.metadata = metadata;
        auto w = tx.exec(
            "INSERT INTO qlock_locks (resource, owner, token, acquired_ms, expires_ms, ttl_ms, acquisitions, extensions, "
            "metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, "
            "token = excluded.token, acquired_ms = excluded.acquired_ms, expires_ms = excluded.expires_ms, "
            "ttl_ms = excluded.ttl_ms, acquisitions = excluded.acquisitions, extensions = excluded.extensions, "
            "metadata = excluded.metadata",
            {l.resource, l.owner, l.token, l.acquired_ms, l.expires_ms, l.ttl_ms, l.acquisitions, l.extensions,
             dump_compact(l.metadata)});
        if (!w.ok()) return w.status();
        Json ev = {{"lockId", resource}, {"resource", resource}, {"owner", me}, {"token", l.token}, {"ttl", ttl},
                   {"acquiredAt", format_rfc3339_ms(l.acquired_ms)}, {"expiresAt", format_rfc3339_ms(l.expires_ms)}};
        // Lease metadata is the owner's: events are public history, so it stays out.
        ANARQ_RETURN_IF_ERROR(publish_in(*env_, ctx, "q.qlock.lock.acquired.v1", tx, std::move(ev)));
        reply = Reply(lease_json(l, now), "LOCK_ACQUIRED", "lock acquired");
        return {};
      }
      // release | extend: the owner of a live lease only.
      if (!live) {
        refused = Refusal{Status::custom("QLOCK_LOCK_NOT_HELD", 409, false,
                                         resource + (cur ? " lapsed at " + format_rfc3339_ms(cur->expires_ms) : " is not locked"),
                                         Json{{"resource", resource}})
                              .with_suggestion("acquire it again (a new fencing token)"),
                          cur ? "EXPIRED" : "NOT_HELD", ""};
        return {};
      }
      if (cur->owner != me) {
        refused = Refusal{Status(ErrorCode::kQlockAuthFail, resource + " is held by another identity; only its owner may " + action),
                          "NOT_OWNER", cur->owner};
        return {};
      }
      if (token_mismatch()) {
        refused = Refusal{Status::custom("QLOCK_LOCK_TOKEN_MISMATCH", 409, false,
                                         "token " + std::to_string(in["token"].get<int64_t>()) + " is not the lease's (" +
                                             std::to_string(cur->token) + ")"),
                          "TOKEN_MISMATCH", cur->owner};
        return {};
      }
      if (action == "release") {
        auto d = tx.exec("DELETE FROM qlock_locks WHERE resource = ?", {resource});
        if (!d.ok()) return d.status();
        ANARQ_RETURN_IF_ERROR(publish_in(*env_, ctx, "q.qlock.lock.released.v1", tx,
                                         {{"lockId", resource}, {"resource", resource}, {"owner", me},
                                          {"token", cur->token}, {"releasedAt", format_rfc3339_ms(now)},
                                          {"duration", now - cur->acquired_ms},
                                          {"reason", in.value("reason", "released")}}));
        Json out = lease_json(*cur, now);
        out["held"] = false;
        out["released"] = true;
        reply = Reply(out, "LOCK_RELEASED", "lock released");
        return {};
      }
      Lease l = *cur;
      l.expires_ms = now + ttl;
      l.ttl_ms = ttl;
      l.extensions += 1;
      auto u = tx.exec("UPDATE qlock_locks SET expires_ms = ?, ttl_ms = ?, extensions = ? WHERE resource = ?",
                       {l.expires_ms, l.ttl_ms, l.extensions, resource});
      if (!u.ok()) return u.status();
      ANARQ_RETURN_IF_ERROR(publish_in(*env_, ctx, "q.qlock.lock.extended.v1", tx,
                                       {{"lockId", resource}, {"resource", resource}, {"owner", me},
                                        {"token", l.token}, {"previousExpiry", format_rfc3339_ms(cur->expires_ms)},
                                        {"newExpiry", format_rfc3339_ms(l.expires_ms)}, {"extension", ttl},
                                        {"extendedAt", format_rfc3339_ms(now)}}));
      reply = Reply(lease_json(l, now), "LOCK_EXTENDED", "lock extended");
      return {};
    });
    if (!s.ok()) return s;
    if (action == "release" && !refused) released_.notify_all();
    return reply;
  };

  const int64_t wait_ms = action == "acquire" ? in.value("waitMs", int64_t{0}) : 0;
  const int64_t deadline = env_->clock->now_ms() + wait_ms;
  // A waiter's slot, given back on every way out (return or exception).
  struct Slot {
    LockService* s = nullptr;
    ~Slot() {
      if (!s) return;
      std::lock_guard lock(s->mu_);
      --s->waiters_;
    }
  } slot;
  for (;;) {
    std::optional<Refusal> refused;
    auto r = attempt(refused);
    if (!r.ok() || !refused) return r;
    int64_t left = deadline - env_->clock->now_ms();
    if (refused->status.code() != "QLOCK_LOCK_UNAVAILABLE" || left <= 0) {
      if (wait_ms > 0 && refused->status.code() == "QLOCK_LOCK_UNAVAILABLE") refused->reason = "WAIT_TIMEOUT";
      fail_event(*refused);
      return refused->status;
    }
    std::unique_lock lock(mu_);
    if (!slot.s) {
      if (waiters_ >= kMaxWaiters) {
        lock.unlock();
        fail_event(*refused);
        return refused->status.with_suggestion("too many acquirers are already waiting here; retry later");
      }
      ++waiters_;
      slot.s = this;
    }
    if (stopping_) return Status::unavailable("the node is shutting down");
    // Woken by a release in this process; polls for other processes' releases and expiry.
    released_.wait_for(lock, std::chrono::milliseconds(std::min(left, kPollMs)));
  }
}

}  // namespace anarq::qlock
