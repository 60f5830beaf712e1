#pragma once
// Pins: the content this node promises to keep, in the state Db (module
// "content", content_migrations()). The garbage collector (store/gc.h) keeps
// every block a live pin reaches and sweeps the rest.
//
// A pin is (cid, resource_type): each resource type (a data module's kind of
// content, "qdrive.file", "qmail.message") holds its own pin on a CID, so one
// module letting go never unpins what another keeps. No resource type means a
// plain user pin (Kubo `pin add`), stored as resource_type ''.
//   recursive   the CID and every block reachable from it (pinning requires
//               all of them to be present locally)
//   direct      that one block
// Retention comes from the resource type's policy (set_policy), or PERMANENT
// when it has none:
//   PERMANENT    kept until unpinned
//   TEMPORARY    expires_at = pin time + ttl_ms; an expired pin is not live
//                (is_pinned false, not listed, not a GC root) and the next GC
//                deletes its row. Pinning again refreshes expires_at.
//   CONDITIONAL  live until unpinned: evaluating the condition, and unpinning
//                when it no longer holds, is the owning module's business.
// Pinning a CID again for the same resource type keeps its created_at, never
// turns a recursive pin into a direct one, and takes the current policy.
//
// Times are epoch milliseconds from the injected Clock. Tables:
//   content_pins(cid, resource_type, kind, created_at, policy, expires_at)
//   content_pin_policies(resource_type, policy, ttl_ms, condition, updated_at)
//
// Thread-safety: all methods are safe to call concurrently (each is one Db
// transaction). pin() needs the caller's AddGuard so that the blocks it checks
// cannot be swept before its row commits (see gc_lock.h).
//
//   auto pins = Pins::open(db, blocks, SystemClock::instance());
//   auto guard = (*pins)->gc_lock().add_guard();
//   ... put the DAG's blocks ...
//   ANARQ_RETURN_IF_ERROR((*pins)->pin(guard, root, /*recursive=*/true, "qdrive.file"));
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "ipld/cid.h"
#include "ipld/links.h"
#include "store/blockstore.h"
#include "store/db.h"
#include "store/gc_lock.h"

namespace anarq {

enum class PinKind { kRecursive, kDirect };
enum class PinPolicy { kPermanent, kTemporary, kConditional };

// Wire spellings: "recursive" | "direct"; "PERMANENT" | "TEMPORARY" | "CONDITIONAL".
std::string_view pin_kind_name(PinKind kind);
std::optional<PinKind> pin_kind_from_name(std::string_view name);
std::string_view pin_policy_name(PinPolicy policy);
std::optional<PinPolicy> pin_policy_from_name(std::string_view name);

struct Pin {
  ipld::Cid cid;
  PinKind kind = PinKind::kRecursive;
  std::optional<std::string> resource_type;
  PinPolicy policy = PinPolicy::kPermanent;
  int64_t created_at_ms = 0;
  std::optional<int64_t> expires_at_ms;  // TEMPORARY only
};

struct ResourcePinPolicy {
  std::string resource_type;
  PinPolicy policy = PinPolicy::kPermanent;
  std::optional<int64_t> ttl_ms;         // TEMPORARY: required, 1..kMaxPinTtlMs
  std::optional<std::string> condition;  // CONDITIONAL: required, opaque to us
  friend bool operator==(const ResourcePinPolicy&, const ResourcePinPolicy&) = default;
};

// Resource types: 1..128 characters of [A-Za-z0-9._:/-].
inline constexpr size_t kMaxResourceTypeBytes = 128;
inline constexpr size_t kMaxPinConditionBytes = 4096;
inline constexpr int64_t kMaxPinTtlMs = int64_t{100} * 365 * 24 * 3600 * 1000;
inline constexpr size_t kMaxPinPage = 1000;

struct PinListOptions {
  std::optional<PinKind> kind;
  std::optional<std::string> resource_type;  // "" = plain user pins only
  std::string cursor;                        // next_cursor of the previous page; "" = start
  size_t limit = 100;                        // 1..kMaxPinPage
  bool include_expired = false;
};

struct PinPage {
  std::vector<Pin> pins;             // ordered by (cid text, resource type)
  std::optional<std::string> next_cursor;  // set when more may follow
};

std::vector<Migration> content_migrations();

class Pins {
 public:
  // Applies content_migrations() to `db`. The references must outlive Pins.
  static Result<std::unique_ptr<Pins>> open(Db& db, Blockstore& blocks, const Clock& clock,
                                            ipld::WalkLimits limits = {});

  // Pins `cid`. A recursive pin first walks the whole DAG through the
  // blockstore: NOT_FOUND naming the first missing block if one is absent.
  // A direct pin needs just that block. REQUIRES: `guard` holds gc_lock().
  // `known_complete`: the caller wrote every block of the DAG itself under this
  // same guard (an import that just committed), so the completeness walk —
  // which re-reads every dag-pb block — is skipped.
  Status pin(const GcLock::AddGuard& guard, const ipld::Cid& cid, bool recursive,
             std::optional<std::string> resource_type = std::nullopt, bool known_complete = false);
  // Removes the pin of that resource type, or every pin of the CID when none is
  // given. NOT_FOUND when there was nothing to remove.
  Status unpin(const ipld::Cid& cid, std::optional<std::string> resource_type = std::nullopt);
  // Live pins of exactly this CID (not pins of DAGs that contain it), at most
  // kMaxPinPage of them, ordered by resource type.
  Result<std::vector<Pin>> find(const ipld::Cid& cid);
  Result<bool> is_pinned(const ipld::Cid& cid);
  Result<PinPage> list(const PinListOptions& options);
  // Live pins, every resource type (for /metrics).
  Result<int64_t> count();

  Status set_policy(const ResourcePinPolicy& policy);
  Result<std::optional<ResourcePinPolicy>> get_policy(std::string_view resource_type);

  // For the GC: deletes TEMPORARY pins expired at `now_ms`; returns how many.
  Result<int64_t> drop_expired(int64_t now_ms);
  // For the GC: every pin (expired ones included), page by page.
  Status for_each(const std::function<Status(const Pin&)>& fn);

  GcLock& gc_lock() { return gc_lock_; }
  Blockstore& blocks() { return blocks_; }
  const Clock& clock() const { return clock_; }

 private:
  Pins(Db& db, Blockstore& blocks, const Clock& clock, ipld::WalkLimits limits)
      : db_(db), blocks_(blocks), clock_(clock), limits_(limits) {}

  Db& db_;
  Blockstore& blocks_;
  const Clock& clock_;
  ipld::WalkLimits limits_;
  GcLock gc_lock_;
};

}  // namespace anarq
