#include "transport/mcp.h"
#include "transport/origin.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "ipld/multibase.h"
#include "pipeline/pipeline.h"
#include "runtime/host.h"

#ifndef ANARQ_VERSION
#define ANARQ_VERSION "0.0.0"
#endif

namespace anarq {

const std::vector<std::string>& mcp_session_versions() {
  static const std::vector<std::string> v = {"2025-11-25", "2025-06-18", kMcpBatchVersion};
  return v;
}

const std::vector<std::string>& mcp_all_versions() {
  static const std::vector<std::string> v = {kMcpModernVersion, "2025-11-25", "2025-06-18", kMcpBatchVersion};
  return v;
}

namespace {

constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kMetaCapabilities = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
constexpr int64_t kListTtlMs = 60'000;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string header(const std::map<std::string, std::string>& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

bool has_header(const std::map<std::string, std::string>& h, const std::string& name) { return h.count(name) > 0; }

// 2026-07-28 header values that are not plain ASCII travel as =?base64?...?=.
std::optional<std::string> decode_header_value(const std::string& v) {
  if (v.size() >= 12 && v.rfind("=?base64?", 0) == 0 && v.compare(v.size() - 2, 2, "?=") == 0) {
    std::string_view b64 = std::string_view(v).substr(9, v.size() - 11);
    while (!b64.empty() && b64.back() == '=') b64.remove_suffix(1);  // padding is optional here
    auto decoded = ipld::base64_decode(b64, /*url=*/false);
    if (!decoded.ok()) return std::nullopt;
    return std::move(*decoded);
  }
  return v;
}

Json rpc_error(const Json& id, int code, const std::string& message, const Json& data = nullptr) {
  Json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  Json out = {{"jsonrpc", "2.0"}};
  if (!id.is_null()) out["id"] = id;  // clients reject "id": null; leave it out
  out["error"] = err;
  return out;
}

Json rpc_result(const Json& id, Json result) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}; }

bool valid_id(const Json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

// Exact loopback names only ("127.evil.example" is not one): transport/origin.h.
bool is_loopback_host(const std::string& host) { return is_loopback_name(host); }

}  // namespace

