#include "store/pins.h"

#include <cassert>
#include <utility>

namespace anarq {
namespace {

using ipld::Cid;

constexpr const char* kSelectPin =
    "SELECT cid, resource_type, kind, created_at, policy, expires_at FROM content_pins";

// Keeps the code of `s` and puts `prefix` before its message.
Status with_context(const Status& s, const std::string& prefix) {
  if (auto code = error_code_from_name(s.code())) return Status(*code, prefix + s.message(), s.details());
  return Status::custom(s.code(), s.http_status(), s.retryable(), prefix + s.message(), s.details());
}

Status check_resource_type(std::string_view rt) {
  if (rt.empty() || rt.size() > kMaxResourceTypeBytes) {
    return Status::validation("resource type must be 1.." + std::to_string(kMaxResourceTypeBytes) +
                              " characters");
  }
  for (char c : rt) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return Status::validation("resource type may only hold A-Z a-z 0-9 . _ : / -");
  }
  return {};
}

Status check_policy(const ResourcePinPolicy& p) {
  ANARQ_RETURN_IF_ERROR(check_resource_type(p.resource_type));
  if (p.policy == PinPolicy::kTemporary) {
    if (!p.ttl_ms || *p.ttl_ms < 1 || *p.ttl_ms > kMaxPinTtlMs) {
      return Status::validation("a TEMPORARY policy needs ttl_ms in 1.." + std::to_string(kMaxPinTtlMs));
    }
  } else if (p.ttl_ms) {
    return Status::validation("ttl_ms is only for TEMPORARY policies");
  }
  if (p.policy == PinPolicy::kConditional) {
    if (!p.condition || p.condition->empty() || p.condition->size() > kMaxPinConditionBytes) {
      return Status::validation("a CONDITIONAL policy needs a condition of 1.." +
                                std::to_string(kMaxPinConditionBytes) + " bytes");
    }
  } else if (p.condition) {
    return Status::validation("condition is only for CONDITIONAL policies");
  }
  return {};
}

// Rows are ours, but a database edited by hand must not crash us: read
// columns without throwing.
const std::string* text_at(const Row& row, size_t i) { return std::get_if<std::string>(&row.values.at(i)); }
std::optional<int64_t> int_at(const Row& row, size_t i) {
  if (const auto* v = std::get_if<int64_t>(&row.values.at(i))) return *v;
  return std::nullopt;
}

Result<Pin> pin_from_row(const Row& row) {
  const std::string* cid_text = text_at(row, 0);
  const std::string* rt = text_at(row, 1);
  const std::string* kind_text = text_at(row, 2);
  const std::string* policy_text = text_at(row, 4);
  std::optional<int64_t> created = int_at(row, 3);
  if (!cid_text || !rt || !kind_text || !policy_text || !created) {
    return Status::internal("content_pins: malformed row");
  }
  Result<Cid> cid = Cid::parse(*cid_text);
  std::optional<PinKind> kind = pin_kind_from_name(*kind_text);
  std::optional<PinPolicy> policy = pin_policy_from_name(*policy_text);
  if (!cid.ok() || !kind || !policy) return Status::internal("content_pins: malformed row for " + *cid_text);
  Pin pin{std::move(cid).value(), *kind, std::nullopt, *policy, *created, int_at(row, 5)};
  if (!rt->empty()) pin.resource_type = *rt;
  return pin;
}

Result<std::vector<Pin>> pins_from_rows(const Rows& rows) {
  std::vector<Pin> out;
  out.reserve(rows.size());
  for (const Row& row : rows.rows) {
    Result<Pin> pin = pin_from_row(row);
    if (!pin.ok()) return pin.status();
    out.push_back(std::move(pin).value());
  }
  return out;
}

}  // namespace

std::string_view pin_kind_name(PinKind kind) { return kind == PinKind::kRecursive ? "recursive" : "direct"; }

