#pragma once
// A small blocking Server-Sent Events client over a POSIX socket (HTTP/1.1,
// chunked), for tests and the events benchmark: it parses the stream as the
// WHATWG EventSource does (id, event, data fields; comments skipped) and can
// drop the connection mid-stream to test resumption.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace anarq::test {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

class SseClient {
 public:
  // Connects and sends GET target; headers e.g. {{"Last-Event-ID", "41"}}.
  SseClient(uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers = {});
  ~SseClient();
  // The response status (0 when no head arrived) and, for errors, the body.
  int status() const { return status_; }
  const std::string& error_body() const { return error_body_; }
  // Next event within timeout_ms; nullopt on timeout or end of stream.
  std::optional<SseEvent> next(int timeout_ms);
  bool ended() const { return ended_; }
  void close();

 private:
  bool fill(int timeout_ms);  // reads more bytes into raw_
  bool dechunk();             // moves complete chunks from raw_ to text_
  int fd_ = -1;
  int status_ = 0;
  bool chunked_ = false;
  bool ended_ = false;
  std::string raw_, text_, error_body_;
  SseEvent pending_;
};

}  // namespace anarq::test
