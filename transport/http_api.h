#pragma once
// HttpApi: what the node answers over HTTP. Built-in routes (/health, /metrics,
// /openapi.json, /mcp) and every exposed tool at its HTTP binding; unknown
// route 404, wrong method 405, malformed JSON 400 — all in the envelope.
// No Boost here: the Beast server hands over plain HttpRequest values.
// Thread-safe after construction.
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "transport/http_types.h"
#include "transport/origin.h"
#include "transport/router.h"
#include "transport/specs.h"

namespace anarq {

class Pipeline;
class Metrics;
class ModuleHost;
class McpServer;
class Db;
class IpfsHttp;
class EventStreamHttp;

class HttpApi {
 public:
  // `ipfs` and `events` may be null (no content surface, no event stream).
  static Result<std::unique_ptr<HttpApi>> create(Pipeline& pipeline, const ModuleHost& host, McpServer& mcp, Db& db,
                                                 IpfsHttp* ipfs = nullptr, EventStreamHttp* events = nullptr);
  HttpResponse handle(HttpRequest& request);
  // For errors the transport detects before routing (400, 408, 413, 431, 503).
  HttpResponse transport_error(int status, const std::string& reason);
  // Whether the server should run this request off its I/O threads: tools
  // that may wait, and MCP calls (any tool may be behind POST /mcp).
  bool offloads(const HttpRequest& request) const;
  // The address the server is bound to (http://HOST:PORT), for the `servers`
  // entry of GET /openapi.json. REQUIRES: before the server runs.
  void set_listen_url(std::string url) { listen_url_ = std::move(url); }
  // Origin/Host rules and CORS for every surface but the public gateway.
  void set_origin_policy(OriginPolicy policy) { origin_ = std::move(policy); }
  // Sets the node's own gauges (content, events, consumers) before /metrics renders.
  void set_gauges(std::function<void(Metrics&)> fn) { gauges_ = std::move(fn); }

 private:
  HttpApi(Pipeline& p, const ModuleHost& h, McpServer& m, Db& db, Router r, IpfsHttp* ipfs, EventStreamHttp* events);
  // What the access log says of one request, filled while routing.
  struct AccessNote {
    std::string route;       // the tool name, or the surface ("/mcp", "ipfs:add", "gateway")
    std::string identity;    // the verified acting did:key, if any
    std::string request_id;
  };
  HttpResponse route(HttpRequest& request, AccessNote& note);
  HttpResponse route_allowed(HttpRequest& request, const std::string& path, const std::string& query, AccessNote& note);
  HttpResponse preflight(const HttpRequest& request, const std::string& path);
  HttpResponse health();
  HttpResponse envelope_error(const Status& s, const std::string& request_id);
  void record(int status, double ms);

  Pipeline& pipeline_;
  const ModuleHost& host_;
  McpServer& mcp_;
  Db& db_;
  Router router_;
  IpfsHttp* ipfs_;
  EventStreamHttp* events_;
  OriginPolicy origin_;
  std::function<void(Metrics&)> gauges_;
  ServedOpenApi openapi_;  // built once: the registry does not change after start-up
  std::string listen_url_;

  std::string render_http_metrics() const;

  // Hot-path counters: relaxed atomics, rendered into /metrics on demand.
  std::atomic<uint64_t> requests_{0}, server_errors_{0}, client_errors_{0};
  std::atomic<uint64_t> total_us_{0};
  std::array<std::atomic<uint64_t>, 600> by_status_{};
  // Database check, refreshed at most once a second.
  std::mutex health_mu_;
  int64_t db_checked_ms_ = 0;
  std::string db_last_check_;
  double db_latency_ms_ = 0;
  bool db_up_ = false;
};

}  // namespace anarq
