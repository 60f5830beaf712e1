#pragma once
// `anarq [--as FILE] call <tool> --node http://host:port`: one tool call over
// real HTTP, built from the tool's HTTP binding (path parameters filled in,
// the rest as query for GET/DELETE or as the JSON body), signed with the
// identity key when one is given (standards.md section 3). A small blocking
// HTTP/1.1 client over POSIX sockets: http:// only, one request per
// connection, bounded response size.
#include <optional>
#include <string>

#include "crypto/ed25519.h"
#include "runtime/tool.h"

namespace anarq {

struct RemoteResponse {
  int status = 0;
  std::string body;
};

inline constexpr size_t kMaxRemoteResponseBytes = 64 << 20;

// The method, target (path and query, percent-encoded) and body for `input`.
struct RemoteRequest {
  std::string method, target, body;
};
Result<RemoteRequest> remote_request_for(const Tool& tool, const Json& input);

Result<RemoteResponse> remote_call(const std::string& node_url, const RemoteRequest& request,
                                   const crypto::Ed25519KeyPair* signer, int timeout_ms = 30'000);

}  // namespace anarq
