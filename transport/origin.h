#pragma once
// Browser protections shared by every HTTP surface that acts for the operator
// (tool routes, POST /mcp, the Kubo RPC API, the event stream): an Origin the
// node does not allow is refused, and while bound to loopback a Host that is
// not a loopback name is refused too (DNS rebinding: a foreign name resolving
// to 127.0.0.1). CORS is off unless the operator lists origins
// (ANARQ_ALLOWED_ORIGINS); the trustless gateway is public and answers any
// origin. Immutable after construction; thread-safe.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace anarq {

// Exactly: "localhost", "::1" and IPv4 dotted quads in 127.0.0.0/8 (not
// "127.evil.example", not "127.0.0.1.nip.io").
bool is_loopback_name(const std::string& host);

// "http://localhost:8080" -> "localhost"; "[::1]:80" -> "::1"; lower case.
std::string host_of(std::string authority_or_origin);

class OriginPolicy {
 public:
  OriginPolicy() = default;
  // listen: the address served (HOST:PORT); allowed: the operator's extra
  // origins ("*" = any), also accepted as Host values.
  OriginPolicy(const std::string& listen_host, std::vector<std::string> allowed);

  // Why this request must be refused (403), or nullopt. Requests without an
  // Origin header (curl, SDKs, same-origin GETs) pass the Origin rule.
  std::optional<std::string> refuse(const std::map<std::string, std::string>& headers) const;

  // CORS response headers for an allowed cross-origin request (empty when the
  // request carries no Origin or the origin is not listed).
  std::vector<std::pair<std::string, std::string>> cors_headers(const std::map<std::string, std::string>& headers) const;

  bool origin_allowed(const std::string& origin) const;
  bool loopback() const { return loopback_; }

 private:
  bool loopback_ = false;
  std::vector<std::string> allowed_;
};

}  // namespace anarq