std::optional<PinKind> pin_kind_from_name(std::string_view name) {
  if (name == "recursive") return PinKind::kRecursive;
  if (name == "direct") return PinKind::kDirect;
  return std::nullopt;
}

std::string_view pin_policy_name(PinPolicy policy) {
  switch (policy) {
    case PinPolicy::kPermanent: return "PERMANENT";
    case PinPolicy::kTemporary: return "TEMPORARY";
    case PinPolicy::kConditional: return "CONDITIONAL";
  }
  return "PERMANENT";
}

std::optional<PinPolicy> pin_policy_from_name(std::string_view name) {
  if (name == "PERMANENT") return PinPolicy::kPermanent;
  if (name == "TEMPORARY") return PinPolicy::kTemporary;
  if (name == "CONDITIONAL") return PinPolicy::kConditional;
  return std::nullopt;
}

std::vector<Migration> content_migrations() {
  // Portable SQL (SQLite and PostgreSQL): BIGINT epoch ms, CHECK lists, and a
  // NOT NULL resource_type ('' = none) because primary key columns cannot be
  // NULL in PostgreSQL.
  return {
      {1, "pins and pin policies",
       "CREATE TABLE content_pins ("
       " cid TEXT NOT NULL,"
       " resource_type TEXT NOT NULL DEFAULT '',"
       " kind TEXT NOT NULL CHECK (kind IN ('recursive', 'direct')),"
       " created_at BIGINT NOT NULL,"
       " policy TEXT NOT NULL CHECK (policy IN ('PERMANENT', 'TEMPORARY', 'CONDITIONAL')),"
       " expires_at BIGINT,"
       " PRIMARY KEY (cid, resource_type));"
       "CREATE INDEX content_pins_expires_at ON content_pins (expires_at);"
       "CREATE TABLE content_pin_policies ("
       " resource_type TEXT NOT NULL PRIMARY KEY,"
       " policy TEXT NOT NULL CHECK (policy IN ('PERMANENT', 'TEMPORARY', 'CONDITIONAL')),"
       " ttl_ms BIGINT,"
       " condition TEXT,"
       " updated_at BIGINT NOT NULL)"},
  };
}

Result<std::unique_ptr<Pins>> Pins::open(Db& db, Blockstore& blocks, const Clock& clock, ipld::WalkLimits limits) {
  ANARQ_RETURN_IF_ERROR(db.migrate("content", content_migrations()));
  return std::unique_ptr<Pins>(new Pins(db, blocks, clock, limits));
}

Status Pins::pin(const GcLock::AddGuard& guard, const Cid& cid, bool recursive,
                 std::optional<std::string> resource_type, bool known_complete) {
  assert(guard.holds(gc_lock_) && "pin() without this node's add guard");
  if (!guard.holds(gc_lock_)) return Status::internal("pin: the caller does not hold the add guard");
  if (resource_type) ANARQ_RETURN_IF_ERROR(check_resource_type(*resource_type));

  PinPolicy policy = PinPolicy::kPermanent;
  std::optional<int64_t> ttl;
  if (resource_type) {
    Result<std::optional<ResourcePinPolicy>> p = get_policy(*resource_type);
    if (!p.ok()) return p.status();
    if (*p) {
      policy = (*p)->policy;
      ttl = (*p)->ttl_ms;
    }
  }

  const std::string text = cid.to_string();
  if (recursive && known_complete) {
    Result<bool> present = blocks_.has(cid);  // the root at least: a cheap guard against misuse
    if (!present.ok()) return present.status();
    if (!*present) return Status::internal("pin: " + text + " claimed complete but its root is missing");
  } else if (recursive) {
    ipld::DagWalker walker(links_getter(blocks_), limits_);
    Status s = walker.walk(cid, [](const Cid&, std::string_view) { return Status(); });
    if (!s.ok()) return with_context(s, "cannot pin " + text + " recursively: ");
  } else {
    Result<bool> present = blocks_.has(cid);
    if (!present.ok()) return present.status();
    if (!*present) return Status::not_found("cannot pin " + text + ": block " + text + " is not in the local blockstore");
  }

  const int64_t now = clock_.now_ms();
  Value expires = nullptr;
  if (policy == PinPolicy::kTemporary && ttl) expires = now + *ttl;
  const std::string kind(pin_kind_name(recursive ? PinKind::kRecursive : PinKind::kDirect));
  return db_.transaction([&](Tx& tx) -> Status {
    // A recursive pin is never weakened to direct; created_at stays the first pin's.
    auto r = tx.exec(
        "INSERT INTO content_pins (cid, resource_type, kind, created_at, policy, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (cid, resource_type) DO UPDATE SET"
        " kind = CASE WHEN content_pins.kind = 'recursive' THEN 'recursive' ELSE excluded.kind END,"
        " policy = excluded.policy, expires_at = excluded.expires_at",
        {text, resource_type.value_or(""), kind, now, std::string(pin_policy_name(policy)), expires});
    return r.ok() ? Status() : r.status();
  });
}

