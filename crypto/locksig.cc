#include "crypto/locksig.h"

#include "core/ids.h"
#include "crypto/xmss.h"
#include "ipld/multibase.h"

namespace anarq::crypto {

std::string locksig_message(int64_t ts_ms, std::string_view nonce, std::string_view m) {
  std::string out = "anarq-locksig-v1\n" + std::to_string(ts_ms) + "\n";
  out.append(nonce);
  out += "\n";
  out.append(m);
  return out;
}

std::string new_locksig_nonce() {
  char raw[16];
  random_bytes(raw, sizeof raw);
  return ipld::base64_encode(std::string_view(raw, sizeof raw), /*url=*/true);
}

Status validate_locksig_nonce(std::string_view nonce) {
  if (nonce.size() < 16 || nonce.size() > 64) return Status::validation("nonce must be 16-64 characters");
  for (char c : nonce)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return Status::validation("nonce may hold only [A-Za-z0-9_-]");
  return {};
}

Result<Json> locksig_sign(const Ed25519KeyPair& key, std::string_view m, int64_t ts_ms, std::string nonce) {
  ANARQ_RETURN_IF_ERROR(validate_locksig_nonce(nonce));
  std::string sig = ed25519_sign(key, locksig_message(ts_ms, nonce, m));
  return Json{{"alg", "Ed25519"},
              {"pub", did_key_from_ed25519(key.public_key())},
              {"sig", ipld::base64_encode(sig, /*url=*/true)},
              {"ts", ts_ms},
              {"nonce", std::move(nonce)}};
}

namespace {

Status verify_ed25519(const Json& s, const std::string& signed_bytes) {
  auto pub = ed25519_from_did_key(s["pub"].get<std::string>());
  if (!pub.ok()) return pub.status();
  auto sig = ipld::base64_decode(s["sig"].get<std::string>(), /*url=*/true);
  if (!sig.ok() || sig->size() != kEd25519SignatureBytes) return Status::validation("sig must be a base64url Ed25519 signature");
  if (!ed25519_verify(*pub, signed_bytes, *sig))
    return Status(ErrorCode::kSignatureInvalid, "LockSig does not verify for " + s["pub"].get<std::string>());
  return {};
}

Status verify_xmss(const Json& s, const std::string& signed_bytes) {
  auto pub = ipld::base64_decode(s["pub"].get<std::string>(), /*url=*/true);
  auto sig = ipld::base64_decode(s["sig"].get<std::string>(), /*url=*/true);
  if (!pub.ok() || !sig.ok()) return Status::validation("XMSS pub and sig must be base64url");
  if (!xmss_verify(*pub, signed_bytes, *sig))
    return Status(ErrorCode::kSignatureInvalid, "XMSS LockSig does not verify for its public key");
  return {};
}

Status verify_hybrid(const Json& s, const std::string& signed_bytes) {
  if (!s.contains("pq") || !s["pq"].is_object() || s["pq"].value("alg", "") != kLockSigXmss ||
      !s["pq"].contains("pub") || !s["pq"]["pub"].is_string() || !s["pq"].contains("sig") || !s["pq"]["sig"].is_string())
    return Status::validation(std::string("a ") + kLockSigHybrid + " LockSig needs pq = {alg: XMSS-SHA2_10_256, pub, sig}");
  ANARQ_RETURN_IF_ERROR(verify_ed25519(s, signed_bytes));
  return verify_xmss(s["pq"], signed_bytes);
}

using Verifier = Status (*)(const Json&, const std::string&);
const std::vector<std::pair<std::string, Verifier>>& registry() {
  static const std::vector<std::pair<std::string, Verifier>> algs = {
      {"Ed25519", verify_ed25519}, {kLockSigXmss, verify_xmss}, {kLockSigHybrid, verify_hybrid}};
  return algs;
}

}  // namespace

std::vector<std::string> locksig_algorithms() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : registry()) out.push_back(name);
  return out;
}

Status locksig_verify(const Json& s, std::string_view m) {
  if (!s.is_object() || !s.contains("alg") || !s["alg"].is_string() || !s.contains("pub") || !s["pub"].is_string() ||
      !s.contains("sig") || !s["sig"].is_string() || !s.contains("ts") || !s["ts"].is_number_integer() ||
      !s.contains("nonce") || !s["nonce"].is_string())
    return Status::validation("a LockSig needs alg, pub, sig (strings), ts (integer) and nonce");
  std::string nonce = s["nonce"];
  ANARQ_RETURN_IF_ERROR(validate_locksig_nonce(nonce));
  for (const auto& [name, verify] : registry())
    if (s["alg"] == name) return verify(s, locksig_message(s["ts"].get<int64_t>(), nonce, m));
  return Status::validation("unsupported LockSig alg '" + s["alg"].get<std::string>() + "'");
}

}  // namespace anarq::crypto
