// events: the event bus as tools — publish for external producers (registered
// topics only), history, and durable consumers by polling (subscribe + ack)
// for clients without a push channel, such as MCP agents. Live streams are
// GET /events/stream (Server-Sent Events, transport/sse.cc).
#include <algorithm>

#include "bus/bus.h"
#include "bus/topic.h"
#include "core/clock.h"
#include "core/json.h"
#include "runtime/identity.h"
#include "runtime/module.h"

namespace anarq {
namespace {

const Json kEnvelopeSchema = R"({
  "type": "object",
  "description": "Event envelope (standards.md section 5), signed by the node.",
  "required": ["id", "topic", "source", "time", "actor", "payload", "payloadCid", "sig"],
  "properties": {
    "id": {"type": "string"}, "topic": {"type": "string"}, "source": {"type": "string"},
    "time": {"type": "string", "format": "date-time"},
    "actor": {"type": "object", "required": ["squidId"], "properties": {"squidId": {"type": "string"},
              "subId": {"type": "string"}, "daoId": {"type": "string"}}},
    "payload": {}, "payloadCid": {"type": "string"}, "traceparent": {"type": "string"},
    "sig": {"type": "object", "required": ["alg", "pub", "sig", "ts", "nonce"]}
  }
})"_json;

Json message_schema() {
  return {{"type", "object"},
          {"required", {"seq", "event"}},
          {"properties",
           {{"seq", {{"type", "integer"}, {"description", "stream sequence (also the SSE event id)"}}},
            {"deliveries", {{"type", "integer"}, {"minimum", 1}}},
            {"upcastFrom", {{"type", "string"}, {"description", "the logged topic, when the event was upcast"}}},
            {"event", kEnvelopeSchema}}}};
}

Json consumer_schema() {
  return R"({"type": "object", "required": ["name", "subject", "accept", "ackWaitMs", "maxAckPending", "maxDeliver",
             "deliveredSeq", "ackFloor", "pending", "terminated", "createdAt"],
    "properties": {"name": {"type": "string"}, "subject": {"type": "string"},
      "accept": {"type": "array", "items": {"type": "integer"}}, "ackWaitMs": {"type": "integer"},
      "maxAckPending": {"type": "integer"}, "maxDeliver": {"type": "integer"}, "deliveredSeq": {"type": "integer"},
      "ackFloor": {"type": "integer"}, "pending": {"type": "integer"}, "terminated": {"type": "integer"},
      "createdAt": {"type": "string", "format": "date-time"}}})"_json;
}

Json consumer_json(const bus::ConsumerInfo& c) {
  return {{"name", c.config.name},         {"subject", c.config.pattern},       {"accept", c.config.accept},
          {"ackWaitMs", c.config.ack_wait_ms}, {"maxAckPending", c.config.max_ack_pending},
          {"maxDeliver", c.config.max_deliver}, {"deliveredSeq", c.delivered_seq}, {"ackFloor", c.ack_floor},
          {"pending", c.pending},           {"terminated", c.terminated},        {"createdAt", format_rfc3339_ms(c.created_ms)}};
}

Result<int64_t> time_param(const Json& in, const char* name) {
  if (!in.contains(name)) return int64_t{0};
  auto t = parse_rfc3339_ms(in[name].get<std::string>());
  if (!t) return Status::validation(std::string(name) + " is not an RFC 3339 time");
  return *t;
}

constexpr size_t kMaxPageBytes = 4 << 20;
constexpr int64_t kMaxSeq = 9007199254740991;  // 2^53 - 1: exact in every JSON reader

const char* kSubjectDescription = "NATS subject pattern: '*' one token, '>' the rest (q.qmail.>)";

class EventsModule final : public Module {
 public:
  std::string name() const override { return "events"; }
  std::string version() const override { return "1.0.0"; }
  std::string description() const override {
    return "The event bus: publish to registered topics, history, durable consumers by polling.";
  }
  Status start(const ModuleEnv& env) override {
    if (!env.bus) return Status::internal("the events module needs the bus");
    env_ = env;
    return {};
  }

  std::vector<Tool> tools() override { return {publish(), history(), subscribe(), ack(), unsubscribe()}; }

