#pragma once
// GET /events/stream: the event log as Server-Sent Events (WHATWG HTML,
// section 9.2). Each event is
//
//   id: <stream sequence>
//   event: <topic>
//   data: <signed envelope, one line of JSON>
//
// Query: subject=<NATS pattern> (default >), after=<seq> or since=<RFC 3339>
// (default: only events from now on), accept=<comma list of topic versions>
// (older versions upcast where an upcaster exists). A reconnecting client's
// Last-Event-ID header wins over the query, so EventSource resumes with no loss
// and no duplicate. Events removed by retention before the client caught up
// are announced by one `event: gap` with {"from","to"}. Idle streams get a
// comment line every 15 s. No Boost here; the server writes the stream.
// Thread-safe.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "transport/http_types.h"

namespace anarq {

namespace bus {
class Bus;
}

class EventStreamHttp {
 public:
  explicit EventStreamHttp(bus::Bus& bus);
  static bool owns(const std::string& path) { return path == "/events/stream"; }
  // Errors come back as a status for the caller's envelope.
  Result<HttpResponse> handle(const HttpRequest& request, const std::string& query);
  size_t open_streams() const { return open_->load(); }

  // One address may hold at most this many open streams (the bus's listener
  // table, 4096 slots, is shared by every client).
  static constexpr size_t kMaxStreamsPerAddress = 64;

  struct PerAddress;  // open streams per remote address, shared with the streams

 private:
  bus::Bus& bus_;
  std::shared_ptr<std::atomic<size_t>> open_ = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<PerAddress> per_address_;
};

}  // namespace anarq