// IPv4 addresses count one by one; IPv6 ones by /64 (one host or site holds a
// whole /64, so its addresses are one caller); IPv4-mapped IPv6 is IPv4.
std::string mcp_session_source(const std::string& peer) {
  unsigned char a[16];
  if (inet_pton(AF_INET6, peer.c_str(), a) != 1) return peer;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[64];
  if (std::equal(a, a + 12, kMapped)) {
    std::snprintf(out, sizeof out, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
    return out;
  }
  std::snprintf(out, sizeof out, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  return out;
}

struct McpServer::Dispatch {
  Json id;
  std::string method;
  Json params;
  bool modern = false;     // served statelessly (2026-07-28)
  std::string version;     // the revision this request is served under
  const std::map<std::string, std::string>* headers = nullptr;
  bool http = false;
  // POST /mcp: what a request signature covers (the whole JSON-RPC body).
  const std::string* raw_body = nullptr;
  std::string target = "/mcp";
  std::string peer;        // the HTTP caller's address: its sessions' source
  int http_status = 200;   // for errors that the revision maps to an HTTP status
  std::string new_session_id;
};

McpServer::McpServer(Pipeline& pipeline, const ModuleHost& host, const Config& config)
    : pipeline_(pipeline), host_(host), config_(config) {
  auto hp = parse_host_port(config.listen);
  loopback_ = hp.ok() && is_loopback_host(hp->host);
}

McpServer::~McpServer() = default;

size_t McpServer::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

Json McpServer::server_info() const {
  return {{"name", "anarq"},
          {"title", "anarq node"},
          {"version", ANARQ_VERSION},
          {"description", "The Q ecosystem's modules as tools: identity, encryption, consent, index, audit, payments, files."}};
}

std::map<std::string, McpServer::Session>::iterator McpServer::erase_locked(
    std::map<std::string, Session>::iterator it) {
  auto src = per_source_.find(it->second.source);
  if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
  return sessions_.erase(it);
}

void McpServer::evict_lru_locked(const std::string& source) {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (it->second.source == source && (oldest == sessions_.end() || it->second.last_used_ms < oldest->second.last_used_ms))
      oldest = it;
  if (oldest != sessions_.end()) erase_locked(oldest);
}

std::string McpServer::new_session(const std::string& version, const std::string& source) {
  int64_t now = pipeline_.clock().now_ms();
  std::string id = random_hex(16);
  std::lock_guard lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = now - it->second.last_used_ms > kSessionIdleMs ? erase_locked(it) : std::next(it);
  // A source over its share makes room among its own sessions; a full table
  // takes from the source holding the most. Either way no source pushes out
  // another's session while it holds fewer than that source.
  auto mine = per_source_.find(source);
  if (mine != per_source_.end() && mine->second >= kMaxSessionsPerSource) {
    evict_lru_locked(source);
  } else if (sessions_.size() >= kMaxSessions) {
    // The least recently used session among the sources holding the most.
    size_t most = 0;
    for (const auto& [_, n] : per_source_) most = std::max(most, n);
    auto victim = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (per_source_[it->second.source] == most &&
          (victim == sessions_.end() || it->second.last_used_ms < victim->second.last_used_ms))
        victim = it;
    if (victim != sessions_.end()) erase_locked(victim);
  }
  sessions_[id] = {version, now, source};
  ++per_source_[source];
  return id;
}

std::optional<std::string> McpServer::session_version(const std::string& id) {
  int64_t now = pipeline_.clock().now_ms();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_used_ms > kSessionIdleMs) {
    erase_locked(it);
    return std::nullopt;
  }
  it->second.last_used_ms = now;
  return it->second.version;
}

Json mcp_tool_annotations(const Tool& t) {
  // The hints say what the tool does (runtime/tool.h): destructive only for a
  // write that deletes, revokes or overwrites; idempotent when a repeat of the
  // same call changes nothing more (every read is).
  return {{"title", t.title.empty() ? t.name : t.title},
          {"readOnlyHint", t.read_only},
          {"destructiveHint", !t.read_only && t.destructive},
          {"idempotentHint", t.read_only || t.idempotent},
          {"openWorldHint", false}};
}

Json mcp_tool_descriptor(const Tool& t, const std::string& version) {
  Json in = t.input_schema, out = t.output_schema;
  const bool unstructured = version == kMcpBatchVersion;  // 2025-03-26: no outputSchema, no title
  if (version != "2025-06-18" && !unstructured) {
    // 2025-11-25 made 2020-12 the default dialect; ours are draft-07, so say so.
    in["$schema"] = "http://json-schema.org/draft-07/schema#";
    out["$schema"] = "http://json-schema.org/draft-07/schema#";
  }
  Json d = {{"name", t.name},
            {"description", t.description},
            {"inputSchema", in},
            {"annotations", mcp_tool_annotations(t)}};
  if (!unstructured) {
    d["title"] = t.title.empty() ? t.name : t.title;
    d["outputSchema"] = out;
  }
  Json meta = {{"anarq/version", t.version},
               {"anarq/module", t.module},
               {"anarq/access", access_name(t.access)},
               {"anarq/http", {{"method", t.http.method}, {"path", t.http.path}}}};
  if (t.deprecation)
    meta["anarq/deprecation"] = {{"since", t.deprecation->since},
                                 {"sunset", t.deprecation->sunset},
                                 {"replacement", t.deprecation->replacement}};
  d["_meta"] = meta;
  return d;
}

Json McpServer::initialize(Dispatch& d) {
  std::string requested = d.params.value("protocolVersion", "");
  // Echo a supported revision; otherwise counter-offer our newest session revision.
  std::string chosen = contains(mcp_session_versions(), requested) ? requested : mcp_session_versions().front();
  d.version = chosen;
  if (d.http) d.new_session_id = new_session(chosen, mcp_session_source(d.peer));
  return {{"protocolVersion", chosen},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", server_info()},
          {"instructions",
           "anarq serves the Q ecosystem modules as tools named <module>.<verb>. Call node.tools for the live "
           "registry with schemas and access rules; every result carries the standard envelope fields."}};
}

Json McpServer::discover(Dispatch& d) {
  return {{"supportedVersions", mcp_all_versions()},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", server_info()},
          {"instructions", "anarq serves the Q ecosystem modules as tools named <module>.<verb>."},
          {"ttlMs", kListTtlMs},
          {"cacheScope", "public"}};
}

Json McpServer::tools_list(Dispatch& d) {
  auto tools = pipeline_.registry().list(true);
  size_t offset = 0;
  if (d.params.contains("cursor")) {
    const Json& c = d.params["cursor"];
    std::string cursor = c.is_string() ? c.get<std::string>() : std::string();
    bool ok = !cursor.empty() && cursor.size() < 12 &&
              std::all_of(cursor.begin(), cursor.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
    if (ok) offset = std::stoul(cursor);
    if (!ok || offset > tools.size()) {
      d.http_status = 400;
      return rpc_error(d.id, jsonrpc::kInvalidParams, "invalid cursor");
    }
  }
  Json list = Json::array();
  size_t end = std::min(tools.size(), offset + kToolsPageSize);
  for (size_t i = offset; i < end; ++i) list.push_back(mcp_tool_descriptor(*tools[i], d.version));
  Json result = {{"tools", list}};
  if (end < tools.size()) result["nextCursor"] = std::to_string(end);
  if (d.modern) {
    result["ttlMs"] = kListTtlMs;
    result["cacheScope"] = "public";
  }
  return rpc_result(d.id, result);
}

Json McpServer::tools_call(Dispatch& d) {
  if (!d.params.is_object() || !d.params.contains("name") || !d.params["name"].is_string())
    return rpc_error(d.id, jsonrpc::kInvalidParams, "tools/call needs params.name (string)");
  std::string name = d.params["name"];
  if (!pipeline_.registry().exposed(name)) return rpc_error(d.id, jsonrpc::kInvalidParams, "Unknown tool: " + name);
  Json args = d.params.contains("arguments") ? d.params["arguments"] : Json::object();
  if (args.is_null()) args = Json::object();

  Call call;
  call.tool_name = name;
  call.input = args;
  call.request_bytes = dump_compact(args).size();
  call.ctx = pipeline_.new_context(Transport::kMcp, d.headers ? *d.headers : std::map<std::string, std::string>{});
  if (!d.http && stdio_identity_) call.ctx.identity = stdio_identity_;
  if (d.http) {  // signed headers authenticate exactly as on the tool's own route
    call.ctx.method = "POST";
    call.ctx.target = d.target;
    call.ctx.body = d.raw_body;
  }
  Result<Reply> r = pipeline_.execute(call);
  Json result;
  if (r.ok()) {
    const Json& data = call.envelope["data"];
    result = {{"content", {{{"type", "text"}, {"text", dump_compact(data)}}}}, {"isError", false}};
    if (d.version != kMcpBatchVersion) result["structuredContent"] = data;
  } else {
    // What the agent reads: "CODE: message", then the whole error envelope
    // (standards.md section 1). No structuredContent: clients check it against
    // the outputSchema, which describes the success data (MCP tools spec).
    result = {{"content",
               {{{"type", "text"}, {"text", call.envelope.value("code", "") + ": " + call.envelope.value("message", "")}},
                {{"type", "text"}, {"text", dump_compact(call.envelope)}}}},
              {"isError", true}};
  }
  Json meta = {{"anarq/code", call.envelope.value("code", "")},
               {"anarq/message", call.envelope.value("message", "")},
               {"anarq/requestId", call.ctx.request_id},
               {"anarq/httpStatus", call.http_status}};
  if (!r.ok()) meta["anarq/error"] = call.envelope;
  if (call.envelope.contains("cid")) meta["anarq/cid"] = call.envelope["cid"];
  result["_meta"] = meta;
  return rpc_result(d.id, result);
}

Json McpServer::handle_request(Dispatch& d) {
  Json response;
  if (d.method == "initialize" && !d.modern) response = rpc_result(d.id, initialize(d));
  else if (d.method == "ping" && !d.modern) response = rpc_result(d.id, Json::object());
  else if (d.method == "server/discover") response = rpc_result(d.id, discover(d));
  else if (d.method == "tools/list") response = tools_list(d);
  else if (d.method == "tools/call") response = tools_call(d);
  else {
    if (d.modern) d.http_status = 404;
    response = rpc_error(d.id, jsonrpc::kMethodNotFound, "Method not found: " + d.method);
  }
  if (d.modern && response.contains("result")) {
    response["result"]["resultType"] = "complete";
    response["result"]["_meta"][kMetaServerInfo] = server_info();
  }
  return response;
}

namespace {

// Checks one JSON-RPC message. On failure returns the error response.
std::optional<Json> check_frame(const Json& msg) {
  if (!msg.is_object() || msg.value("jsonrpc", "") != "2.0")
    return rpc_error(nullptr, jsonrpc::kInvalidRequest, "Invalid Request: expected a JSON-RPC 2.0 object");
  if (msg.contains("id") && !valid_id(msg["id"]))
    return rpc_error(nullptr, jsonrpc::kInvalidRequest, "Invalid Request: id must be a string or an integer");
  bool is_response = !msg.contains("method") && (msg.contains("result") || msg.contains("error"));
  if (!is_response && (!msg.contains("method") || !msg["method"].is_string()))
    return rpc_error(msg.value("id", Json()), jsonrpc::kInvalidRequest, "Invalid Request: method must be a string");
  if (msg.contains("params") && !msg["params"].is_object() && !msg["params"].is_null())
    return rpc_error(msg.value("id", Json()), jsonrpc::kInvalidParams, "params must be an object");
  return std::nullopt;
}

// Parses and checks the JSON-RPC frame; an array (a batch) is left to the
// caller, which knows whether its revision allows one.
std::optional<Json> parse_message(const std::string& text, Json& msg) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) return rpc_error(nullptr, jsonrpc::kParseError, "Parse error: " + parsed.status().message());
  msg = std::move(*parsed);
  if (msg.is_array()) return std::nullopt;
  return check_frame(msg);
}

Json batch_refused() {
  return rpc_error(nullptr, jsonrpc::kInvalidRequest,
                   std::string("JSON-RPC batches are served on ") + kMcpBatchVersion + " sessions only");
}

// For a modern request: the required _meta keys and the version. Error response on failure.
std::optional<Json> check_modern_meta(const Json& id, const Json& params) {
  const Json meta = params.is_object() ? params.value("_meta", Json::object()) : Json::object();
  if (!meta.is_object() || !meta.contains(kMetaVersion) || !meta[kMetaVersion].is_string() ||
      !meta.contains(kMetaCapabilities) || !meta[kMetaCapabilities].is_object())
    return rpc_error(id, jsonrpc::kInvalidParams,
                     std::string("Invalid params: _meta must carry ") + kMetaVersion + " and " + kMetaCapabilities);
  std::string v = meta[kMetaVersion];
  if (v != kMcpModernVersion)
    return rpc_error(id, jsonrpc::kUnsupportedVersion, "Unsupported protocol version",
                     {{"supported", mcp_all_versions()}, {"requested", v}});
  return std::nullopt;
}

bool has_modern_meta(const Json& params) {
  return params.is_object() && params.contains("_meta") && params["_meta"].is_object() &&
         params["_meta"].contains(kMetaVersion);
}

}  // namespace

