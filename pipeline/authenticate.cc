#include "pipeline/authenticate.h"

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

Status identity_invalid(std::string why) {
  return Status(ErrorCode::kSquidIdentityInvalid, std::move(why))
      .with_suggestion("send x-squid-id, x-ts, x-nonce and x-sig as standards.md section 3 defines them");
}
Status signature_invalid(std::string why) {
  return Status(ErrorCode::kSignatureInvalid, std::move(why))
      .with_suggestion("sign the canonical request string again with a fresh x-ts and x-nonce");
}

// Nonces seen inside the window, per identity: a set for lookups and a queue
// in arrival order for expiry. Bounded by kMaxRememberedNonces (503 beyond:
// never forget a nonce that could still be replayed).
class NonceCache {
 public:
  // False when (identity, nonce) was seen; REQUIRES the signature verified.
  Result<bool> insert(const std::string& squid_id, const std::string& nonce, int64_t ts_ms, int64_t now_ms) {
    std::lock_guard lock(mu_);
    while (!order_.empty() && order_.front().first < now_ms - 2 * kSignatureWindowMs) {
      seen_.erase(order_.front().second);
      order_.pop_front();
    }
    std::string key = squid_id + '\n' + nonce;
    if (seen_.count(key)) return false;
    if (seen_.size() >= kMaxRememberedNonces)
      return Status::unavailable("too many signed requests inside the replay window; retry shortly").with_retry_after(5);
    seen_.insert(key);
    order_.emplace_back(std::max(ts_ms, now_ms), std::move(key));
    return true;
  }

 private:
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<int64_t, std::string>> order_;  // (expiry base, key), oldest first
};

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
  AuthenticateStage(int64_t started_ms, SubidentityCheck check) : started_ms_(started_ms), check_(std::move(check)) {}
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
      return signature_invalid("request signed before this node started; sign it again");
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
    auto fresh = nonces_.insert(acting, *nonce, ts, now);
    if (!fresh.ok()) return fresh.status();
    if (!*fresh) return signature_invalid("x-nonce was already used by " + acting + " (replay)");
    ctx.identity = IdentityRef{*squid, sub_id, ""};
    return next.proceed(call);
  }

 private:
  int64_t started_ms_;
  SubidentityCheck check_;
  NonceCache nonces_;
};

}  // namespace

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

std::unique_ptr<Stage> make_authenticate_stage(int64_t started_ms, SubidentityCheck check) {
  return std::make_unique<AuthenticateStage>(started_ms, std::move(check));
}

}  // namespace anarq
