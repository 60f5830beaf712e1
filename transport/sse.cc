#include "transport/sse.h"

#include <charconv>
#include <mutex>
#include <optional>

#include "bus/bus.h"
#include "bus/topic.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/json.h"
#include "transport/router.h"

namespace anarq {
namespace {

constexpr size_t kEventsPerPoll = 256;
constexpr size_t kMaxChunkBytes = 1 << 20;

// What the bus's dispatcher calls: survives the stream, so a late call after
// the stream closed finds an empty slot instead of a dead object.
struct WakeSlot {
  std::mutex mu;
  std::function<void()> wake;
  void fire() {
    std::lock_guard lock(mu);
    if (wake) wake();
  }
};

}  // namespace

struct EventStreamHttp::PerAddress {
  std::mutex mu;
  std::map<std::string, size_t> open;
};

namespace {

// A stream's place in its address's quota, given back when the stream ends.
class AddressTicket {
 public:
  static std::optional<AddressTicket> take(std::shared_ptr<EventStreamHttp::PerAddress> table, const std::string& addr) {
    std::lock_guard lock(table->mu);
    size_t& n = table->open[addr];
    if (n >= EventStreamHttp::kMaxStreamsPerAddress) return std::nullopt;
    ++n;
    return AddressTicket(std::move(table), addr);
  }
  AddressTicket(AddressTicket&& o) noexcept : table_(std::move(o.table_)), addr_(std::move(o.addr_)) {}
  AddressTicket(const AddressTicket&) = delete;
  ~AddressTicket() {
    if (!table_) return;
    std::lock_guard lock(table_->mu);
    auto it = table_->open.find(addr_);
    if (it != table_->open.end() && --it->second == 0) table_->open.erase(it);
  }

 private:
  AddressTicket(std::shared_ptr<EventStreamHttp::PerAddress> t, std::string a) : table_(std::move(t)), addr_(std::move(a)) {}
  std::shared_ptr<EventStreamHttp::PerAddress> table_;
  std::string addr_;
};

class EventStream final : public LiveStream {
 public:
  EventStream(bus::Bus& bus, std::string pattern, int64_t cursor, std::vector<int> accept,
              std::shared_ptr<std::atomic<size_t>> open, AddressTicket ticket)
      : bus_(bus), pattern_(std::move(pattern)), cursor_(cursor), accept_(std::move(accept)), open_(std::move(open)),
        ticket_(std::move(ticket)) {
    ++*open_;
  }
  ~EventStream() override {
    if (listener_) bus_.remove_listener(*listener_);
    {
      std::lock_guard lock(slot_->mu);
      slot_->wake = nullptr;
    }
    --*open_;
  }
  Status listen() {
    auto id = bus_.add_listener([slot = slot_] { slot->fire(); });
    if (!id.ok()) return id.status();
    listener_ = *id;
    return {};
  }

  void set_waker(std::function<void()> wake) override {
    std::lock_guard lock(slot_->mu);
    slot_->wake = std::move(wake);
  }

  Result<bool> poll(std::string& chunk) override {
    if (first_) {
      first_ = false;
      chunk += "retry: 2000\n\n";
    }
    auto first = bus_.log().first_seq();
    if (!first.ok()) return first.status();
    int64_t oldest = *first;
    if (oldest == 0) {  // nothing retained: everything up to the head is gone
      auto last = bus_.log().last_seq();
      if (!last.ok()) return last.status();
      oldest = *last + 1;
    }
    if (cursor_ < oldest - 1) {
      // Retention removed events this client had not seen. The gap carries an
      // id, so a reconnect resumes after it instead of hearing it again.
      chunk += "id: " + std::to_string(oldest - 1) + "\nevent: gap\ndata: {\"from\":" + std::to_string(cursor_ + 1) +
               ",\"to\":" + std::to_string(oldest - 1) + "}\n\n";
      cursor_ = oldest - 1;
    }
    bus::ReadFilter f;
    f.pattern = pattern_;
    f.after_seq = cursor_;
    auto page = bus_.log().read(f, kEventsPerPoll);
    if (!page.ok()) return page.status();
    bool truncated = false;
    for (const auto& e : page->events) {
      auto view = bus_.view(e, accept_);
      if (!view.ok()) return view.status();
      cursor_ = e.seq;
      if (!*view) continue;
      chunk += "id: " + std::to_string(e.seq) + "\nevent: " + (*view)->first["topic"].get<std::string>() +
               "\ndata: " + dump_compact((*view)->first) + "\n\n";
      if (chunk.size() >= kMaxChunkBytes) {
        truncated = true;
        break;
      }
    }
    if (!truncated) cursor_ = std::max(cursor_, page->cursor);
    bool more = page->more || truncated;
    if (more) slot_->fire();  // more is ready: ask to be polled again at once
    return true;
  }

