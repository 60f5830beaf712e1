#include "transport/http_api.h"

#include <charconv>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/process_metrics.h"
#include "pipeline/pipeline.h"
#include "runtime/host.h"
#include "runtime/identity.h"
#include "store/db.h"
#include "transport/ipfs_http.h"
#include "transport/mcp.h"
#include "transport/specs.h"
#include "transport/sse.h"

#ifndef ANARQ_VERSION
#define ANARQ_VERSION "0.0.0"
#endif

namespace anarq {
namespace {

constexpr int64_t kHealthCheckIntervalMs = 1000;

ErrorCode code_for_status(int status) {
  switch (status) {
    case 400: return ErrorCode::kValidationError;
    case 404: return ErrorCode::kNotFound;
    case 405: return ErrorCode::kMethodNotAllowed;
    case 408: return ErrorCode::kTimeoutError;
    case 413: return ErrorCode::kPayloadTooLarge;
    case 431: return ErrorCode::kHeadersTooLarge;
    case 503: return ErrorCode::kServiceUnavailable;
    default: return ErrorCode::kInternalError;
  }
}

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = dump_compact(body);
  return r;
}

}  // namespace

Result<std::unique_ptr<HttpApi>> HttpApi::create(Pipeline& pipeline, const ModuleHost& host, McpServer& mcp, Db& db,
                                                 IpfsHttp* ipfs, EventStreamHttp* events) {
  auto router = Router::build(pipeline.registry());
  if (!router.ok()) return router.status();
  return std::unique_ptr<HttpApi>(new HttpApi(pipeline, host, mcp, db, std::move(*router), ipfs, events));
}

HttpApi::HttpApi(Pipeline& p, const ModuleHost& h, McpServer& m, Db& db, Router r, IpfsHttp* ipfs,
                 EventStreamHttp* events)
    : pipeline_(p), host_(h), mcp_(m), db_(db), router_(std::move(r)), ipfs_(ipfs), events_(events) {
  openapi_ = ServedOpenApi(p.registry(), ANARQ_VERSION);
}

HttpResponse HttpApi::envelope_error(const Status& s, const std::string& request_id) {
  HttpResponse r = json_response(s.http_status(), error_envelope(s, request_id, pipeline_.clock().now_ms()));
  r.headers.emplace_back("x-request-id", request_id);
  return r;
}

HttpResponse HttpApi::transport_error(int status, const std::string& reason) {
  std::string rid = uuid_v7(pipeline_.clock());
  Status s = status == 408 ? Status::custom("REQUEST_TIMEOUT", 408, true, reason) : Status(code_for_status(status), reason);
  HttpResponse r = envelope_error(s, rid);
  r.status = status;
  record(status, 0);
  return r;
}

void HttpApi::record(int status, double ms) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (status >= 500) server_errors_.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 400) client_errors_.fetch_add(1, std::memory_order_relaxed);
  total_us_.fetch_add(static_cast<uint64_t>(ms * 1000), std::memory_order_relaxed);
  if (status >= 100 && status < 600) by_status_[static_cast<size_t>(status)].fetch_add(1, std::memory_order_relaxed);
}

