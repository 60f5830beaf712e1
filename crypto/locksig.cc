#include "crypto/locksig.h"

#include "core/ids.h"
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

Status locksig_verify(const Json& s, std::string_view m) {
  if (!s.is_object() || !s.contains("alg") || !s["alg"].is_string() || !s.contains("pub") || !s["pub"].is_string() ||
      !s.contains("sig") || !s["sig"].is_string() || !s.contains("ts") || !s["ts"].is_number_integer() ||
      !s.contains("nonce") || !s["nonce"].is_string())
    return Status::validation("a LockSig needs alg, pub, sig (strings), ts (integer) and nonce");
  if (s["alg"] != "Ed25519") return Status::validation("unsupported LockSig alg '" + s["alg"].get<std::string>() + "'");
  std::string nonce = s["nonce"];
  ANARQ_RETURN_IF_ERROR(validate_locksig_nonce(nonce));
  auto pub = ed25519_from_did_key(s["pub"].get<std::string>());
  if (!pub.ok()) return pub.status();
  auto sig = ipld::base64_decode(s["sig"].get<std::string>(), /*url=*/true);
  if (!sig.ok() || sig->size() != kEd25519SignatureBytes) return Status::validation("sig must be a base64url Ed25519 signature");
  if (!ed25519_verify(*pub, locksig_message(s["ts"].get<int64_t>(), nonce, m), *sig))
    return Status(ErrorCode::kSignatureInvalid, "LockSig does not verify for " + s["pub"].get<std::string>());
  return {};
}

}  // namespace anarq::crypto
