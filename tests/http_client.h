#pragma once
// A deliberately small blocking HTTP/1.1 client over POSIX sockets, for tests
// that must send malformed or oversized requests no real client would.
#include <cstdint>
#include <map>
#include <string>

namespace anarq::test {

struct RawResponse {
  int status = 0;  // 0 = no parsable response (connection closed, timeout)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Connection {
 public:
  explicit Connection(uint16_t port, int timeout_ms = 5000);
  ~Connection();
  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads one response (Content-Length framed); status 0 when the peer closed first.
  RawResponse read_response();
  // True when the peer has closed the connection (reads EOF within timeout_ms).
  bool closed_by_peer(int timeout_ms);

 private:
  int fd_ = -1;
  std::string buffer_;
};

RawResponse request(uint16_t port, const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers = {}, const std::string& body = "");

}  // namespace anarq::test
