#include "pipeline/authenticate.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.h"
#include "core/ids.h"
#include "crypto/ed25519.h"
#include "crypto/locksig.h"
#include "ipld/multibase.h"
#include "ipld/multihash.h"

namespace anarq {
namespace {

const char* kSignedHeaders[] = {"x-squid-id", "x-subid", "x-ts", "x-nonce", "x-sig"};
// The high-water row every unregistered identity shares (not a DID).
const char* const kUnregisteredMark = "*unregistered";

Status identity_invalid(std::string why) {
  return Status(ErrorCode::kSquidIdentityInvalid, std::move(why))
      .with_suggestion("send x-squid-id, x-ts, x-nonce and x-sig as standards.md section 3 defines them");
}
Status signature_invalid(std::string why) {
  return Status(ErrorCode::kSignatureInvalid, std::move(why))
      .with_suggestion("sign the canonical request string again with a fresh x-ts and x-nonce");
}

// did:key -> Ed25519 public key, per thread and bounded: base58 decoding is
// quadratic, and every signed request needs the key of one or two DIDs.
Result<std::string> public_key_of(const std::string& did) {
  constexpr size_t kMaxCached = 4096;
  thread_local std::unordered_map<std::string, std::string> cache;
  if (auto it = cache.find(did); it != cache.end()) return it->second;
  auto pk = crypto::ed25519_from_did_key(did);
  if (!pk.ok()) return pk;
  if (cache.size() >= kMaxCached) cache.clear();
  cache.emplace(did, *pk);
  return pk;
}

class AuthenticateStage final : public Stage {
 public:
  AuthenticateStage(int64_t started_ms, SubidentityCheck check, Db* db,
                    std::unordered_map<std::string, int64_t> restart_gates, RegisteredCheck registered)
      : started_ms_(started_ms), check_(std::move(check)), db_(db), registered_(std::move(registered)),
        restart_gates_(std::move(restart_gates)), persisted_(restart_gates_) {}
  const char* name() const override { return "authenticate"; }