// 2025-03-26 batches: every message answered in order (notifications and
// responses get no answer); an empty result means nothing to send back.
// initialize may not be batched. A signature covers the whole body, so in a
// signed batch only the first tools/call authenticates (the nonce is spent).
Json McpServer::handle_batch(const Json& batch, const std::string& version,
                             const std::map<std::string, std::string>& headers, const std::string* raw_body,
                             const std::string& target, bool http) {
  if (batch.empty()) return rpc_error(nullptr, jsonrpc::kInvalidRequest, "Invalid Request: empty batch");
  if (batch.size() > kMaxBatch)
    return rpc_error(nullptr, jsonrpc::kInvalidRequest,
                     "Invalid Request: a batch holds at most " + std::to_string(kMaxBatch) + " messages");
  Json out = Json::array();
  for (const auto& msg : batch) {
    if (auto err = check_frame(msg)) {
      out.push_back(*err);
      continue;
    }
    if (!msg.contains("method") || !msg.contains("id")) continue;  // notification or response
    Dispatch d;
    d.http = http;
    d.headers = &headers;
    d.raw_body = raw_body;
    d.target = target;
    d.method = msg["method"];
    d.params = msg.contains("params") && msg["params"].is_object() ? msg["params"] : Json::object();
    d.id = msg["id"];
    d.version = version;
    if (d.method == "initialize" || has_modern_meta(d.params) || d.method == "server/discover") {
      out.push_back(rpc_error(d.id, jsonrpc::kInvalidRequest, "Invalid Request: " + d.method + " cannot be batched"));
      continue;
    }
    out.push_back(handle_request(d));
  }
  return out;
}