Status Pins::unpin(const Cid& cid, std::optional<std::string> resource_type) {
  const std::string text = cid.to_string();
  int64_t removed = 0;
  ANARQ_RETURN_IF_ERROR(db_.transaction([&](Tx& tx) -> Status {
    Result<int64_t> r = resource_type
                            ? tx.exec("DELETE FROM content_pins WHERE cid = ? AND resource_type = ?", {text, *resource_type})
                            : tx.exec("DELETE FROM content_pins WHERE cid = ?", {text});
    if (!r.ok()) return r.status();
    removed = *r;
    return {};
  }));
  if (removed == 0) {
    return Status::not_found(text + " is not pinned" +
                             (resource_type ? " for resource type " + *resource_type : std::string()));
  }
  return {};
}

Result<std::vector<Pin>> Pins::find(const Cid& cid) {
  Result<Rows> rows = db_.query(std::string(kSelectPin) +
                                    " WHERE cid = ? AND (expires_at IS NULL OR expires_at > ?)"
                                    " ORDER BY resource_type LIMIT ?",
                                {cid.to_string(), clock_.now_ms(), static_cast<int64_t>(kMaxPinPage)});
  if (!rows.ok()) return rows.status();
  return pins_from_rows(*rows);
}

Result<bool> Pins::is_pinned(const Cid& cid) {
  Result<std::vector<Pin>> pins = find(cid);
  if (!pins.ok()) return pins.status();
  return !pins->empty();
}

Result<int64_t> Pins::count() {
  auto rows = db_.query("SELECT COUNT(*) FROM content_pins WHERE expires_at IS NULL OR expires_at > ?", {clock_.now_ms()});
  if (!rows.ok()) return rows.status();
  return rows->rows[0].i64(0);
}

