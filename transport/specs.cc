#include "transport/specs.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <set>

#include "transport/mcp.h"
#include "transport/router.h"

namespace anarq {
namespace {

const char* kErrorRef = "#/components/schemas/ErrorEnvelope";
const char* kResponseRef = "#/components/responses/";
// Where ServedOpenApi splices in the server URL of each request.
const char* kServedUrlSlot = "anarq:served-server-url";

// The signed-request headers of docs/signing.md (standards.md section 3) as
// security schemes: OpenAPI has no scheme for a signature over the request, so
// each header is an apiKey in header, and a requirement names all of them — a
// signature is valid only with every header it covers.
Json security_schemes() {
  auto header = [](const char* name, const char* description) {
    return Json{{"type", "apiKey"}, {"in", "header"}, {"name", name}, {"description", description}};
  };
  return {
      {"x-squid-id", header("x-squid-id", "The root identity's did:key (Ed25519, did:key:z6Mk...). Signed requests: docs/signing.md.")},
      {"x-subid", header("x-subid", "The acting subidentity's did:key, when acting as one (a live subidentity of x-squid-id); "
                                    "its key signs. Absent when acting as the root.")},
      {"x-ts", header("x-ts", "Integer milliseconds since the Unix epoch, within 300 s of the node's clock.")},
      {"x-nonce", header("x-nonce", "16-64 characters of [A-Za-z0-9_-], never reused by the acting identity.")},
      {"x-sig", header("x-sig", "base64url (no padding) Ed25519 signature by the acting key over the canonical string: "
                                "the lines anarq-request-v1, the method in upper case, the request target exactly as sent, "
                                "x-ts, x-nonce, x-squid-id, x-subid (or empty) and the lower-case hex SHA-256 of the body, "
                                "joined by \\n (docs/signing.md).")}};
}

// Signed as the root, or as a subidentity (x-subid too).
Json signed_requirements() {
  Json root = {{"x-squid-id", Json::array()}, {"x-ts", Json::array()}, {"x-nonce", Json::array()}, {"x-sig", Json::array()}};
  Json sub = root;
  sub["x-subid"] = Json::array();
  return Json::array({root, sub});
}

// Identity and capability tools need a signature; public ones take one
// optionally ({} = anonymous): a signature sent is verified, and the signer is
// who the call acts as (squid.get shows its owner a private record).
Json security_for(Access access) {
  Json s = signed_requirements();
  if (access == Access::kPublic) s.insert(s.begin(), Json::object());
  return s;
}

Json servers_entry(const std::string& server_url) {
  if (!server_url.empty()) return Json::array({{{"url", server_url}, {"description", "this node"}}});
  return Json::array({{{"url", "http://{listen}"},
                       {"description", "an anarq node (anarq serve --listen HOST:PORT, or ANARQ_LISTEN)"},
                       {"variables", {{"listen", {{"default", "127.0.0.1:8080"}, {"description", "the node's HOST:PORT"}}}}}}});
}

// Every "#/components/responses/<name>" the document refers to.
void referenced_responses(const Json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        const std::string& ref = it->get_ref<const std::string&>();
        if (ref.rfind(kResponseRef, 0) == 0) out.insert(ref.substr(std::string(kResponseRef).size()));
      } else {
        referenced_responses(*it, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) referenced_responses(v, out);
  }
}

Json error_envelope_schema() {
  return {{"type", "object"},
          {"required", {"status", "code", "message", "timestamp", "requestId", "retryable"}},
          {"properties",
           {{"status", {{"const", "error"}}},
            {"code", {{"type", "string"}, {"description", "UPPER_SNAKE error code; modules add prefixed codes"},
                      {"examples", error_code_names()}}},
            {"message", {{"type", "string"}}},
            {"details", {{"description", "VALIDATION_ERROR: {violations:[{pointer, reason}]}"}}},
            {"timestamp", {{"type", "string"}, {"format", "date-time"}}},
            {"requestId", {{"type", "string"}}},
            {"retryable", {{"type", "boolean"}}},
            {"suggestedActions", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
}

Json success_schema(const Json& data) {
  return {{"type", "object"},
          {"required", {"status", "code", "message", "data"}},
          {"properties",
           {{"status", {{"const", "ok"}}},
            {"code", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"data", data},
            {"cid", {{"type", "string"}, {"description", "CID when the result is content-addressed"}}}}}};
}

Json error_response(const std::string& description) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", {{"$ref", kErrorRef}}}}}}}};
}

// The error responses every tool can give, and when.
Json tool_error_responses(const Tool& t) {
  Json r = Json::object();
  r["400"] = {{"$ref", "#/components/responses/ValidationError"}};
  r["401"] = {{"$ref", "#/components/responses/Unauthenticated"}};  // public tools too: a signature sent must verify
  if (t.access == Access::kCapability) r["403"] = {{"$ref", "#/components/responses/Forbidden"}};
  r["404"] = {{"$ref", "#/components/responses/NotFound"}};
  if (t.write) r["409"] = {{"$ref", "#/components/responses/Conflict"}};
  r["413"] = {{"$ref", "#/components/responses/PayloadTooLarge"}};
  if (t.write && t.idempotent) r["422"] = {{"$ref", "#/components/responses/Unprocessable"}};
  r["431"] = {{"$ref", "#/components/responses/HeadersTooLarge"}};
  r["429"] = {{"$ref", "#/components/responses/RateLimited"}};
  r["500"] = {{"$ref", "#/components/responses/InternalError"}};
  r["503"] = {{"$ref", "#/components/responses/Unavailable"}};
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json operation(const Tool& t) {
  Json op = {{"operationId", t.name},
             {"summary", t.title.empty() ? t.name : t.title},
             {"description", t.description},
             {"tags", {t.module}},
             {"x-anarq-access", access_name(t.access)},
             {"x-anarq-version", t.version},
             {"security", security_for(t.access)}};
  if (!t.ability.empty()) op["x-anarq-ability"] = t.ability;
  if (!t.emits.empty()) op["x-anarq-emits"] = t.emits;
  if (t.deprecation) {
    op["deprecated"] = true;
    op["x-anarq-deprecation"] = {{"since", t.deprecation->since},
                                 {"sunset", t.deprecation->sunset},
                                 {"replacement", t.deprecation->replacement}};
  }
  const Json props = t.input_schema.value("properties", Json::object());
  const Json required = t.input_schema.value("required", Json::array());
  auto is_required = [&](const std::string& n) {
    for (const auto& r : required)
      if (r == n) return true;
    return false;
  };
  Json params = Json::array();
  auto path_names = template_params(t.http.path);
  std::set<std::string> in_path(path_names.begin(), path_names.end());
  for (const auto& n : path_names)
    params.push_back({{"name", n}, {"in", "path"}, {"required", true},
                      {"schema", props.contains(n) ? props[n] : Json{{"type", "string"}}}});
  bool has_body = t.http.method == "POST" || t.http.method == "PUT" || t.http.method == "PATCH";
  if (!has_body) {
    for (auto it = props.begin(); it != props.end(); ++it) {
      if (in_path.count(it.key())) continue;
      Json p = {{"name", it.key()}, {"in", "query"}, {"required", is_required(it.key())}, {"schema", it.value()}};
      if (it.value().is_object() && it.value().contains("description")) p["description"] = it.value()["description"];
      params.push_back(p);
    }
  }
  if (t.write && t.idempotent)
    params.push_back({{"name", "Idempotency-Key"}, {"in", "header"}, {"required", false},
                      {"schema", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}});
  if (!params.empty()) op["parameters"] = params;
  if (has_body) {
    Json body = t.input_schema;
    if (body.contains("properties"))
      for (const auto& n : path_names) body["properties"].erase(n);
    if (body.contains("required")) {
      Json req = Json::array();
      for (const auto& r : body["required"])
        if (!in_path.count(r.get<std::string>())) req.push_back(r);
      body["required"] = req;
    }
    op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", body}}}}}};
  }
  Json responses = {{"200", {{"description", t.success_message},
                             {"content", {{"application/json", {{"schema", success_schema(t.output_schema)}}}}}}}};
  responses.update(tool_error_responses(t));
  op["responses"] = responses;
  return op;
}

Json builtin_paths() {
  const Json health_schema = R"({
    "type": "object",
    "required": ["status", "version", "uptime", "dependencies", "metrics"],
    "properties": {
      "status": {"enum": ["healthy", "degraded", "unhealthy"]},
      "version": {"type": "string"},
      "uptime": {"type": "integer", "description": "seconds"},
      "dependencies": {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "status": {"enum": ["up", "down", "degraded"]},
        "latency": {"type": "number", "description": "ms"},
        "lastCheck": {"type": "string", "format": "date-time"}}}},
      "metrics": {"type": "object", "properties": {
        "requestCount": {"type": "integer"},
        "errorRate": {"type": "number", "description": "share of requests answered 5xx"},
        "clientErrorRate": {"type": "number", "description": "share of requests answered 4xx"},
        "avgResponseTime": {"type": "number", "description": "ms"}}}
    }
  })"_json;
  return {
      {"/health", {{"get", {{"operationId", "health"}, {"summary", "Liveness and dependency health"}, {"tags", {"node"}},
                            {"responses", {{"200", {{"description", "healthy or degraded"},
                                                    {"content", {{"application/json", {{"schema", health_schema}}}}}}},
                                           {"503", {{"description", "unhealthy"},
                                                    {"content", {{"application/json", {{"schema", health_schema}}}}}}}}}}}}},
      {"/metrics", {{"get", {{"operationId", "metrics"}, {"summary", "Prometheus text exposition"}, {"tags", {"node"}},
                             {"responses", {{"200", {{"description", "metrics", },
                                                     {"content", {{"text/plain; version=0.0.4", {{"schema", {{"type", "string"}}}}}}}}}}}}}}},
      {"/events/stream",
       {{"get",
         {{"operationId", "eventStream"},
          {"summary", "Server-Sent Events of the event log (id = stream sequence; Last-Event-ID resumes)"},
          {"tags", {"events"}},
          {"parameters",
           {{{"name", "subject"}, {"in", "query"}, {"schema", {{"type", "string"}, {"default", ">"}}},
             {"description", "NATS subject pattern"}},
            {{"name", "after"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
             {"description", "start after this sequence (default: only new events)"}},
            {{"name", "since"}, {"in", "query"}, {"schema", {{"type", "string"}, {"format", "date-time"}}},
             {"description", "start at the first event at or after this time"}},
            {{"name", "accept"}, {"in", "query"}, {"schema", {{"type", "string"}}},
             {"description", "comma list of accepted topic versions; older ones are upcast"}},
            {{"name", "Last-Event-ID"}, {"in", "header"}, {"schema", {{"type", "string"}}},
             {"description", "resume after this sequence (wins over the query)"}}}},
          {"responses", {{"200", {{"description", "text/event-stream"},
                                  {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}}},
                         {"400", {{"description", "bad subject, sequence or time"}}}}}}}}},
      {"/openapi.json", {{"get", {{"operationId", "openapi"}, {"summary", "This document"}, {"tags", {"node"}},
                                  {"responses", {{"200", {{"description", "OpenAPI 3.1"}}}}}}}}},
      {"/mcp", {{"post", {{"operationId", "mcp"}, {"summary", "MCP Streamable HTTP endpoint (JSON-RPC 2.0)"}, {"tags", {"node"}},
                          {"requestBody", {{"required", true}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
                          {"responses", {{"200", {{"description", "JSON-RPC response"}}},
                                         {"202", {{"description", "notification accepted"}}},
                                         {"400", {{"description", "malformed message or header mismatch"}}},
                                         {"403", {{"description", "foreign Origin or Host"}}},
                                         {"404", {{"description", "unknown session or method"}}}}}}},
                {"delete", {{"operationId", "mcpEndSession"}, {"summary", "End an MCP session"}, {"tags", {"node"}},
                            {"responses", {{"204", {{"description", "ended"}}}, {"404", {{"description", "unknown session"}}}}}}}}}};
}

void emit(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        out << YAML::Key << YAML::DoubleQuoted << it.key() << YAML::Value;
        emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& v : j) emit(out, v);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: out << YAML::DoubleQuoted << j.get<std::string>(); break;
    case Json::value_t::boolean: out << (j.get<bool>() ? "true" : "false"); break;
    case Json::value_t::null: out << YAML::Null; break;
    default: out << j.dump(); break;  // numbers: JSON spelling is valid YAML
  }
}

}  // namespace

Json error_code_names() {
  Json names = Json::array();
  static constexpr ErrorCode kAll[] = {
      ErrorCode::kValidationError, ErrorCode::kSquidIdentityInvalid, ErrorCode::kSignatureInvalid, ErrorCode::kQlockAuthFail,
      ErrorCode::kInsufficientFunds, ErrorCode::kQonsentDenied, ErrorCode::kQerbSuspect, ErrorCode::kNotFound,
      ErrorCode::kQindexNotFound, ErrorCode::kMethodNotAllowed, ErrorCode::kVersionConflict, ErrorCode::kIdempotencyKeyInUse,
      ErrorCode::kPayloadTooLarge, ErrorCode::kHeadersTooLarge, ErrorCode::kIdempotencyKeyReused,
      ErrorCode::kQmaskPolicyViolation, ErrorCode::kDependencyMissing, ErrorCode::kRateLimitExceeded,
      ErrorCode::kBudgetExceeded, ErrorCode::kInternalError, ErrorCode::kServiceUnavailable, ErrorCode::kIpfsUnavailable,
      ErrorCode::kCircuitBreakerOpen, ErrorCode::kTimeoutError, ErrorCode::kQdriveStorageFull};
  for (ErrorCode c : kAll) names.push_back(std::string(info(c).name));
  return names;
}

Json openapi_document(const ToolRegistry& registry, const std::string& module, const std::string& version,
                      const std::string& server_url) {
  Json paths = module.empty() ? builtin_paths() : Json::object();
  // The built-in routes are public; POST /mcp carries a tools/call's signature.
  // Like every request, theirs can have a head over 16 KiB.
  for (auto& item : paths)
    for (auto& op : item) {
      op["security"] = Json::array({Json::object()});
      op["responses"]["431"] = {{"$ref", "#/components/responses/HeadersTooLarge"}};
    }
  if (paths.contains("/mcp")) paths["/mcp"]["post"]["security"] = security_for(Access::kPublic);
  std::set<std::string> tags;
  for (const Tool* t : registry.list(true)) {
    if (!module.empty() && t->module != module) continue;
    paths[t->http.path][lower(t->http.method)] = operation(*t);
    tags.insert(t->module);
  }
  if (module.empty()) tags.insert("node");
  Json tag_list = Json::array();
  for (const auto& tag : tags)
    tag_list.push_back({{"name", tag},
                        {"description", tag == "node" && module.empty()
                                            ? std::string("The node itself and its built-in routes (health, metrics, this "
                                                          "document, MCP); modules/node/README.md.")
                                            : "The " + tag + " module's tools; modules/" + tag + "/README.md."}});
  auto resp = [](const char* d) { return error_response(d); };
  Json doc = {
      {"openapi", "3.1.0"},
      {"info", {{"title", module.empty() ? std::string("anarq") : "anarq " + module},
                {"version", version},
                {"description", "Generated from the anarq tool registry. Every response uses the standard envelope; "
                                "operationId is the tool name."}}},
      {"servers", servers_entry(server_url)},
      {"tags", tag_list},
      {"paths", paths},
      {"components",
       {{"schemas", {{"ErrorEnvelope", error_envelope_schema()}}},
        {"responses",
         {{"ValidationError", resp("VALIDATION_ERROR: malformed JSON or input that breaks the schema; details.violations lists each JSON pointer")},
          {"Unauthenticated", resp("SQUID_IDENTITY_INVALID or SIGNATURE_INVALID: an identity tool called unsigned, or "
                                   "signature headers that do not verify (docs/signing.md)")},
          {"Forbidden", resp("QONSENT_DENIED: no capability for this resource")},
          {"NotFound", resp("NOT_FOUND: unknown route or resource")},
          {"Conflict", resp("VERSION_CONFLICT or IDEMPOTENCY_KEY_IN_USE")},
          {"PayloadTooLarge", resp("PAYLOAD_TOO_LARGE: body above the configured limit (default 16 MiB)")},
          {"Unprocessable", resp("IDEMPOTENCY_KEY_REUSED: same key, different request")},
          {"HeadersTooLarge", resp("REQUEST_HEADER_FIELDS_TOO_LARGE: headers above 16 KiB")},
          {"RateLimited", resp("RATE_LIMIT_EXCEEDED: retry after Retry-After seconds")},
          {"InternalError", resp("INTERNAL_ERROR: a fault of the node; the requestId is logged")},
          {"Unavailable", resp("SERVICE_UNAVAILABLE: a dependency is down or the node is draining")}}},
        {"securitySchemes", security_schemes()}}}};
  // Only the responses this document uses (a module's tools need fewer).
  std::set<std::string> used;
  referenced_responses(doc["paths"], used);
  Json& responses = doc["components"]["responses"];
  for (auto it = responses.begin(); it != responses.end();) it = used.count(it.key()) ? std::next(it) : responses.erase(it);
  return doc;
}

ServedOpenApi::ServedOpenApi(const ToolRegistry& registry, const std::string& version) {
  std::string text = openapi_document(registry, "", version, kServedUrlSlot).dump(2);
  std::string slot = Json(kServedUrlSlot).dump();
  size_t at = text.find(slot);
  assert(at != std::string::npos && text.find(slot, at + 1) == std::string::npos);
  head_ = text.substr(0, at);
  tail_ = text.substr(at + slot.size());
}

std::string ServedOpenApi::render(const std::string& server_url) const {
  return head_ + Json(server_url).dump() + tail_;
}

namespace {

// host[:port]: a DNS name or IPv4 address, or [IPv6]; nothing else can be
// where a client reached us.
bool plain_authority(const std::string& a) {
  if (a.empty() || a.size() > 255) return false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  if (a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string::npos || close < 3) return false;
    for (i = 1; i < close; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(a[i])) && a[i] != ':' && a[i] != '.') return false;
    i = close + 1;
  } else {
    while (i < a.size() && (std::isalnum(static_cast<unsigned char>(a[i])) || a[i] == '-' || a[i] == '.')) ++i;
    if (i == 0) return false;
  }
  if (i == a.size()) return true;
  if (a[i] != ':' || a.size() - i - 1 < 1 || a.size() - i - 1 > 5) return false;
  return std::all_of(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end(), digit);
}

}  // namespace

std::string openapi_server_url(const std::string& listen_url, const std::string& host_header) {
  std::string authority = listen_url.rfind("http://", 0) == 0 ? listen_url.substr(7) : listen_url;
  bool every_interface = authority.rfind("0.0.0.0:", 0) == 0 || authority.rfind("[::]:", 0) == 0;
  if (!listen_url.empty() && !every_interface) return listen_url;
  if (plain_authority(host_header)) {
    std::string host = host_header;
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "http://" + host;
  }
  return "/";
}

Json mcp_manifest(const ToolRegistry& registry, const std::string& module, const std::string& version) {
  Json tools = Json::array();
  for (const Tool* t : registry.list(true))
    if (module.empty() || t->module == module) tools.push_back(mcp_tool_descriptor(*t, mcp_session_versions().front()));
  return {{"name", module.empty() ? std::string("anarq") : module},
          {"version", version},
          {"description", "MCP tools of " + (module.empty() ? std::string("the anarq node") : "module " + module) +
                              ", served by `anarq mcp` (stdio) and POST /mcp"},
          {"protocolVersions", mcp_all_versions()},
          {"tools", tools}};
}

std::string to_yaml(const Json& doc) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, doc);
  return std::string(out.c_str()) + "\n";
}

}  // namespace anarq
