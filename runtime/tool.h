#pragma once
// Tool: one declaration per operation, served by every transport (HTTP routes,
// MCP tools/list + tools/call, CLI `anarq call`, in-process calls) and the
// source of every generated artifact (OpenAPI, mcp.json). See
// ../shared/ARCHITECTURE.md section 1. A Tool is immutable once registered and
// its handler must be safe to call from several threads at once.
//
//   Tool t;
//   t.name = "node.info";  t.version = "1.0.0";
//   t.description = "Version, running modules and uptime of this node.";
//   t.input_schema = R"({"type":"object","additionalProperties":false})"_json;
//   t.output_schema = ...;
//   t.http = {"GET", "/node/v1/info"};
//   t.access = Access::kPublic;  t.read_only = true;
//   t.handler = [this](Context& ctx, const Json& in) -> Result<Reply> { return Json{...}; };
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "runtime/context.h"

namespace anarq {

enum class Access {
  kPublic,      // anyone, unsigned
  kIdentity,    // a signed sQuid request
  kCapability,  // identity + a Qonsent ability on a resource derived from the input
};
const char* access_name(Access a);

struct HttpBinding {
  std::string method;  // GET POST PUT PATCH DELETE
  std::string path;    // template: /qindex/v1/records/{key}
};

struct Deprecation {
  std::string since;        // RFC 3339 date
  std::string sunset;       // RFC 3339 date; the tool is removed after it
  std::string replacement;  // tool name
};

// What a handler returns on success; the pipeline wraps it in the envelope.
struct Reply {
  Reply() = default;
  Reply(Json d) : data(std::move(d)) {}  // NOLINT: a bare Json is the common case
  Reply(Json d, std::string c, std::string m) : data(std::move(d)), code(std::move(c)), message(std::move(m)) {}

  Json data;
  std::string code;     // UPPER_SNAKE; empty = the tool's success_code
  std::string message;  // empty = the tool's success_message
  std::string cid;      // set when the result is content-addressed
};

using Handler = std::function<Result<Reply>(Context&, const Json& input)>;

struct Tool {
  std::string name;         // <module>.<verb>, e.g. qindex.put
  std::string version = "1.0.0";
  std::string title;        // short human title (MCP `title`)
  std::string description;  // one sentence
  Json input_schema;        // JSON Schema draft-07, type object
  Json output_schema;       // JSON Schema draft-07 of Reply::data
  HttpBinding http;
  Access access = Access::kIdentity;  // deny by default: public must be chosen
  std::string ability;                // for kCapability: <module>/<action>
  // What the tool does, from which the MCP annotations are derived (a test
  // checks every tool): exactly one of read_only and write; destructive: the
  // write deletes, revokes or overwrites something for good; idempotent: a
  // repeat of the same call has no further effect (reads always are).
  bool read_only = false;
  bool write = false;
  bool destructive = false;
  bool idempotent = false;
  bool may_block = false;   // may wait (qlock.lock waitMs): HTTP runs it off the I/O threads
  std::vector<std::string> emits;
  std::string rate_class = "default";
  int cost = 1;
  std::optional<Deprecation> deprecation;
  std::string success_code = "SUCCESS";
  std::string success_message = "ok";
  Handler handler;

  std::string module;  // filled in by the registry from the owning module
};

}  // namespace anarq
