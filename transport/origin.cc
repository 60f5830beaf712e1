#include "transport/origin.h"

#include <algorithm>
#include <cctype>

namespace anarq {
namespace {

const std::string* find(const std::map<std::string, std::string>& h, const char* name) {
  auto it = h.find(name);
  return it == h.end() ? nullptr : &it->second;
}

// "http://host:port/..." -> "host:port", lower case.
std::string authority_of(std::string s) {
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  size_t slash = s.find('/');
  if (slash != std::string::npos) s = s.substr(0, slash);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_ipv4_loopback(const std::string& h) {
  int parts = 0;
  size_t i = 0;
  int first = -1;
  while (i <= h.size()) {
    size_t j = i;
    int v = 0;
    while (j < h.size() && std::isdigit(static_cast<unsigned char>(h[j])) && j - i < 3) v = v * 10 + (h[j++] - '0');
    if (j == i || v > 255) return false;
    if (first < 0) first = v;
    ++parts;
    if (j == h.size()) break;
    if (h[j] != '.') return false;
    i = j + 1;
    if (i == h.size()) return false;
  }
  return parts == 4 && first == 127;
}

}  // namespace

bool is_loopback_name(const std::string& host) {
  return host == "localhost" || host == "::1" || is_ipv4_loopback(host);
}

std::string host_of(std::string s) {
  s = authority_of(std::move(s));
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    return close == std::string::npos ? s : s.substr(1, close - 1);
  }
  size_t colon = s.rfind(':');
  if (colon != std::string::npos) s = s.substr(0, colon);
  return s;
}

OriginPolicy::OriginPolicy(const std::string& listen_host, std::vector<std::string> allowed)
    : loopback_(is_loopback_name(host_of(listen_host))), allowed_(std::move(allowed)) {}

bool OriginPolicy::origin_allowed(const std::string& origin) const {
  for (const auto& o : allowed_)
    if (o == "*" || o == origin) return true;
  return false;
}

std::optional<std::string> OriginPolicy::refuse(const std::map<std::string, std::string>& headers) const {
  const std::string* host = find(headers, "host");
  if (const std::string* origin = find(headers, "origin")) {
    // A loopback page (an MCP inspector, a local tool) may call a local
    // node. Pages this node serves from its gateway carry no such origin:
    // they are sandboxed (Content-Security-Policy: sandbox), so their origin
    // is opaque ("null") and refused here.
    if (!origin_allowed(*origin) && !is_loopback_name(host_of(*origin)))
      return "origin " + *origin + " is not allowed (ANARQ_ALLOWED_ORIGINS lists exceptions)";
  }
  if (loopback_ && host && !host->empty() && !is_loopback_name(host_of(*host)) && !origin_allowed(*host))
    return "host " + *host + " is not allowed while bound to loopback";
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> OriginPolicy::cors_headers(
    const std::map<std::string, std::string>& headers) const {
  const std::string* origin = find(headers, "origin");
  if (!origin || !origin_allowed(*origin)) return {};
  return {{"access-control-allow-origin", *origin},
          {"vary", "Origin"},
          {"access-control-expose-headers", "x-request-id, traceparent, mcp-session-id, mcp-protocol-version, retry-after"}};
}

}  // namespace anarq
