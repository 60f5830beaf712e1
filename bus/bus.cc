#include "bus/bus.h"

#include "bus/jcs.h"
#include "bus/topic.h"
#include "core/fault.h"
#include "core/json.h"
#include "core/log.h"
#include "crypto/locksig.h"
#include "ipld/dag_cbor.h"

namespace anarq::bus {
namespace {

constexpr size_t kDispatchBatch = 256;
constexpr int kMaxUpcastHops = 16;

}  // namespace

Bus::Subscription& Bus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    if (bus_) bus_->unsubscribe(id_);
    bus_ = o.bus_;
    id_ = o.id_;
    o.bus_ = nullptr;
  }
  return *this;
}

Bus::Subscription::~Subscription() {
  if (bus_) bus_->unsubscribe(id_);
}

Bus::Bus(Db& db, const Clock& clock, const crypto::Ed25519KeyPair& node_key, SchemaRegistry& registry,
         BusOptions options)
    : db_(db), clock_(clock), key_(node_key), registry_(registry), options_(std::move(options)), log_(db),
      consumers_(db, log_, clock, [this](const StoredEvent& e, const std::vector<int>& accept) { return view(e, accept); }),
      node_did_(crypto::did_key_from_ed25519(node_key.public_key())) {}

Bus::~Bus() { stop(); }

Status Bus::start() {
  auto last = log_.last_seq();
  if (!last.ok()) return last.status();
  head_.store(*last, std::memory_order_release);
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return {};
  stop_ = false;
  thread_ = std::thread([this] { run(); });
  return {};
}

void Bus::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Bus::notify() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

Result<Published> Bus::publish(Tx& tx, const EventDraft& draft) {
  ANARQ_RETURN_IF_ERROR(validate_topic(draft.topic));
  auto version = registry_.validate(tx, draft.topic, draft.payload);
  if (!version.ok()) return version.status();
  auto env = make_event(draft, clock_, key_);
  if (!env.ok()) return env.status();
  size_t bytes = dump_compact(*env).size();
  if (bytes > kMaxEventBytes)
    return Status(ErrorCode::kPayloadTooLarge,
                  "event of " + std::to_string(bytes) + " bytes exceeds " + std::to_string(kMaxEventBytes));
  auto seq = log_.append(tx, *env, *version);
  if (!seq.ok()) return seq.status();
  tx.after_commit([this] {
    // A crash here has committed the events but delivered none of them: the
    // durable log and consumer offsets make the next start deliver them.
    fault::point("bus.after_commit");
    notify();
  });
  return Published{*seq, std::move(*env)};
}

Result<Published> Bus::publish(const EventDraft& draft) {
  Result<Published> out = Status::internal("publish did not run");
  Status s = db_.transaction([&](Tx& tx) -> Status {
    out = publish(tx, draft);
    return out.ok() ? Status() : out.status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<Bus::Subscription> Bus::subscribe(const std::string& pattern, int64_t after_seq, LiveHandler fn) {
  ANARQ_RETURN_IF_ERROR(validate_subject_pattern(pattern));
  int64_t cursor = after_seq;
  if (after_seq == kFromNow) {
    auto last = log_.last_seq();
    if (!last.ok()) return last.status();
    cursor = *last;
  } else if (after_seq < 0) {
    return Status::validation("a subscription starts after a sequence >= 0");
  }
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    if (live_.size() >= kMaxLiveSubscriptions)
      return Status::unavailable("this node serves its maximum of " + std::to_string(kMaxLiveSubscriptions) +
                                 " live subscriptions");
    id = next_id_++;
    live_.emplace(id, std::make_shared<Live>(Live{pattern, cursor, std::move(fn)}));
    wake_ = true;  // catch up from the cursor
  }
  cv_.notify_one();
  return Subscription(this, id);
}

void Bus::unsubscribe(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    live_.erase(id);
  }
  // Wait out a delivery in progress, so no handler runs after this returns
  // (unless we are that delivery, unsubscribing from inside a handler).
  if (std::this_thread::get_id() != thread_.get_id()) std::lock_guard wait(deliver_mu_);
}

Result<uint64_t> Bus::add_listener(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (listeners_.size() >= kMaxListeners)
    return Status::unavailable("this node serves its maximum of " + std::to_string(kMaxListeners) + " event streams");
  uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(fn));
  return id;
}

void Bus::remove_listener(uint64_t id) {
  std::lock_guard lock(mu_);  // the dispatcher calls listeners under mu_: none is running after this
  listeners_.erase(id);
}

void Bus::run() {
  int64_t next_retention = clock_.now_ms() + options_.retention_interval_ms;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms), [this] { return wake_ || stop_; });
      if (stop_) return;
      wake_ = false;
    }
    dispatch();
    if (!options_.retention.empty() && clock_.now_ms() >= next_retention) {
      auto r = apply_retention();
      if (!r.ok()) log::warn("event retention failed", {{"error", r.status().message()}});
      next_retention = clock_.now_ms() + options_.retention_interval_ms;
    }
  }
}

