#pragma once
// Plain request/response values passed between the Beast server (the only code
// that sees sockets) and the route handlers, so that routing, MCP and specs
// never include Boost. Values; no shared state.
#include <cstdint>
#include <functional>
#include <map>
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

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for bodies too large to hold in memory (files, CAR exports). With
  // stream_length >= 0 the response carries Content-Length, else it is chunked.
  BodyStream stream;
  int64_t stream_length = -1;
};

}  // namespace anarq