std::optional<Json> McpServer::handle_stdio(const std::string& line, McpStdioState& state) {
  Json msg;
  if (auto err = parse_message(line, msg)) return err;
  if (msg.is_array()) {
    if (state.version != kMcpBatchVersion) return batch_refused();
    static const std::map<std::string, std::string> kNone;
    Json out = handle_batch(msg, state.version, kNone, nullptr, "/mcp", false);
    if (out.is_array() && out.empty()) return std::nullopt;
    return out;
  }
  if (!msg.contains("method")) return std::nullopt;  // a response to nothing we asked: ignore
  Dispatch d;
  d.method = msg["method"];
  d.params = msg.contains("params") && msg["params"].is_object() ? msg["params"] : Json::object();
  bool notification = !msg.contains("id");
  if (notification) return std::nullopt;  // initialized, cancelled: nothing to answer
  d.id = msg["id"];
  static const std::map<std::string, std::string> kNoHeaders;
  d.headers = &kNoHeaders;
  if (has_modern_meta(d.params) || d.method == "server/discover") {
    d.modern = true;
    if (auto err = check_modern_meta(d.id, d.params)) return err;
    d.version = kMcpModernVersion;
  } else {
    d.version = state.version.empty() ? mcp_session_versions().front() : state.version;
  }
  Json response = handle_request(d);
  if (d.method == "initialize" && response.contains("result")) state.version = d.version;
  return response;
}

