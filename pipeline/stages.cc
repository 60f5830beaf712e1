// The pipeline stages. Each is small and tested alone in stages_test.cc.
#include <exception>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "core/schema_validator.h"
#include "pipeline/authenticate.h"

namespace anarq {
namespace {

std::string tool_label(const Call& call) { return call.ctx.tool ? call.ctx.tool->name : "unknown"; }

// Trace: one span per call, logged as a structured line with the request id;
// emits traceparent and x-request-id for the transport.
class TraceStage final : public Stage {
 public:
  const char* name() const override { return "trace"; }
  Result<Reply> process(Call& call, Chain& next) override {
    const Clock& clock = *call.ctx.clock;
    int64_t start = clock.mono_ns();
    Result<Reply> r = next.proceed(call);
    double ms = static_cast<double>(clock.mono_ns() - start) / 1e6;
    call.response_headers.emplace_back("traceparent", call.ctx.trace.traceparent());
    call.response_headers.emplace_back("x-request-id", call.ctx.request_id);
    auto level = r.ok() ? log::Level::kDebug : (call.http_status >= 500 ? log::Level::kError : log::Level::kInfo);
    if (log::enabled(level)) {
      Json fields = {{"requestId", call.ctx.request_id},
                     {"tool", call.tool_name},
                     {"transport", transport_name(call.ctx.transport)},
                     {"status", call.http_status},
                     {"code", r.ok() ? call.envelope.value("code", "") : r.status().code()},
                     {"ms", ms},
                     {"traceId", call.ctx.trace.trace_id},
                     {"spanId", call.ctx.trace.span_id}};
      if (!call.ctx.trace.parent_id.empty()) fields["parentSpanId"] = call.ctx.trace.parent_id;
      if (!r.ok()) fields["error"] = r.status().message();
      log::write(level, "call", fields);
    }
    return r;
  }
};

class MetricsStage final : public Stage {
 public:
  explicit MetricsStage(Metrics& m) : metrics_(m) {}
  const char* name() const override { return "metrics"; }
  Result<Reply> process(Call& call, Chain& next) override {
    const Clock& clock = *call.ctx.clock;
    int64_t start = clock.mono_ns();
    Result<Reply> r = next.proceed(call);
    double secs = static_cast<double>(clock.mono_ns() - start) / 1e9;
    std::string tool = tool_label(call);
    const char* transport = transport_name(call.ctx.transport);
    metrics_.inc("anarq_tool_requests_total", "Tool calls by tool, transport and outcome code.",
                 {{"tool", tool}, {"transport", transport}, {"code", r.ok() ? "OK" : r.status().code()}});
    if (!r.ok())
      metrics_.inc("anarq_tool_errors_total", "Failed tool calls by tool and error code.",
                   {{"tool", tool}, {"code", r.status().code()}});
    metrics_.observe("anarq_tool_duration_seconds", "Tool call latency through the whole pipeline.",
                     {{"tool", tool}}, secs, kLatencyBuckets);
    metrics_.observe("anarq_tool_request_size_bytes", "Size of tool call inputs as received.", {{"tool", tool}},
                     static_cast<double>(call.request_bytes), kSizeBuckets);
    metrics_.observe("anarq_tool_response_size_bytes", "Size of serialised response envelopes.", {{"tool", tool}},
                     static_cast<double>(call.body.size()), kSizeBuckets);
    return r;
  }

 private:
  Metrics& metrics_;
};

// Envelope: turns the result into the standard envelope and HTTP status.
class EnvelopeStage final : public Stage {
 public:
  const char* name() const override { return "envelope"; }
  Result<Reply> process(Call& call, Chain& next) override {
    Result<Reply> r = next.proceed(call);
    if (r.ok()) {
      call.http_status = 200;
      if (!call.external) return r;  // in-process callers take the Reply itself
      // The envelope takes the data over; transports read the envelope.
      call.envelope = success_envelope(std::move(*r));
    } else {
      const Status& s = r.status();
      call.http_status = s.http_status();
      call.envelope = error_envelope(s, call.ctx.request_id, call.ctx.clock->now_ms());
      if (s.retry_after() > 0) call.response_headers.emplace_back("retry-after", std::to_string(s.retry_after()));
    }
    call.body = dump_compact(call.envelope);
    return r;
  }
};

// Resolve: finds the tool; transports see only exposed tools.
class ResolveStage final : public Stage {
 public:
  explicit ResolveStage(const ToolRegistry& r) : registry_(r) {}
  const char* name() const override { return "resolve"; }
  Result<Reply> process(Call& call, Chain& next) override {
    const Tool* tool = registry_.find(call.tool_name);
    if (tool == nullptr || (call.external && !registry_.exposed(call.tool_name)))
      return Status(ErrorCode::kNotFound, "unknown tool '" + call.tool_name + "'")
          .with_suggestion("list the tools with node.tools or GET /openapi.json");
    call.ctx.tool = tool;
    return next.proceed(call);
  }

