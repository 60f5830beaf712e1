#pragma once
// Test-side wrapper of signed_request_headers (pipeline/authenticate.h): the
// headers of one signed JSON request as a map, with a fresh ts and nonce by default.
#include <map>
#include <string>

#include "core/clock.h"
#include "core/ids.h"
#include "crypto/ed25519.h"
#include "pipeline/authenticate.h"

namespace anarq::test {

inline std::map<std::string, std::string> sign_request(const crypto::Ed25519KeyPair& key, const std::string& method,
                                                       const std::string& target, const std::string& body,
                                                       int64_t ts_ms = SystemClock::instance().now_ms(),
                                                       std::string nonce = random_hex(12)) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  for (auto& [k, v] : signed_request_headers(key, method, target, body, ts_ms, nonce)) h[k] = v;
  return h;
}

// Registers `key` as a BYOK sQuid identity by its own signed request
// (POST /squid/v1/identities); durable state (topics, consumers, replay marks)
// is kept for registered identities only. Returns the HTTP status.
int register_identity(uint16_t port, const crypto::Ed25519KeyPair& key, const std::string& name);

}  // namespace anarq::test