void Bus::dispatch() {
  auto last = log_.last_seq();
  if (!last.ok()) {
    log::warn("event dispatch: cannot read the stream head", {{"error", last.status().message()}});
    return;
  }
  int64_t previous = head_.exchange(*last, std::memory_order_acq_rel);
  std::vector<std::shared_ptr<Live>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, l] : live_) live.push_back(l);
  }
  if (*last != previous) {
    std::lock_guard lock(mu_);
    for (const auto& [id, fn] : listeners_) fn();  // only the ones still registered
  }

  // One scan of the log from the furthest-behind subscriber serves them all:
  // each event goes to every subscriber that has not seen it and matches.
  std::lock_guard deliver(deliver_mu_);
  int64_t from = *last;
  for (const auto& l : live) from = std::min(from, l->cursor);
  while (from < *last && !live.empty()) {
    ReadFilter f;
    f.after_seq = from;
    f.until_seq = *last;
    auto page = log_.read(f, kDispatchBatch);
    if (!page.ok()) {
      log::warn("event dispatch: read failed", {{"error", page.status().message()}});
      return;
    }
    {
      std::lock_guard lock(mu_);  // unsubscribed meanwhile: deliver no more to it
      std::erase_if(live, [this](const std::shared_ptr<Live>& l) {
        for (const auto& [id, x] : live_)
          if (x == l) return false;
        return true;
      });
    }
    for (const auto& e : page->events) {
      for (auto& l : live) {
        if (e.seq <= l->cursor) continue;
        l->cursor = e.seq;
        if (!subject_matches(l->pattern, e.topic)) continue;
        try {
          l->fn(e);
        } catch (const std::exception& ex) {
          log::error("live event handler threw", {{"topic", e.topic}, {"seq", e.seq}, {"error", ex.what()}});
        }
      }
    }
    from = page->more ? page->cursor : *last;
  }
  for (auto& l : live) l->cursor = std::max(l->cursor, *last);
}

Result<std::optional<std::pair<Json, std::string>>> Bus::view(const StoredEvent& e, const std::vector<int>& accept) {
  using View = std::optional<std::pair<Json, std::string>>;
  auto as_logged = [&]() -> Result<View> {
    auto env = parse_json(e.envelope);
    if (!env.ok()) return Status::internal("logged event " + std::to_string(e.seq) + " does not parse");
    return View(std::make_pair(std::move(*env), std::string()));
  };
  if (accept.empty()) return as_logged();
  auto parts = parse_topic(e.topic);
  if (!parts.ok()) return View();
  for (int v : accept)
    if (v == parts->version) return as_logged();
  // The nearest accepted version above, reached through upcasters one step at a time.
  int target = 0;
  for (int v : accept)
    if (v > parts->version && (target == 0 || v < target)) target = v;
  if (target == 0 || target - parts->version > kMaxUpcastHops) return View();
  std::string family = "q." + parts->module + "." + parts->action + ".v";
  for (int v = parts->version; v < target; ++v)
    if (!registry_.has_upcaster(family + std::to_string(v))) return View();
  auto env = parse_json(e.envelope);
  if (!env.ok()) return Status::internal("logged event " + std::to_string(e.seq) + " does not parse");
  Json payload = (*env)["payload"];
  // An upcast that fails (or yields what the newer schema refuses) is this
  // node's bug, not the consumer's: skip the event, say so, keep the stream moving.
  auto skip = [&](const std::string& why) -> Result<View> {
    log::warn("upcast skipped", {{"seq", e.seq}, {"topic", e.topic}, {"error", why}});
    return View();
  };
  for (int v = parts->version; v < target; ++v) {
    auto next = registry_.upcast(family + std::to_string(v), payload);
    if (!next.ok()) return skip(next.status().message());
    payload = std::move(*next);
  }
  std::string topic = family + std::to_string(target);
  auto valid = registry_.validate(topic, payload);
  if (!valid.ok()) return skip("breaks the schema of " + topic + ": " + valid.status().message());
  // The same event seen at the newer version: new topic, payload and CID, signed again by this node.
  Json out = *env;
  out.erase("sig");
  out["topic"] = topic;
  out["payload"] = payload;
  auto cid = ipld::dag_cbor_cid(payload);
  if (!cid.ok()) return cid.status();
  out["payloadCid"] = cid->to_string();
  auto canonical = jcs_serialize(out);
  if (!canonical.ok()) return canonical.status();
  auto sig = crypto::locksig_sign(key_, *canonical, clock_.now_ms(), crypto::new_locksig_nonce());
  if (!sig.ok()) return sig.status();
  out["sig"] = std::move(*sig);
  return View(std::make_pair(std::move(out), e.topic));
}

Result<RetentionReport> Bus::apply_retention() {
  auto r = log_.apply_retention(options_.retention, clock_.now_ms());
  if (r.ok() && (r->removed_by_age || r->removed_by_size))
    log::info("event retention", {{"removedByAge", r->removed_by_age}, {"removedBySize", r->removed_by_size}});
  return r;
}

}  // namespace anarq::bus