 private:
  Tool publish() {
    Tool t;
    t.name = "events.publish";
    t.title = "Publish an event";
    t.description =
        "Publishes an event on a topic the caller registered (module topics are published by their modules); the "
        "payload must match the topic's schema. "
        "The event is signed by the node, durable before the reply, and delivered after commit.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"topic", "payload"}},
                      {"properties",
                       {{"topic", {{"type", "string"}, {"maxLength", 255},
                                   {"pattern", "^q\\.[a-z][a-z0-9]*(\\.[a-z][a-z0-9_]*)+\\.v[1-9][0-9]*$"},
                                   {"description", "a topic: q.<module>.<action>.v<N>, lower case"}}},
                        {"payload", {{"description", "validated against the topic's latest schema"}}}}}};
    t.output_schema = R"({"type": "object", "required": ["seq", "id", "topic", "payloadCid", "time"],
      "properties": {"seq": {"type": "integer"}, "id": {"type": "string"}, "topic": {"type": "string"},
                     "payloadCid": {"type": "string"}, "time": {"type": "string", "format": "date-time"}}})"_json;
    t.http = {"POST", "/events/v1/publish"};
    t.access = Access::kIdentity;
    t.write = true;
    t.success_code = "EVENT_PUBLISHED";
    t.success_message = "event published";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::string topic = in["topic"];
      auto info = env_.schemas->topic(topic);
      if (!info.ok()) return info.status();
      if (info->owner.rfind("module:", 0) == 0)
        return Status(ErrorCode::kQonsentDenied,
                      topic + " is published by module " + info->owner.substr(7) + " only")
            .with_suggestion("register a topic of your own with registry.register");
      if (info->owner != ctx.identity->squid_id)
        return Status(ErrorCode::kQonsentDenied, topic + " is published by its owner " + info->owner + " only")
            .with_suggestion("register a topic of your own with registry.register");
      bus::EventDraft d;
      d.topic = topic;
      d.source = "events";
      d.actor = {{"squidId", ctx.identity->squid_id}};
      if (!ctx.identity->sub_id.empty()) d.actor["subId"] = ctx.identity->sub_id;
      if (!ctx.identity->dao_id.empty()) d.actor["daoId"] = ctx.identity->dao_id;
      d.payload = in["payload"];
      d.traceparent = ctx.trace.traceparent();
      auto p = env_.bus->publish(d);
      if (!p.ok()) return p.status();
      return Json{{"seq", p->seq},
                  {"id", p->envelope["id"]},
                  {"topic", topic},
                  {"payloadCid", p->envelope["payloadCid"]},
                  {"time", p->envelope["time"]}};
    };
    return t;
  }

  Tool history() {
    Tool t;
    t.name = "events.history";
    t.title = "Event history";
    t.description =
        "Logged events filtered by subject pattern, time range and actor, oldest first (or newest first), paginated by "
        "sequence cursor.";
    t.input_schema = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties",
                       {{"subject", {{"type", "string"}, {"maxLength", 255}, {"default", ">"}, {"description", kSubjectDescription}}},
                        {"since", {{"type", "string"}, {"format", "date-time"}, {"description", "events at or after"}}},
                        {"until", {{"type", "string"}, {"format", "date-time"}, {"description", "events before"}}},
                        {"actor", {{"type", "string"}, {"maxLength", 256}, {"description", "actor.squidId"}}},
                        {"cursor", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxSeq}, {"description", "nextCursor of the previous page"}}},
                        {"order", {{"type", "string"}, {"enum", {"asc", "desc"}}, {"default", "asc"},
                                   {"description", "asc: oldest first; desc: newest first"}}},
                        {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100},
                                   {"description", "page size, 1-1000"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"events", "nextCursor", "more", "firstSeq", "lastSeq"}},
                       {"properties",
                        {{"events", {{"type", "array"}, {"items", message_schema()}}},
                         {"nextCursor", {{"type", "integer"}}},
                         {"more", {{"type", "boolean"}}},
                         {"firstSeq", {{"type", "integer"}, {"description", "oldest retained sequence (0: empty)"}}},
                         {"lastSeq", {{"type", "integer"}}}}}};
    t.http = {"GET", "/events/v1/history"};
    t.access = Access::kPublic;
    t.read_only = true;
    t.idempotent = true;
    t.success_code = "EVENTS_LISTED";
    t.success_message = "event history";
    t.handler = [this](Context&, const Json& in) -> Result<Reply> {
      bus::ReadFilter f;
      f.pattern = in.value("subject", ">");
      ANARQ_RETURN_IF_ERROR(bus::validate_subject_pattern(f.pattern));
      auto since = time_param(in, "since");
      if (!since.ok()) return since.status();
      auto until = time_param(in, "until");
      if (!until.ok()) return until.status();
      f.since_ms = *since;
      f.until_ms = *until;
      f.actor = in.value("actor", "");
      size_t limit = in.value("limit", 100);
      int64_t cursor = in.value("cursor", int64_t{0});
      bool desc = in.value("order", "asc") == "desc";
      Result<bus::ReadPage> page = Status::internal("unread");
      if (desc) {
        page = env_.bus->log().read_back(f, cursor, limit);
      } else {
        f.after_seq = cursor;
        page = env_.bus->log().read(f, limit);
      }
      if (!page.ok()) return page.status();
      // A page also stops at kMaxPageBytes of envelopes (events may be up to 1 MiB each).
      Json events = Json::array();
      size_t bytes = 0;
      for (const auto& e : page->events) {
        if (bytes >= kMaxPageBytes) {
          page->more = true;
          page->cursor = events.back()["seq"].get<int64_t>();  // the next page starts after the last one sent
          break;
        }
        auto env = parse_json(e.envelope);
        if (!env.ok()) return Status::internal("logged event " + std::to_string(e.seq) + " does not parse");
        events.push_back({{"seq", e.seq}, {"event", std::move(*env)}});
        bytes += e.envelope.size();
      }
      auto first = env_.bus->log().first_seq();
      auto last = env_.bus->log().last_seq();
      if (!first.ok()) return first.status();
      if (!last.ok()) return last.status();
      return Json{{"events", std::move(events)},
                  {"nextCursor", page->cursor == INT64_MAX ? 0 : page->cursor},
                  {"more", page->more},
                  {"firstSeq", *first},
                  {"lastSeq", *last}};
    };
    return t;
  }

  Tool subscribe() {
    Tool t;
    t.name = "events.subscribe";
    t.title = "Fetch from a durable consumer";
    t.description =
        "Creates (first call) or reuses a named durable consumer and returns up to `max` messages: expired "
        "redeliveries first, then new events. Acknowledge with events.ack; unacknowledged messages come back after "
        "ackWaitMs and after a node restart (at-least-once).";
    t.input_schema = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", {"consumer"}},
        {"properties",
         {{"consumer", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,64}$"},
                        {"description", "a consumer name: 1-64 characters of [A-Za-z0-9_-]"}}},
          {"subject", {{"type", "string"}, {"maxLength", 255},
                       {"description", std::string(kSubjectDescription) + "; default > for a new consumer, the consumer's own when reused"}}},
          {"deliver", {{"type", "string"}, {"enum", {"all", "new", "seq", "time"}},
                       {"description", "where a new consumer starts (default all); given on reuse, it must match"}}},
          {"startSeq", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxSeq},
                        {"description", "with deliver=seq: the first sequence delivered"}}},
          {"startTime", {{"type", "string"}, {"format", "date-time"},
                         {"description", "with deliver=time: events at or after this RFC 3339 time"}}},
          {"accept", {{"type", "array"}, {"maxItems", 32}, {"items", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}},
                      {"description", "topic versions this consumer reads; older ones are upcast where an upcaster exists"}}},
          {"ackWaitMs", {{"type", "integer"}, {"minimum", 100}, {"maximum", 3600000}, {"default", 30000},
                         {"description", "ms before an unacknowledged message is delivered again"}}},
          {"maxAckPending", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 1000},
                             {"description", "at most this many delivered, unacknowledged messages"}}},
          {"maxDeliver", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 20},
                          {"description", "deliveries of one message before it is given up"}}},
          {"max", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100},
                   {"description", "at most this many messages in this reply"}}}}}};
    t.output_schema = {{"type", "object"},
                       {"required", {"consumer", "messages"}},
                       {"properties", {{"consumer", consumer_schema()}, {"messages", {{"type", "array"}, {"items", message_schema()}}}}}};
    t.http = {"POST", "/events/v1/subscribe"};
    t.access = Access::kIdentity;
    t.write = true;
    t.success_code = "EVENTS_FETCHED";
    t.success_message = "messages fetched";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      bus::ConsumerConfig c;
      c.name = in["consumer"];
      c.pattern = in.value("subject", "");  // unspecified: ">" on creation, the consumer's own on reuse
      c.deliver = in.value("deliver", "");
      c.start_seq = in.value("startSeq", int64_t{0});
      auto start_time = time_param(in, "startTime");
      if (!start_time.ok()) return start_time.status();
      c.start_time_ms = *start_time;
      if (in.contains("startSeq") && c.deliver != "seq") return Status::validation("startSeq goes with deliver=seq");
      if (in.contains("startTime") && c.deliver != "time") return Status::validation("startTime goes with deliver=time");
      if (c.deliver == "seq" && !in.contains("startSeq")) return Status::validation("deliver=seq needs startSeq");
      if (c.deliver == "time" && !in.contains("startTime")) return Status::validation("deliver=time needs startTime");
      if (in.contains("accept"))
        for (const auto& v : in["accept"]) c.accept.push_back(v.get<int>());
      c.ack_wait_ms = in.value("ackWaitMs", bus::kDefaultAckWaitMs);
      c.max_ack_pending = in.value("maxAckPending", bus::kDefaultMaxAckPending);
      c.max_deliver = in.value("maxDeliver", bus::kDefaultMaxDeliver);
      c.owner = ctx.identity->squid_id;
      // A new consumer is durable state: registered identities only, each
      // within its share; the operator within the node's bound.
      if (c.owner == env_.node_did) c.max_owned = static_cast<int64_t>(bus::kMaxConsumers);
      else if (!env_.bus->consumers().info(c.name).ok())
        ANARQ_RETURN_IF_ERROR(require_registered(ctx, env_, "creating a durable consumer"));
      auto info = env_.bus->consumers().ensure(c);
      if (!info.ok()) return info.status();
      auto msgs = env_.bus->consumers().fetch(c.name, in.value("max", size_t{100}), c.owner);
      if (!msgs.ok()) return msgs.status();
      Json out = Json::array();
      for (auto& m : *msgs) {
        Json j = {{"seq", m.event.seq}, {"deliveries", m.deliveries}, {"event", std::move(m.envelope)}};
        if (!m.upcast_from.empty()) j["upcastFrom"] = m.upcast_from;
        out.push_back(std::move(j));
      }
      auto now = env_.bus->consumers().info(c.name);
      if (!now.ok()) return now.status();
      return Json{{"consumer", consumer_json(*now)}, {"messages", std::move(out)}};
    };
    return t;
  }

  Tool ack() {
    Tool t;
    t.name = "events.ack";
    t.title = "Acknowledge messages";
    t.description = "Acknowledges messages of a durable consumer by sequence; they are not delivered again.";
    t.input_schema = R"({"type": "object", "additionalProperties": false, "required": ["consumer", "seqs"],
      "properties": {"consumer": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "a consumer name: 1-64 characters of [A-Za-z0-9_-]"},
                     "seqs": {"type": "array", "minItems": 1, "maxItems": 1000,
                              "description": "sequences of delivered messages, 1-1000 of them",
                              "items": {"type": "integer", "minimum": 1, "maximum": 9007199254740991}}}})"_json;
    t.output_schema = R"({"type": "object", "required": ["acked", "unknown", "ackFloor"],
      "properties": {"acked": {"type": "integer"}, "unknown": {"type": "integer",
                     "description": "not pending: already acknowledged, never delivered or terminated"},
                     "ackFloor": {"type": "integer"}}})"_json;
    t.http = {"POST", "/events/v1/ack"};
    t.access = Access::kIdentity;
    t.write = true;
    t.idempotent = true;
    t.success_code = "EVENTS_ACKED";
    t.success_message = "messages acknowledged";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      std::vector<int64_t> seqs;
      for (const auto& s : in["seqs"]) seqs.push_back(s.get<int64_t>());
      auto r = env_.bus->consumers().ack(in["consumer"], seqs, ctx.identity->squid_id);
      if (!r.ok()) return r.status();
      return Json{{"acked", r->acked}, {"unknown", r->unknown}, {"ackFloor", r->ack_floor}};
    };
    return t;
  }

  Tool unsubscribe() {
    Tool t;
    t.name = "events.unsubscribe";
    t.title = "Delete a durable consumer";
    t.description = "Deletes a durable consumer and its pending messages.";
    t.input_schema = R"({"type": "object", "additionalProperties": false, "required": ["consumer"],
      "properties": {"consumer": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "a consumer name: 1-64 characters of [A-Za-z0-9_-]"}}})"_json;
    t.output_schema = R"({"type": "object", "required": ["consumer"], "properties": {"consumer": {"type": "string"}}})"_json;
    t.http = {"DELETE", "/events/v1/consumers/{consumer}"};
    t.access = Access::kIdentity;
    t.write = true;
    t.destructive = true;  // its pending messages go with it
    t.idempotent = true;
    t.success_code = "CONSUMER_DELETED";
    t.success_message = "consumer deleted";
    t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> {
      ANARQ_RETURN_IF_ERROR(env_.bus->consumers().remove(in["consumer"], ctx.identity->squid_id));
      return Json{{"consumer", in["consumer"]}};
    };
    return t;
  }

  ModuleEnv env_;
};

}  // namespace

ANARQ_REGISTER_MODULE("events", EventsModule);

}  // namespace anarq