Result<PinPage> Pins::list(const PinListOptions& options) {
  if (options.limit < 1 || options.limit > kMaxPinPage) {
    return Status::validation("limit must be 1.." + std::to_string(kMaxPinPage));
  }
  std::string sql = std::string(kSelectPin) + " WHERE 1 = 1";
  std::vector<Value> params;
  if (!options.cursor.empty()) {
    // Cursor: "<cid>/<resource type>" of the last pin returned. A CID has no '/'.
    const size_t slash = options.cursor.find('/');
    if (slash == std::string::npos || slash > ipld::kMaxCidTextBytes ||
        options.cursor.size() - slash - 1 > kMaxResourceTypeBytes) {
      return Status::validation("malformed cursor");
    }
    const std::string cid_text = options.cursor.substr(0, slash);
    sql += " AND (cid > ? OR (cid = ? AND resource_type > ?))";
    params.insert(params.end(), {cid_text, cid_text, options.cursor.substr(slash + 1)});
  }
  if (options.kind) {
    sql += " AND kind = ?";
    params.emplace_back(std::string(pin_kind_name(*options.kind)));
  }
  if (options.resource_type) {
    if (!options.resource_type->empty()) ANARQ_RETURN_IF_ERROR(check_resource_type(*options.resource_type));
    sql += " AND resource_type = ?";
    params.emplace_back(*options.resource_type);
  }
  if (!options.include_expired) {
    sql += " AND (expires_at IS NULL OR expires_at > ?)";
    params.emplace_back(clock_.now_ms());
  }
  sql += " ORDER BY cid, resource_type LIMIT ?";
  params.emplace_back(static_cast<int64_t>(options.limit + 1));

  Result<Rows> rows = db_.query(sql, params);
  if (!rows.ok()) return rows.status();
  PinPage page;
  const bool more = rows->size() > options.limit;
  if (more) rows->rows.pop_back();
  Result<std::vector<Pin>> pins = pins_from_rows(*rows);
  if (!pins.ok()) return pins.status();
  page.pins = std::move(pins).value();
  if (more) {
    const Row& last = rows->rows.back();
    page.next_cursor = *text_at(last, 0) + "/" + *text_at(last, 1);
  }
  return page;
}

Status Pins::set_policy(const ResourcePinPolicy& p) {
  ANARQ_RETURN_IF_ERROR(check_policy(p));
  Value ttl = nullptr;
  if (p.ttl_ms) ttl = *p.ttl_ms;
  Value condition = nullptr;
  if (p.condition) condition = *p.condition;
  return db_.transaction([&](Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO content_pin_policies (resource_type, policy, ttl_ms, condition, updated_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (resource_type) DO UPDATE SET"
        " policy = excluded.policy, ttl_ms = excluded.ttl_ms, condition = excluded.condition,"
        " updated_at = excluded.updated_at",
        {p.resource_type, std::string(pin_policy_name(p.policy)), ttl, condition, clock_.now_ms()});
    return r.ok() ? Status() : r.status();
  });
}

Result<std::optional<ResourcePinPolicy>> Pins::get_policy(std::string_view resource_type) {
  ANARQ_RETURN_IF_ERROR(check_resource_type(resource_type));
  Result<Rows> rows = db_.query(
      "SELECT policy, ttl_ms, condition FROM content_pin_policies WHERE resource_type = ?",
      {std::string(resource_type)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<ResourcePinPolicy>();
  const Row& row = (*rows)[0];
  const std::string* policy_text = text_at(row, 0);
  std::optional<PinPolicy> policy = policy_text ? pin_policy_from_name(*policy_text) : std::nullopt;
  if (!policy) return Status::internal("content_pin_policies: malformed row for " + std::string(resource_type));
  ResourcePinPolicy out{std::string(resource_type), *policy, int_at(row, 1), std::nullopt};
  if (const std::string* c = text_at(row, 2)) out.condition = *c;
  return std::optional<ResourcePinPolicy>(std::move(out));
}

Result<int64_t> Pins::drop_expired(int64_t now_ms) {
  int64_t dropped = 0;
  ANARQ_RETURN_IF_ERROR(db_.transaction([&](Tx& tx) -> Status {
    Result<int64_t> r = tx.exec(
        "DELETE FROM content_pins WHERE policy = 'TEMPORARY' AND expires_at IS NOT NULL AND expires_at <= ?",
        {now_ms});
    if (!r.ok()) return r.status();
    dropped = *r;
    return {};
  }));
  return dropped;
}

Status Pins::for_each(const std::function<Status(const Pin&)>& fn) {
  PinListOptions options;
  options.limit = kMaxPinPage;
  options.include_expired = true;
  while (true) {
    Result<PinPage> page = list(options);
    if (!page.ok()) return page.status();
    for (const Pin& pin : page->pins) ANARQ_RETURN_IF_ERROR(fn(pin));
    if (!page->next_cursor) return {};
    options.cursor = *page->next_cursor;
  }
}

}  // namespace anarq