std::optional<McpHttpResponse> McpServer::check_origin(const std::map<std::string, std::string>& headers) const {
  auto forbidden = [](const std::string& why) {
    McpHttpResponse r;
    r.status = 403;
    r.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Forbidden: " + why);
    return r;
  };
  auto allowed = [&](const std::string& origin) {
    for (const auto& o : config_.allowed_origins)
      if (o == origin || o == "*") return true;
    return false;
  };
  if (has_header(headers, "origin")) {
    std::string origin = header(headers, "origin");
    if (!allowed(origin) && (loopback_ || !config_.allowed_origins.empty()) && !is_loopback_host(host_of(origin)))
      return forbidden("origin " + origin + " is not allowed");
  }
  if (loopback_) {
    // A rebinding attack reaches us by a foreign name resolving to 127.0.0.1.
    std::string host = host_of(header(headers, "host"));
    if (!host.empty() && !is_loopback_host(host) && !allowed(header(headers, "host")))
      return forbidden("host " + header(headers, "host") + " is not allowed while bound to loopback");
  }
  return std::nullopt;
}

McpHttpResponse McpServer::handle_post(const std::string& body, const std::map<std::string, std::string>& headers,
                                       const std::string& target, const std::string& peer) {
  McpHttpResponse out;
  if (auto denied = check_origin(headers)) return *denied;
  std::string ctype = header(headers, "content-type");
  if (ctype.rfind("application/json", 0) != 0) {
    out.status = 415;
    out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Content-Type must be application/json");
    return out;
  }
  std::string accept = header(headers, "accept");
  if (!accept.empty() && accept.find("application/json") == std::string::npos && accept.find("*/*") == std::string::npos) {
    out.status = 406;
    out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Accept must include application/json");
    return out;
  }
  Json msg;
  if (auto err = parse_message(body, msg)) {
    out.status = 400;
    out.body = *err;
    return out;
  }
  if (msg.is_array()) return handle_post_batch(msg, body, headers, target);
  Dispatch d;
  d.peer = peer;
  d.http = true;
  d.headers = &headers;
  d.raw_body = &body;
  d.target = target;
  bool is_request = msg.contains("method") && msg.contains("id");
  d.method = msg.value("method", "");
  d.params = msg.contains("params") && msg["params"].is_object() ? msg["params"] : Json::object();
  d.id = msg.value("id", Json());
  std::string header_version = header(headers, "mcp-protocol-version");

  d.modern = header_version == kMcpModernVersion || has_modern_meta(d.params) || d.method == "server/discover";
  if (d.modern) {
    auto fail = [&](int http, Json err) {
      out.status = http;
      out.body = std::move(err);
      return out;
    };
    if (is_request) {
      if (auto err = check_modern_meta(d.id, d.params)) return fail(400, *err);
    }
    std::string meta_version = d.params.value("_meta", Json::object()).value(kMetaVersion, "");
    if (header_version.empty())
      return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch, "Header mismatch: MCP-Protocol-Version header is required"));
    if (is_request && header_version != meta_version)
      return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch,
                                 "Header mismatch: MCP-Protocol-Version header value '" + header_version +
                                     "' does not match body value '" + meta_version + "'"));
    auto method_h = decode_header_value(header(headers, "mcp-method"));
    if (!has_header(headers, "mcp-method") || !method_h)
      return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch, "Header mismatch: Mcp-Method header is required"));
    if (*method_h != d.method)
      return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch,
                                 "Header mismatch: Mcp-Method header value '" + *method_h + "' does not match body value '" +
                                     d.method + "'"));
    if (d.method == "tools/call") {
      std::string body_name = d.params.value("name", Json("")).is_string() ? d.params.value("name", "") : "";
      auto name_h = decode_header_value(header(headers, "mcp-name"));
      if (!has_header(headers, "mcp-name") || !name_h)
        return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch, "Header mismatch: Mcp-Name header is required for tools/call"));
      if (*name_h != body_name)
        return fail(400, rpc_error(d.id, jsonrpc::kHeaderMismatch,
                                   "Header mismatch: Mcp-Name header value '" + *name_h + "' does not match body value '" +
                                       body_name + "'"));
    }
    if (!is_request) {
      out.status = 202;
      return out;
    }
    d.version = kMcpModernVersion;
    Json response = handle_request(d);
    // 404 for an unknown method and 400 for a bad cursor; other JSON-RPC errors
    // (an unknown tool) travel in a 200, which the revision leaves open.
    out.status = d.http_status;
    out.body = response;
    return out;
  }

  // Session revisions.
  if (!header_version.empty() && !contains(mcp_session_versions(), header_version)) {
    out.status = 400;
    out.body = rpc_error(d.id, jsonrpc::kInvalidRequest,
                         "Bad Request: unsupported MCP-Protocol-Version '" + header_version + "'",
                         {{"supported", mcp_all_versions()}});
    return out;
  }
  if (d.method == "initialize") {
    if (!is_request) {
      out.status = 400;
      out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "initialize must be a request");
      return out;
    }
    Json response = handle_request(d);
    out.body = response;
    if (!d.new_session_id.empty()) out.headers.emplace_back("Mcp-Session-Id", d.new_session_id);
    return out;
  }
  std::string sid = header(headers, "mcp-session-id");
  if (sid.empty()) {
    out.status = 400;
    out.body = rpc_error(d.id, jsonrpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
    return out;
  }
  auto version = session_version(sid);
  if (!version) {
    out.status = 404;
    out.body = rpc_error(d.id, jsonrpc::kInvalidRequest, "Session not found: initialize again");
    return out;
  }
  // A header naming another revision we serve is answered under the session's
  // own: the transport asks only for a supported value (400 otherwise, above).
  if (!is_request) {  // notification or a response to us
    out.status = 202;
    return out;
  }
  d.version = *version;
  out.body = handle_request(d);
  return out;
}

