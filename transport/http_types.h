#pragma once
// Plain request/response values passed between the Beast server (the only code
// that sees sockets) and the route handlers, so that routing, MCP and specs
// never include Boost. Values; no shared state.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace anarq {

struct HttpRequest {
  std::string method;  // upper case
  std::string target;  // exactly as sent: path and query
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
  std::string body;
  std::string remote_addr;
};

// Produces a streamed body piece by piece: fills `chunk` (at most
// kMaxStreamChunk bytes) and returns true while more follows, false after the
// last piece. An error mid-stream aborts the connection (the head is gone).
using BodyStream = std::function<Result<bool>(std::string& chunk)>;
inline constexpr size_t kMaxStreamChunk = 1 << 20;

// A long-lived response (Server-Sent Events). The server calls poll() from the
// connection's I/O thread whenever the source has woken it (wake(), callable
// from any thread) or heartbeat_ms passed: poll appends what is ready to
// `chunk` (possibly nothing) and returns false once the stream has ended. The
// server writes a heartbeat comment when a poll produced nothing for
// heartbeat_ms, and ends the stream when the client goes away or the server
// drains. The source object lives as long as the response is being written.
class LiveStream {
 public:
  virtual ~LiveStream() = default;
  virtual Result<bool> poll(std::string& chunk) = 0;
  // Called once before the first poll with the function that wakes the writer.
  virtual void set_waker(std::function<void()> wake) = 0;
  int heartbeat_ms = 15'000;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for bodies too large to hold in memory (files, CAR exports). With
  // stream_length >= 0 the response carries Content-Length, else it is chunked.
  BodyStream stream;
  int64_t stream_length = -1;
  // Set for Server-Sent Events: written chunked until it ends (see LiveStream).
  std::shared_ptr<LiveStream> live;
};

}  // namespace anarq
