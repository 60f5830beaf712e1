#include "tests/http_client.h"

#include "tests/signing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace anarq::test {

Connection::Connection(uint16_t port, int timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

RawResponse Connection::read_response() {
  RawResponse r;
  char chunk[65536];
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return r;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() >= 12) r.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    pos = e + 2;
  }
  auto fill = [&](size_t want) {
    while (buffer_.size() < want) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return true;
  };
  if (r.headers["transfer-encoding"] == "chunked") {
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos)
        if (!fill(buffer_.size() + 1)) return r;
      size_t n = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      if (!fill(eol + 2 + n + 2)) return r;
      r.body.append(buffer_, eol + 2, n);
      buffer_.erase(0, eol + 2 + n + 2);
      if (n == 0) return r;
    }
  }
  size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  while (buffer_.size() < length) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  r.body = buffer_.substr(0, std::min(length, buffer_.size()));
  buffer_.erase(0, std::min(length, buffer_.size()));
  return r;
}

bool Connection::closed_by_peer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

int register_identity(uint16_t port, const crypto::Ed25519KeyPair& key, const std::string& name) {
  const std::string body = "{\"name\":\"" + name + "\"}";
  return request(port, "POST", "/squid/v1/identities", sign_request(key, "POST", "/squid/v1/identities", body), body).status;
}

RawResponse request(uint16_t port, const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers, const std::string& body) {
  Connection c(port);
  if (!c.ok()) return {};
  // A caller's own Host (any case) replaces the default one.
  bool own_host = false;
  for (const auto& [k, v] : headers) own_host |= k.size() == 4 && (k[0] | 0x20) == 'h' && (k[1] | 0x20) == 'o' && (k[2] | 0x20) == 's' && (k[3] | 0x20) == 't';
  std::string req = method + " " + target + (own_host ? " HTTP/1.1\r\n" : " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  if (!c.send(req)) return {};
  return c.read_response();
}

}  // namespace anarq::test
