#include "app/remote_call.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/json.h"
#include "pipeline/authenticate.h"

namespace anarq {
namespace {

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<std::string> scalar_text(const std::string& name, const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return Status::validation("'" + name + "' must be a string, number or boolean to travel in a URL");
}

}  // namespace

Result<RemoteRequest> remote_request_for(const Tool& tool, const Json& input) {
  RemoteRequest r;
  r.method = tool.http.method;
  Json rest = input;
  std::string path;
  const std::string& tpl = tool.http.path;
  for (size_t i = 0; i < tpl.size();) {
    if (tpl[i] != '{') {
      path += tpl[i++];
      continue;
    }
    size_t end = tpl.find('}', i);
    std::string name = tpl.substr(i + 1, end - i - 1);
    if (!rest.contains(name)) return Status::validation(tool.name + " needs '" + name + "' (a path parameter)");
    auto text = scalar_text(name, rest[name]);
    if (!text.ok()) return text.status();
    path += percent_encode(*text);
    rest.erase(name);
    i = end + 1;
  }
  r.target = path;
  if (r.method == "GET" || r.method == "DELETE") {
    std::string query;
    for (const auto& [k, v] : rest.items()) {
      auto text = scalar_text(k, v);
      if (!text.ok()) return text.status();
      query += query.empty() ? '?' : '&';
      query += percent_encode(k);
      query += '=';
      query += percent_encode(*text);
    }
    r.target += query;
  } else {
    r.body = dump_compact(rest);
  }
  return r;
}

Result<RemoteResponse> remote_call(const std::string& node_url, const RemoteRequest& req,
                                   const crypto::Ed25519KeyPair* signer, int timeout_ms) {
  if (node_url.rfind("http://", 0) != 0) return Status::validation("--node must be an http:// URL");
  std::string authority = node_url.substr(7);
  if (auto slash = authority.find('/'); slash != std::string::npos) authority.resize(slash);
  auto hp = parse_host_port(authority);
  if (!hp.ok()) return hp.status();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string host = hp->host;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(hp->port).c_str(), &hints, &res); rc != 0)
    return Status::unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) return Status::unavailable("cannot connect to " + node_url);

  std::string head = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n";
  if (!req.body.empty()) head += "Content-Type: application/json\r\n";
  head += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  if (signer)
    for (const auto& [k, v] : signed_request_headers(*signer, req.method, req.target, req.body,
                                                     SystemClock::instance().now_ms(), random_hex(16)))
      head += k + ": " + v + "\r\n";
  std::string out = head + "\r\n" + req.body;
  for (size_t off = 0; off < out.size();) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return Status::unavailable("connection to " + node_url + " failed while sending");
    }
    off += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      ::close(fd);
      return Status(ErrorCode::kTimeoutError, node_url + " did not answer within " + std::to_string(timeout_ms) + " ms");
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxRemoteResponseBytes) {
      ::close(fd);
      return Status(ErrorCode::kPayloadTooLarge, "response exceeds " + std::to_string(kMaxRemoteResponseBytes) + " bytes");
    }
  }
  ::close(fd);
  size_t end = in.find("\r\n\r\n");
  if (in.size() < 12 || end == std::string::npos || in.rfind("HTTP/1.", 0) != 0)
    return Status::unavailable(node_url + " sent no HTTP response");
  RemoteResponse r;
  r.status = std::atoi(in.c_str() + 9);
  r.body = in.substr(end + 4);  // Connection: close, Content-Length framed: the rest is the body
  return r;
}

}  // namespace anarq
