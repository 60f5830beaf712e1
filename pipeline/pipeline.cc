#include "pipeline/pipeline.h"

#include "core/clock.h"
#include "core/json.h"

namespace anarq {

Result<Reply> Chain::proceed(Call& call) {
  if (index_ >= stages_.size()) return Status::internal("pipeline has no terminal stage");
  Chain rest(stages_, index_ + 1);
  return stages_[index_]->process(call, rest);
}

Pipeline::Pipeline(const ToolRegistry& registry, Metrics& metrics, const Clock& clock, Db* db)
    : registry_(registry), metrics_(metrics), clock_(clock), db_(db) {}

std::vector<std::string> Pipeline::stage_names() const {
  std::vector<std::string> out;
  for (const auto& s : stages_) out.emplace_back(s->name());
  return out;
}

Context Pipeline::new_context(Transport transport, const std::map<std::string, std::string>& headers) {
  Context ctx;
  ctx.transport = transport;
  ctx.headers = headers;
  auto rid = headers.find("x-request-id");
  // Echo a caller's request id only when it is printable and bounded.
  bool usable = rid != headers.end() && !rid->second.empty() && rid->second.size() <= 128;
  if (usable)
    for (char c : rid->second) usable &= c > 0x20 && c < 0x7f;
  ctx.request_id = usable ? rid->second : uuid_v7(clock_);
  auto tp = headers.find("traceparent");
  ctx.trace = TraceContext::from_header(tp == headers.end() ? std::string_view() : std::string_view(tp->second));
  ctx.clock = &clock_;
  ctx.db = db_;
  ctx.client = this;
  return ctx;
}

Result<Reply> Pipeline::execute(Call& call) {
  Chain chain(stages_, 0);
  try {
    return chain.proceed(call);
  } catch (...) {
    // Stages outside the guard do not throw by construction; keep the promise anyway.
    Status s = Status::internal("internal error (request " + call.ctx.request_id + ")");
    call.http_status = 500;
    call.envelope = error_envelope(s, call.ctx.request_id, clock_.now_ms());
    call.body = dump_compact(call.envelope);
    return s;
  }
}

Result<Reply> Pipeline::call(const std::string& tool, const Json& input, const Context& parent) {
  if (parent.depth + 1 > kMaxCallDepth)
    return Status::internal("in-process call depth exceeds " + std::to_string(kMaxCallDepth) + " at " + tool);
  Call c;
  c.tool_name = tool;
  c.input = input;
  c.external = false;
  c.ctx = parent;
  c.ctx.transport = Transport::kInProcess;
  c.ctx.tool = nullptr;
  c.ctx.depth = parent.depth + 1;
  c.ctx.trace.parent_id = parent.trace.span_id;
  c.ctx.trace.span_id = fast_random_hex(8);
  return execute(c);
}

Json success_envelope(Reply&& reply) {
  Json env = Json::object();
  env["status"] = "ok";
  env["code"] = std::move(reply.code);
  env["message"] = std::move(reply.message);
  env["data"] = std::move(reply.data);
  if (!reply.cid.empty()) env["cid"] = reply.cid;
  return env;
}

Json error_envelope(const Status& s, const std::string& request_id, int64_t now_ms) {
  Json env = {{"status", "error"}, {"code", s.code()}, {"message", s.message()}};
  if (!s.details().is_null()) env["details"] = s.details();
  env["timestamp"] = format_rfc3339_ms(now_ms);
  env["requestId"] = request_id;
  env["retryable"] = s.retryable();
  if (!s.suggested_actions().empty()) env["suggestedActions"] = s.suggested_actions();
  return env;
}

}  // namespace anarq