std::string HttpApi::render_http_metrics() const {
  std::string out =
      "# HELP anarq_http_requests_total HTTP requests by status code.\n"
      "# TYPE anarq_http_requests_total counter\n";
  for (size_t code = 100; code < by_status_.size(); ++code) {
    uint64_t n = by_status_[code].load(std::memory_order_relaxed);
    if (n) out += "anarq_http_requests_total{status=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  return out;
}

HttpResponse HttpApi::handle(HttpRequest& request) {
  const Clock& clock = pipeline_.clock();
  int64_t start = clock.mono_ns();
  AccessNote note;
  HttpResponse r = route(request, note);
  // HEAD: the server sends the head the GET would have (type, length) and no body.
  double ms = static_cast<double>(clock.mono_ns() - start) / 1e6;
  record(r.status, ms);
  {
    // Labels stay bounded: routes are tools or fixed surfaces, methods the known ones.
    static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    std::string method = "other";
    for (const char* k : kMethods)
      if (request.method == k) method = k;
    Metrics& metrics = pipeline_.metrics();
    metrics.inc("anarq_http_route_requests_total", "HTTP requests by route (tool or surface), method and status.",
                {{"method", method}, {"route", note.route}, {"status", std::to_string(r.status)}});
    metrics.observe("anarq_http_route_duration_seconds", "HTTP request latency by route, until the response head.",
                    {{"route", note.route}}, ms / 1000.0, kLatencyBuckets);
  }
  if (note.request_id.empty())
    for (const auto& [k, v] : r.headers)
      if (k == "x-request-id") note.request_id = v;
  // One line per request at the default level: what operators grep first.
  if (log::enabled(log::Level::kInfo)) {
    Json fields = {{"method", request.method},
                   {"route", note.route},
                   {"status", r.status},
                   {"ms", ms},
                   {"bytesIn", request.body.size()},
                   {"remote", request.remote_addr},
                   {"requestId", note.request_id}};
    if (!note.identity.empty()) fields["identity"] = note.identity;
    log::write(log::Level::kInfo, "access", fields);
  }
  return r;
}

HttpResponse HttpApi::preflight(const HttpRequest& req, const std::string& path) {
  HttpResponse r;
  r.status = 204;
  if (!req.headers.count("origin")) {  // not a CORS preflight: say what the node answers
    r.headers.emplace_back("allow", path.rfind("/ipfs/", 0) == 0 ? "GET, HEAD, OPTIONS" : "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    return r;
  }
  bool gateway = path.rfind("/ipfs/", 0) == 0;
  if (gateway) {
    r.headers = {{"access-control-allow-origin", "*"},
                 {"access-control-allow-methods", "GET, HEAD, OPTIONS"},
                 {"access-control-allow-headers", "Range, Accept, If-None-Match"},
                 {"access-control-max-age", "86400"}};
    return r;
  }
  auto cors = origin_.cors_headers(req.headers);
  if (cors.empty()) {
    HttpResponse e = envelope_error(Status(ErrorCode::kQonsentDenied, "cross-origin requests to " + path +
                                                                     " are not allowed (ANARQ_ALLOWED_ORIGINS lists origins)"),
                                    uuid_v7(pipeline_.clock()));
    e.status = 403;
    return e;
  }
  r.headers = std::move(cors);
  r.headers.emplace_back("access-control-allow-methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  r.headers.emplace_back("access-control-allow-headers",
                         "Content-Type, Accept, Idempotency-Key, traceparent, tracestate, Last-Event-ID, x-squid-id, x-subid, "
                         "x-ts, x-nonce, x-sig, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name");
  r.headers.emplace_back("access-control-max-age", "600");
  return r;
}

HttpResponse HttpApi::health() {
  // Built by hand: this route is what load balancers poll, so it stays cheap.
  const Clock& clock = pipeline_.clock();
  int64_t now = clock.now_ms();
  bool up;
  double latency;
  std::string last_check;
  {
    std::lock_guard lock(health_mu_);
    if (db_checked_ms_ == 0 || now - db_checked_ms_ >= kHealthCheckIntervalMs) {
      int64_t t0 = clock.mono_ns();
      db_up_ = db_.ping().ok();
      db_latency_ms_ = static_cast<double>(clock.mono_ns() - t0) / 1e6;
      db_checked_ms_ = now;
      db_last_check_ = format_rfc3339_ms(now);
    }
    up = db_up_;
    latency = db_latency_ms_;
    last_check = db_last_check_;
  }
  uint64_t n = requests_.load(std::memory_order_relaxed);
  double dn = n ? static_cast<double>(n) : 1.0;
  auto num = [](double v, int precision = 3) {
    char b[48];
    auto [end, ec] = std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, precision);
    return ec == std::errc() ? std::string(b, end) : std::string("0");
  };
  std::string body;
  body.reserve(384);
  body += up ? R"({"status":"healthy","version":")" : R"({"status":"unhealthy","version":")";
  body += ANARQ_VERSION;
  body += R"(","uptime":)" + std::to_string((now - host_.started_at_ms()) / 1000);
  body += R"(,"dependencies":{"database":{"status":")";
  body += up ? "up" : "down";
  body += R"(","backend":")" + db_.backend() + R"(","latency":)" + num(latency);
  body += R"(,"lastCheck":")" + last_check + R"("}},"metrics":{"requestCount":)" + std::to_string(n);
  body += R"(,"errorRate":)" + num(static_cast<double>(server_errors_.load(std::memory_order_relaxed)) / dn, 6);
  body += R"(,"clientErrorRate":)" + num(static_cast<double>(client_errors_.load(std::memory_order_relaxed)) / dn, 6);
  body += R"(,"avgResponseTime":)" + num(static_cast<double>(total_us_.load(std::memory_order_relaxed)) / 1000.0 / dn) + "}}";
  HttpResponse r;
  r.status = up ? 200 : 503;
  r.body = std::move(body);
  r.headers.emplace_back("cache-control", "no-store");
  return r;
}