  Result<Reply> process(Call& call, Chain& next) override {
    Context& ctx = call.ctx;
    if (ctx.identity) return next.proceed(call);  // a local transport or a child call
    const auto& h = ctx.headers;
    bool any = false;
    for (const char* name : kSignedHeaders) any |= h.count(name) > 0;
    if (!any) return next.proceed(call);
    auto get = [&](const char* name) -> const std::string* {
      auto it = h.find(name);
      return it == h.end() ? nullptr : &it->second;
    };
    const std::string* squid = get("x-squid-id");
    const std::string* ts_text = get("x-ts");
    const std::string* nonce = get("x-nonce");
    const std::string* sig_text = get("x-sig");
    const std::string* sub = get("x-subid");
    if (!squid || !ts_text || !nonce || !sig_text) {
      std::string missing;
      for (auto [n, v] : {std::pair{"x-squid-id", squid}, {"x-ts", ts_text}, {"x-nonce", nonce}, {"x-sig", sig_text}})
        if (!v) missing += (missing.empty() ? "" : ", ") + std::string(n);
      return identity_invalid("signed request without " + missing);
    }
    auto pk = public_key_of(*squid);
    if (!pk.ok()) return identity_invalid("x-squid-id is not an Ed25519 did:key");
    std::string sub_id = sub ? *sub : "";
    if (sub) {
      auto sub_pk = public_key_of(*sub);
      if (!sub_pk.ok()) return identity_invalid("x-subid is not an Ed25519 did:key");
      pk = std::move(sub_pk);  // the acting key signs
    }
    int64_t ts = 0;
    auto [end, ec] = std::from_chars(ts_text->data(), ts_text->data() + ts_text->size(), ts);
    if (ec != std::errc() || end != ts_text->data() + ts_text->size() || ts_text->empty())
      return signature_invalid("x-ts must be integer milliseconds since the Unix epoch");
    if (!crypto::validate_locksig_nonce(*nonce).ok())
      return signature_invalid("x-nonce must be 16-64 characters of [A-Za-z0-9_-]");
    int64_t now = ctx.clock->now_ms();
    if (ts < now - kSignatureWindowMs || ts > now + kSignatureWindowMs)
      return signature_invalid("x-ts is " + std::to_string((now - ts) / 1000) + " s away from this node's clock (window: 300 s)");
    if (ts < started_ms_)
      return signature_invalid("request signed before this node (re)started; sign it again");
    auto sig = ipld::base64_decode(*sig_text, /*url=*/true);
    if (!sig.ok() || sig->size() != crypto::kEd25519SignatureBytes)
      return signature_invalid("x-sig must be a base64url (unpadded) 64-byte Ed25519 signature");
    std::string_view body = ctx.body ? std::string_view(*ctx.body) : std::string_view();
    std::string canonical = canonical_request(ctx.method, ctx.target, *ts_text, *nonce, *squid, sub_id, body);
    const std::string& acting = sub ? *sub : *squid;
    if (!crypto::ed25519_verify(*pk, canonical, *sig))
      return signature_invalid("x-sig does not verify for " + acting + " over this method, target, body and headers");
    // Only a verified request costs a directory lookup.
    if (sub) {
      auto live = check_ ? check_(*squid, *sub) : Result<bool>(false);
      if (!live.ok()) return live.status();
      if (!*live) return identity_invalid("x-subid " + *sub + " is not a live subidentity of " + *squid);
    }
    if (auto g = restart_gates_.find(acting); g != restart_gates_.end() && ts <= g->second)
      return signature_invalid("request dated at or before " + std::to_string(g->second) + ", as " + acting +
                               "'s future-dated requests before this node restarted; sign it again with the current time");
    // Durable replay marks per DID only for registered identities. A
    // throwaway did:key may lead the clock by a second at most and shares one
    // node-wide mark (kUnregisteredMark), so minting identities costs no rows.
    std::string mark_key = acting;
    auto unregistered_gate = restart_gates_.find(kUnregisteredMark);
    bool gated = unregistered_gate != restart_gates_.end() && ts <= unregistered_gate->second;
    if (ts > now || gated) {
      auto r = registered_ ? registered_(acting) : Result<bool>(false);
      if (!r.ok()) return r.status();
      if (!*r) {
        if (ts > now + kUnregisteredLeadMs)
          return signature_invalid("x-ts is " + std::to_string(ts - now) + " ms ahead of this node's clock; an unregistered identity may lead it by " +
                                   std::to_string(kUnregisteredLeadMs) + " ms at most");
        if (gated) return signature_invalid("request dated at or before this node's restart mark for unregistered identities; sign it again with the current time");
        mark_key = kUnregisteredMark;
      }
    }
    auto fresh = nonces_.insert(acting, *nonce, ts, now);
    if (!fresh.ok()) return fresh.status();
    if (!*fresh) return signature_invalid("x-nonce was already used by " + acting + " (replay)");
    if (ts > now) ANARQ_RETURN_IF_ERROR(raise_high_water(mark_key, ts, now));
    ctx.identity = IdentityRef{*squid, sub_id, ""};
    return next.proceed(call);
  }

 private:
  // Durable before the request proceeds: a future-dated request accepted now
  // must stay refused after a crash and restart. Per acting DID, so that one
  // identity's clock cannot lock out the others.
  Status raise_high_water(const std::string& did, int64_t ts, int64_t now) {
    if (!db_) return {};
    std::lock_guard lock(high_water_mu_);
    auto it = persisted_.find(did);
    if (it != persisted_.end() && ts <= it->second) return {};
    int64_t next = (ts / 1000 + 2) * 1000;  // 1-2 s ahead: one write per second at most
    Status s = db_->transaction([&](Tx& tx) -> Status {
      auto w = tx.exec("INSERT INTO auth_high_water (did, v) VALUES (?, ?) ON CONFLICT (did) DO UPDATE SET v = excluded.v "
                       "WHERE auth_high_water.v < excluded.v", {did, next});
      if (!w.ok()) return w.status();
      // Marks older than the window no longer refuse anything.
      return tx.exec("DELETE FROM auth_high_water WHERE v < ?", {now - kSignatureWindowMs}).status();
    });
    if (!s.ok()) return Status::unavailable("cannot record the replay high-water mark: " + s.message()).with_retry_after(1);
    if (persisted_.size() >= kMaxRememberedNonces) {
      for (auto e = persisted_.begin(); e != persisted_.end();) e = e->second < now - kSignatureWindowMs ? persisted_.erase(e) : std::next(e);
      if (persisted_.size() >= kMaxRememberedNonces)
        return Status::unavailable("too many identities signing ahead of this node's clock").with_retry_after(5);
    }
    persisted_[did] = next;
    return {};
  }