 private:
  const ToolRegistry& registry_;
};

// Guard: anything thrown below becomes INTERNAL_ERROR with the request id; the
// process stays up.
class GuardStage final : public Stage {
 public:
  const char* name() const override { return "guard"; }
  Result<Reply> process(Call& call, Chain& next) override {
    std::string what;
    try {
      return next.proceed(call);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "non-standard exception";
    }
    log::error("handler threw", {{"requestId", call.ctx.request_id}, {"tool", call.tool_name}, {"error", what}});
    return Status::internal("internal error while running " + call.tool_name + " (request " + call.ctx.request_id + ")");
  }
};

class ValidateStage final : public Stage {
 public:
  explicit ValidateStage(std::map<std::string, std::shared_ptr<const SchemaValidator>> v) : validators_(std::move(v)) {}
  const char* name() const override { return "validate"; }
  Result<Reply> process(Call& call, Chain& next) override {
    if (!call.input.is_object()) return Status::validation("tool input must be a JSON object");
    auto it = validators_.find(call.ctx.tool->name);
    if (it == validators_.end()) return Status::internal("no validator for " + call.ctx.tool->name);
    auto violations = it->second->validate(call.input);
    if (!violations.empty()) return violations_to_status(violations, "input of " + call.ctx.tool->name);
    return next.proceed(call);
  }

 private:
  std::map<std::string, std::shared_ptr<const SchemaValidator>> validators_;
};

// Access: deny by default. Until signed requests land (sQuid issue) only public
// tools can be reached; identity and capability tools are refused, never let
// through.
class AccessStage final : public Stage {
 public:
  const char* name() const override { return "access"; }
  Result<Reply> process(Call& call, Chain& next) override {
    const Tool& tool = *call.ctx.tool;
    if (tool.access == Access::kPublic) return next.proceed(call);
    if (call.ctx.identity) return next.proceed(call);  // set only by a verified authentication stage
    return Status(ErrorCode::kSquidIdentityInvalid,
                  tool.name + " requires a signed request (access: " + access_name(tool.access) + ")")
        .with_suggestion("sign the request with sQuid headers (x-squid-id, x-ts, x-nonce, x-sig)");
  }
};

class HandlerStage final : public Stage {
 public:
  const char* name() const override { return "handler"; }
  Result<Reply> process(Call& call, Chain&) override {
    const Tool& tool = *call.ctx.tool;
    Result<Reply> r = tool.handler(call.ctx, call.input);
    if (!r.ok()) return r;
    if (r->code.empty()) r->code = tool.success_code;
    if (r->message.empty()) r->message = tool.success_message;
    return r;
  }
};

}  // namespace

std::unique_ptr<Stage> make_trace_stage() { return std::make_unique<TraceStage>(); }
std::unique_ptr<Stage> make_metrics_stage(Metrics& m) { return std::make_unique<MetricsStage>(m); }
std::unique_ptr<Stage> make_envelope_stage() { return std::make_unique<EnvelopeStage>(); }
std::unique_ptr<Stage> make_resolve_stage(const ToolRegistry& r) { return std::make_unique<ResolveStage>(r); }
std::unique_ptr<Stage> make_guard_stage() { return std::make_unique<GuardStage>(); }
std::unique_ptr<Stage> make_access_stage() { return std::make_unique<AccessStage>(); }
std::unique_ptr<Stage> make_handler_stage() { return std::make_unique<HandlerStage>(); }

Result<std::unique_ptr<Stage>> make_validate_stage(const ToolRegistry& registry) {
  std::map<std::string, std::shared_ptr<const SchemaValidator>> validators;
  for (const Tool* t : registry.list(false)) {
    auto v = SchemaValidator::compile(t->input_schema);
    if (!v.ok()) return Status::internal("input schema of " + t->name + ": " + v.status().message());
    validators.emplace(t->name, *v);
  }
  return std::unique_ptr<Stage>(std::make_unique<ValidateStage>(std::move(validators)));
}

Status add_default_stages(Pipeline& p, SubidentityCheck subidentities, RegisteredCheck registered) {
  p.add(make_trace_stage());
  p.add(make_metrics_stage(p.metrics()));
  p.add(make_envelope_stage());
  p.add(make_resolve_stage(p.registry()));
  p.add(make_guard_stage());
  // Who is calling is settled before the input is looked at: an unsigned
  // caller of an identity tool costs one header check, never a schema walk.
  auto auth = make_authenticate_stage(p.clock().now_ms(), std::move(subidentities), p.db(), std::move(registered));
  if (!auth.ok()) return auth.status();
  p.add(std::move(*auth));
  p.add(make_access_stage());
  auto validate = make_validate_stage(p.registry());
  if (!validate.ok()) return validate.status();
  p.add(std::move(*validate));
  p.add(make_handler_stage());
  return {};
}

}  // namespace anarq