bool HttpApi::offloads(const HttpRequest& req) const {
  if (req.method != "POST") return false;
  std::string path, query;
  split_target(req.target, path, query);
  if (path == "/mcp") return true;  // any tools/call may wait; the body is not parsed twice to find out
  // Content imports and GC hash and write every block: seconds for a large
  // CAR, which must not stall the other connections of this I/O thread.
  if (path == "/api/v0/add" || path == "/api/v0/dag/import" || path == "/api/v0/repo/gc") return true;
  RouteMatch match = router_.match(req.method, path);
  return match.kind == RouteMatch::Kind::kFound && match.tool->may_block;
}

HttpResponse HttpApi::route(HttpRequest& req, AccessNote& note) {
  std::string path, query;
  split_target(req.target, path, query);
  const std::string& m = req.method;
  note.route = "unmatched";
  const bool gateway = ipfs_ && path.rfind("/ipfs/", 0) == 0;
  const bool builtin_get = (path == "/health" || path == "/metrics" || path == "/openapi.json") && (m == "GET" || m == "HEAD");
  if (m == "OPTIONS") return preflight(req, path);
  // Everything but the public gateway and the read-only built-ins acts for
  // the operator or an identity: a foreign page may not drive it.
  std::vector<std::pair<std::string, std::string>> cors;
  if (!gateway && !builtin_get) {
    if (auto why = origin_.refuse(req.headers)) {
      HttpResponse e = envelope_error(Status(ErrorCode::kQonsentDenied, *why), uuid_v7(pipeline_.clock()));
      e.status = 403;
      return e;
    }
    cors = origin_.cors_headers(req.headers);
  }
  HttpResponse r = route_allowed(req, path, query, note);
  if (gateway && (m == "GET" || m == "HEAD")) {
    // Anyone's content: rendered in a sandbox (an opaque origin, no scripts),
    // so a page served here can never act as this node's own origin.
    r.headers.emplace_back("content-security-policy", "sandbox");
    r.headers.emplace_back("access-control-allow-origin", "*");
    r.headers.emplace_back("access-control-expose-headers",
                           "Content-Length, Content-Range, Content-Type, ETag, X-Ipfs-Path, X-Ipfs-Roots, X-Content-Type-Options");
  }
  for (auto& h : cors) r.headers.push_back(std::move(h));
  return r;
}