 private:
  bus::Bus& bus_;
  std::string pattern_;
  int64_t cursor_;
  std::vector<int> accept_;
  std::shared_ptr<std::atomic<size_t>> open_;
  AddressTicket ticket_;
  std::shared_ptr<WakeSlot> slot_ = std::make_shared<WakeSlot>();
  std::optional<uint64_t> listener_;
  bool first_ = true;
};

Result<int64_t> parse_seq(const std::string& text, const char* what) {
  int64_t v = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    return Status::validation(std::string(what) + " must be a non-negative integer (an event sequence)");
  return v;
}

}  // namespace

EventStreamHttp::EventStreamHttp(bus::Bus& bus) : bus_(bus), per_address_(std::make_shared<PerAddress>()) {}

Result<HttpResponse> EventStreamHttp::handle(const HttpRequest& req, const std::string& query) {
  if (req.method != "GET" && req.method != "HEAD")
    return Status(ErrorCode::kMethodNotAllowed, "/events/stream accepts GET");
  auto params = parse_query(query, 16);
  if (!params.ok()) return params.status();
  std::string pattern = ">";
  std::optional<int64_t> after;
  std::vector<int> accept;
  for (const auto& [k, v] : *params) {
    if (k == "subject") {
      pattern = v;
    } else if (k == "after") {
      auto s = parse_seq(v, "after");
      if (!s.ok()) return s.status();
      after = *s;
    } else if (k == "since") {
      auto t = parse_rfc3339_ms(v);
      if (!t) return Status::validation("since is not an RFC 3339 time");
      auto s = bus_.log().seq_before_time(*t);
      if (!s.ok()) return s.status();
      after = *s;
    } else if (k == "accept") {
      for (const auto& item : split_list(v)) {
        auto n = parse_seq(item, "accept");
        if (!n.ok() || *n < 1 || *n > INT32_MAX) return Status::validation("accept is a comma list of topic versions (1, 2, ...)");
        accept.push_back(static_cast<int>(*n));
      }
      if (accept.size() > 32) return Status::validation("at most 32 accepted versions");
    } else {
      return Status::validation("unknown parameter '" + k + "' (subject, after, since, accept)");
    }
  }
  ANARQ_RETURN_IF_ERROR(bus::validate_subject_pattern(pattern));
  auto last_id = req.headers.find("last-event-id");
  if (last_id != req.headers.end() && !last_id->second.empty()) {
    auto s = parse_seq(last_id->second, "Last-Event-ID");
    if (!s.ok()) return s.status();
    after = *s;
  }
  if (!after) {
    auto head = bus_.log().last_seq();
    if (!head.ok()) return head.status();
    after = *head;
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("cache-control", "no-store");
  r.headers.emplace_back("x-accel-buffering", "no");
  if (req.method == "HEAD") return r;  // the head a GET would get; no stream is opened
  auto ticket = AddressTicket::take(per_address_, req.remote_addr);
  if (!ticket)
    return Status(ErrorCode::kRateLimitExceeded, "this address already holds " + std::to_string(kMaxStreamsPerAddress) +
                                                     " open event streams; close one first")
        .with_retry_after(5);
  auto stream = std::make_shared<EventStream>(bus_, pattern, *after, std::move(accept), open_, std::move(*ticket));
  ANARQ_RETURN_IF_ERROR(stream->listen());
  r.live = std::move(stream);
  return r;
}

}  // namespace anarq
