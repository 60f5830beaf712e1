#pragma once
// Test-side signer for sQuid signed requests (standards.md section 3): the
// headers a client adds to one request.
#include <map>
#include <string>

#include "core/clock.h"
#include "core/ids.h"
#include "crypto/ed25519.h"
#include "ipld/multibase.h"
#include "pipeline/authenticate.h"

namespace anarq::test {

inline std::map<std::string, std::string> sign_request(const crypto::Ed25519KeyPair& key, const std::string& method,
                                                       const std::string& target, const std::string& body,
                                                       int64_t ts_ms = SystemClock::instance().now_ms(),
                                                       std::string nonce = random_hex(12)) {
  std::string did = crypto::did_key_from_ed25519(key.public_key());
  std::string ts = std::to_string(ts_ms);
  std::string sig = crypto::ed25519_sign(key, canonical_request(method, target, ts, nonce, did, "", body));
  return {{"x-squid-id", did}, {"x-ts", ts}, {"x-nonce", nonce}, {"x-sig", ipld::base64_encode(sig, /*url=*/true)},
          {"content-type", "application/json"}};
}

}  // namespace anarq::test