  int64_t started_ms_;
  SubidentityCheck check_;
  Db* db_;
  RegisteredCheck registered_;
  const std::unordered_map<std::string, int64_t> restart_gates_;  // as persisted before this start
  std::mutex high_water_mu_;
  std::unordered_map<std::string, int64_t> persisted_;
  NonceCache nonces_;
};

}  // namespace

Result<bool> NonceCache::insert(const std::string& squid_id, const std::string& nonce, int64_t ts_ms, int64_t now_ms) {
  std::lock_guard lock(mu_);
  while (!order_.empty() && order_.front().first < now_ms - 2 * kSignatureWindowMs) {
    const std::string& old = order_.front().second;
    auto owner = per_identity_.find(old.substr(0, old.find('\n')));
    if (owner != per_identity_.end() && --owner->second == 0) per_identity_.erase(owner);
    seen_.erase(old);
    order_.pop_front();
  }
  std::string key = squid_id + '\n' + nonce;
  if (seen_.count(key)) return false;
  if (seen_.size() >= max_total_)
    return Status::unavailable("too many signed requests inside the replay window; retry shortly").with_retry_after(5);
  size_t& mine = per_identity_[squid_id];
  if (mine >= max_per_identity_)
    return Status(ErrorCode::kRateLimitExceeded,
                  squid_id + " signed " + std::to_string(max_per_identity_) + " requests inside the replay window; slow down")
        .with_retry_after(10);
  ++mine;
  seen_.insert(key);
  order_.emplace_back(std::max(ts_ms, now_ms), std::move(key));
  return true;
}

std::string canonical_request(const std::string& method, const std::string& target, const std::string& ts,
                              const std::string& nonce, const std::string& squid_id, const std::string& sub_id,
                              std::string_view body) {
  std::string out = "anarq-request-v1\n";
  for (char c : method) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += '\n' + target + '\n' + ts + '\n' + nonce + '\n' + squid_id + '\n' + sub_id + '\n';
  if (body.empty()) {
    out += "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";  // SHA-256 of no bytes
  } else {
    auto digest = ipld::Sha256::digest(body);
    out += hex_lower(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> signed_request_headers(const crypto::Ed25519KeyPair& key,
                                                                        const std::string& method,
                                                                        const std::string& target,
                                                                        std::string_view body, int64_t ts_ms,
                                                                        const std::string& nonce,
                                                                        const std::string& root_id) {
  std::string did = crypto::did_key_from_ed25519(key.public_key());
  std::string squid = root_id.empty() ? did : root_id;
  std::string sub = root_id.empty() ? "" : did;
  std::string ts = std::to_string(ts_ms);
  std::string sig = crypto::ed25519_sign(key, canonical_request(method, target, ts, nonce, squid, sub, body));
  std::vector<std::pair<std::string, std::string>> h = {
      {"x-squid-id", squid}, {"x-ts", ts}, {"x-nonce", nonce}, {"x-sig", ipld::base64_encode(sig, /*url=*/true)}};
  if (!sub.empty()) h.emplace_back("x-subid", sub);
  return h;
}

std::vector<Migration> authenticate_migrations() {
  return {{1, "replay high-water marks of future-dated requests",
           "CREATE TABLE auth_high_water (did TEXT PRIMARY KEY, v BIGINT NOT NULL)"}};
}

Result<std::unique_ptr<Stage>> make_authenticate_stage(int64_t started_ms, SubidentityCheck check, Db* db,
                                                       RegisteredCheck registered) {
  std::unordered_map<std::string, int64_t> gates;
  if (db) {
    ANARQ_RETURN_IF_ERROR(db->migrate("auth", authenticate_migrations()));
    auto rows = db->query("SELECT did, v FROM auth_high_water WHERE v >= ? LIMIT ?",
                          {started_ms - kSignatureWindowMs, static_cast<int64_t>(kMaxRememberedNonces)});
    if (!rows.ok()) return rows.status();
    for (const auto& r : rows->rows) gates.emplace(r.str(0), r.i64(1));
  }
  return std::unique_ptr<Stage>(
      std::make_unique<AuthenticateStage>(started_ms, std::move(check), db, std::move(gates), std::move(registered)));
}

}  // namespace anarq