McpHttpResponse McpServer::handle_post_batch(const Json& batch, const std::string& body,
                                             const std::map<std::string, std::string>& headers,
                                             const std::string& target) {
  McpHttpResponse out;
  out.status = 400;
  std::string header_version = header(headers, "mcp-protocol-version");
  std::string sid = header(headers, "mcp-session-id");
  if (header_version == kMcpModernVersion || sid.empty()) {
    out.body = batch_refused();
    return out;
  }
  auto version = session_version(sid);
  if (!version) {
    out.status = 404;
    out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Session not found: initialize again");
    return out;
  }
  if (*version != kMcpBatchVersion) {
    out.body = batch_refused();
    return out;
  }
  Json replies = handle_batch(batch, *version, headers, &body, target, true);
  if (replies.is_array() && replies.empty()) {
    out.status = 202;  // only notifications and responses
    return out;
  }
  out.status = 200;
  out.body = std::move(replies);
  return out;
}

McpHttpResponse McpServer::handle_delete(const std::map<std::string, std::string>& headers) {
  McpHttpResponse out;
  if (auto denied = check_origin(headers)) return *denied;
  std::string sid = header(headers, "mcp-session-id");
  if (sid.empty()) {
    out.status = 400;
    out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
    return out;
  }
  std::lock_guard lock(mu_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    out.status = 404;
    out.body = rpc_error(nullptr, jsonrpc::kInvalidRequest, "Session not found");
    return out;
  }
  erase_locked(it);
  out.status = 204;
  return out;
}

}  // namespace anarq
