#pragma once
// The authentication stage: sQuid signed requests exactly as
// ../shared/spec/standards.md section 3 defines them.
//
//   canonical = "anarq-request-v1" \n METHOD \n target-as-sent \n x-ts \n x-nonce
//               \n x-squid-id \n x-subid-or-empty \n hex(sha256(body))
//   x-sig     = base64url(no padding) Ed25519 signature over canonical, by the
//               acting key (x-subid if present, else x-squid-id)
//
// A request carrying none of the headers passes unauthenticated (the access
// stage then refuses non-public tools). One carrying any of them must verify
// completely, or it is refused with 401: SQUID_IDENTITY_INVALID for a missing
// or malformed identity header or an x-subid that is not a live subidentity
// of x-squid-id (asked of the sQuid module on every such request, so a
// deleted subidentity is refused at once), SIGNATURE_INVALID for a bad
// signature, a timestamp outside +-300 s, a nonce seen before from the same
// identity, or a request signed before this process started (so a restart
// cannot reopen the replay window: the nonce cache is in memory, and every
// request it forgot was signed earlier than that, or was future-dated and is
// covered by the durable high-water mark below).
//
// Calls that already carry an identity (CLI, MCP over stdio, in-process
// children) are not re-authenticated. Thread-safe: the nonce cache is
// mutex-guarded and bounded.
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "crypto/ed25519.h"
#include "pipeline/pipeline.h"
#include "store/db.h"

namespace anarq {

inline constexpr int64_t kSignatureWindowMs = 300'000;
inline constexpr size_t kMaxRememberedNonces = 1'000'000;
// One identity's share: about 160 signed requests a second, sustained over the
// 10 minutes a nonce is remembered (twice the 300 s window, from the later of
// x-ts and arrival).
inline constexpr size_t kMaxNoncesPerIdentity = 100'000;

// Nonces seen inside the window, per identity: a set for lookups and a queue
// in arrival order for expiry. Bounded in all (503 beyond) and per identity
// (429 beyond), so that no caller fills the table for the others; a nonce that
// could still be replayed is never forgotten. Thread-safe.
class NonceCache {
 public:
  explicit NonceCache(size_t max_total = kMaxRememberedNonces, size_t max_per_identity = kMaxNoncesPerIdentity)
      : max_total_(max_total), max_per_identity_(max_per_identity) {}
  // False when (identity, nonce) was seen; REQUIRES the signature verified.
  Result<bool> insert(const std::string& squid_id, const std::string& nonce, int64_t ts_ms, int64_t now_ms);

 private:
  const size_t max_total_, max_per_identity_;
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::unordered_map<std::string, size_t> per_identity_;
  std::deque<std::pair<int64_t, std::string>> order_;  // (expiry base, key), oldest first
};

// The exact bytes a request signature covers.
std::string canonical_request(const std::string& method, const std::string& target, const std::string& ts,
                              const std::string& nonce, const std::string& squid_id, const std::string& sub_id,
                              std::string_view body);

// The client side: the x-squid-id, x-ts, x-nonce and x-sig headers for one
// request signed by `key` (nonce: 16-64 of [A-Za-z0-9_-]). With `root_id`,
// `key` is a subidentity of that root: x-squid-id = root_id, x-subid = key's DID.
std::vector<std::pair<std::string, std::string>> signed_request_headers(const crypto::Ed25519KeyPair& key,
                                                                        const std::string& method,
                                                                        const std::string& target,
                                                                        std::string_view body, int64_t ts_ms,
                                                                        const std::string& nonce,
                                                                        const std::string& root_id = "");

// Whether sub_id is a live (not deleted) subidentity of squid_id. The sQuid
// module answers it (wired by app/); without one, no subidentity is live.
using SubidentityCheck = std::function<Result<bool>(const std::string& squid_id, const std::string& sub_id)>;

// Whether a did:key is a registered, active identity of this node (the sQuid
// module answers it); without one, none is. Asked only of requests dated
// ahead of the node's clock or within a second after its start.
using RegisteredCheck = std::function<Result<bool>(const std::string& did)>;

// Unregistered identities (anyone can mint one) get no durable row each: their
// x-ts may lead the node's clock by at most this much, and they share one
// node-wide high-water mark, so none accepted before a restart replays after it.
inline constexpr int64_t kUnregisteredLeadMs = 1000;

// started_ms: requests signed before it are refused (see above). With a db
// (the stage migrates its table, module "auth"), requests signed ahead of this
// node's clock also stay refused after a restart: per acting DID, the stage
// keeps a durable high-water mark H of the future-dated x-ts it accepted
// (written before the request proceeds, in 1-2 s steps, so at most about once
// a second per DID) and, after a restart, refuses that DID's x-ts <= H. A
// request accepted before the restart was either signed before the start or
// future-dated, so none replays; only a DID that signed ahead of the clock
// waits (at most its own lead) after a restart. Only registered identities
// (RegisteredCheck) get a mark. Without a db, only started_ms.
std::vector<Migration> authenticate_migrations();
Result<std::unique_ptr<Stage>> make_authenticate_stage(int64_t started_ms, SubidentityCheck check = {},
                                                       Db* db = nullptr, RegisteredCheck registered = {});

}  // namespace anarq
