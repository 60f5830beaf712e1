#include "tests/sse_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace anarq::test {

SseClient::SseClient(uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close();
    return;
  }
  // The head.
  size_t end;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(5000)) return;
  std::string head = raw_.substr(0, end);
  raw_.erase(0, end + 4);
  if (head.size() > 12) status_ = std::atoi(head.c_str() + 9);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  chunked_ = head.find("transfer-encoding: chunked") != std::string::npos;
  if (status_ != 200) {
    size_t cl = head.find("content-length: ");
    size_t want = cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 16, nullptr, 10);
    while (raw_.size() < want && fill(5000)) {
    }
    error_body_ = raw_;
    ended_ = true;
  }
}

SseClient::~SseClient() { close(); }

void SseClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SseClient::fill(int timeout_ms) {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    ended_ = true;
    close();
    return false;
  }
  raw_.append(buf, static_cast<size_t>(n));
  return true;
}

bool SseClient::dechunk() {
  if (!chunked_) {
    text_ += raw_;
    raw_.clear();
    return true;
  }
  for (;;) {
    size_t eol = raw_.find("\r\n");
    if (eol == std::string::npos) return true;
    size_t size = std::strtoul(raw_.c_str(), nullptr, 16);
    if (size == 0 && eol > 0) {
      ended_ = true;
      return false;
    }
    if (raw_.size() < eol + 2 + size + 2) return true;
    text_.append(raw_, eol + 2, size);
    raw_.erase(0, eol + 2 + size + 2);
  }
}

std::optional<SseEvent> SseClient::next(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    dechunk();
    size_t eol;
    while ((eol = text_.find('\n')) != std::string::npos) {
      std::string line = text_.substr(0, eol);
      text_.erase(0, eol + 1);
      if (line.empty()) {
        if (pending_.data.empty() && pending_.event.empty() && pending_.id.empty()) continue;
        SseEvent out = std::move(pending_);
        pending_ = {};
        if (!out.data.empty() && out.data.back() == '\n') out.data.pop_back();
        return out;
      }
      if (line[0] == ':') continue;
      size_t colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (field == "id") pending_.id = value;
      else if (field == "event") pending_.event = value;
      else if (field == "data") pending_.data += value + "\n";
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (ended_ || left <= 0 || !fill(static_cast<int>(left))) {
      dechunk();
      if (text_.find('\n') == std::string::npos) return std::nullopt;
    }
  }
}

}  // namespace anarq::test