HttpResponse HttpApi::route_allowed(HttpRequest& req, const std::string& path, const std::string& query,
                                    AccessNote& note) {
  const std::string& m = req.method;

  if (path == "/health" || path == "/metrics" || path == "/openapi.json" || path == "/mcp" ||
      (events_ && EventStreamHttp::owns(path)))
    note.route = path;
  if (path == "/health") {
    if (m != "GET" && m != "HEAD") {
      HttpResponse r = envelope_error(Status(ErrorCode::kMethodNotAllowed, "/health accepts GET"), uuid_v7(pipeline_.clock()));
      r.headers.emplace_back("allow", "GET, HEAD");
      return r;
    }
    return health();
  }
  if (path == "/metrics" && (m == "GET" || m == "HEAD")) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    pipeline_.metrics().set("anarq_uptime_seconds", "Seconds since the node started.", {},
                            static_cast<double>(pipeline_.clock().now_ms() - host_.started_at_ms()) / 1000.0);
    pipeline_.metrics().set("anarq_mcp_sessions", "Open MCP Streamable HTTP sessions.", {},
                            static_cast<double>(mcp_.session_count()));
    pipeline_.metrics().set("anarq_sse_clients", "Open Server-Sent Events streams (/events/stream).", {},
                            static_cast<double>(events_ ? events_->open_streams() : 0));
    collect_process_metrics(pipeline_.metrics());
    if (gauges_) gauges_(pipeline_.metrics());
    r.body = pipeline_.metrics().render() + render_http_metrics();
    return r;
  }
  if (path == "/openapi.json" && (m == "GET" || m == "HEAD")) {
    HttpResponse r;
    auto host = req.headers.find("host");
    r.body = openapi_.render(openapi_server_url(listen_url_, host == req.headers.end() ? "" : host->second));
    return r;
  }
  if (path == "/mcp") {
    McpHttpResponse mr;
    if (m == "POST") mr = mcp_.handle_post(req.body, req.headers, req.target, req.remote_addr);
    else if (m == "DELETE") mr = mcp_.handle_delete(req.headers);
    else {
      // No server-initiated SSE stream: GET answers 405, as the transport allows.
      if (auto denied = mcp_.check_origin(req.headers)) mr = *denied;
      else {
        mr.status = 405;
        mr.headers.emplace_back("allow", "POST, DELETE");
      }
    }
    HttpResponse r;
    r.status = mr.status;
    r.headers = mr.headers;
    if (mr.body) r.body = dump_compact(*mr.body);
    return r;
  }

  if (events_ && EventStreamHttp::owns(path)) {
    auto r = events_->handle(req, query);
    if (r.ok()) return std::move(*r);
    HttpResponse e = envelope_error(r.status(), uuid_v7(pipeline_.clock()));
    if (r.status().code() == "METHOD_NOT_ALLOWED") e.headers.emplace_back("allow", "GET, HEAD");
    return e;
  }
  if (ipfs_ && IpfsHttp::owns(path)) {
    note.route = IpfsHttp::route_label(path);
    std::string rid = uuid_v7(pipeline_.clock());
    auto it = req.headers.find("x-request-id");
    if (it != req.headers.end() && !it->second.empty() && it->second.size() <= 128) rid = it->second;
    return ipfs_->handle(req, path, query, rid);
  }

  RouteMatch match = router_.match(m, path);
  if (match.kind == RouteMatch::Kind::kNotFound) {
    std::string rid = uuid_v7(pipeline_.clock());
    bool builtin = path == "/metrics" || path == "/openapi.json";
    if (builtin) {
      HttpResponse r = envelope_error(Status(ErrorCode::kMethodNotAllowed, path + " accepts GET"), rid);
      r.headers.emplace_back("allow", "GET, HEAD");
      return r;
    }
    return envelope_error(Status(ErrorCode::kNotFound, "no route for " + m + " " + path)
                              .with_suggestion("GET /openapi.json lists every route"),
                          rid);
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    std::string allow;
    for (const auto& a : match.allowed) allow += (allow.empty() ? "" : ", ") + a;
    HttpResponse r = envelope_error(Status(ErrorCode::kMethodNotAllowed, path + " accepts " + allow + ", not " + m),
                                    uuid_v7(pipeline_.clock()));
    r.headers.emplace_back("allow", allow);
    return r;
  }

  note.route = match.tool->name;
  Call call;
  call.tool_name = match.tool->name;
  call.request_bytes = req.body.size() + query.size();
  call.ctx = pipeline_.new_context(Transport::kHttp, req.headers);
  call.ctx.remote_addr = req.remote_addr;
  call.ctx.method = req.method;
  call.ctx.target = req.target;
  call.ctx.body = &req.body;
  // An unsigned call of an identity tool is refused by the access stage
  // whatever its input: its body is not even parsed.
  const bool signed_request = req.headers.count("x-squid-id") || req.headers.count("x-sig");
  auto input = match.tool->access != Access::kPublic && !signed_request
                   ? Result<Json>(Json::object())
                   : build_input(*match.tool, match.path_params, query, req.body);
  HttpResponse r;
  if (!input.ok()) {
    r = envelope_error(input.status(), call.ctx.request_id);
    r.headers.emplace_back("traceparent", call.ctx.trace.traceparent());
    return r;
  }
  call.input = std::move(*input);
  (void)pipeline_.execute(call);
  note.request_id = call.ctx.request_id;
  note.identity = acting_identity(call.ctx);
  r.status = call.http_status;
  r.body = std::move(call.body);
  r.headers = std::move(call.response_headers);
  return r;
}

}  // namespace anarq
