#pragma once
// Generated artifacts, derived from the tool registry with no hand-written
// twin: OpenAPI 3.1 (served at /openapi.json, committed per module as
// modules/<m>/openapi.yaml) and the per-module mcp.json. Pure functions.
#include <string>

#include "runtime/registry.h"

namespace anarq {

// module empty = every exposed tool plus the node's built-in routes.
// server_url: the `servers` entry (the node that serves the document); empty =
// the documented default, "http://{listen}" with listen = 127.0.0.1:8080 (what
// `anarq spec` and the committed modules/<m>/openapi.yaml carry).
// Security: identity and capability tools require the signed-request headers
// of docs/signing.md (apiKey schemes in header, all of them together); public
// operations take them optionally (`{}` or signed).
Json openapi_document(const ToolRegistry& registry, const std::string& module, const std::string& version,
                      const std::string& server_url = "");

// What GET /openapi.json serves: the whole document, serialised once; render()
// splices in the server URL of the request at hand. Immutable; thread-safe.
class ServedOpenApi {
 public:
  ServedOpenApi() = default;
  ServedOpenApi(const ToolRegistry& registry, const std::string& version);
  std::string render(const std::string& server_url) const;

 private:
  std::string head_, tail_;  // the JSON text around the server URL (a JSON string)
};

// The served document's server URL: `listen_url`, the address the node is
// bound to (http://HOST:PORT) — unless that is every interface (0.0.0.0,
// [::]), which no client can use: then the request's Host (the name the client
// reached this node by, when it is a plain host[:port]). "/" (this document's
// own origin, OpenAPI's relative server URL) when neither is known.
std::string openapi_server_url(const std::string& listen_url, const std::string& host_header);
Json mcp_manifest(const ToolRegistry& registry, const std::string& module, const std::string& version);
// Block-style YAML; every string double-quoted so nothing changes type.
std::string to_yaml(const Json& doc);
// Every error code of the wire standard, for the envelope schema.
Json error_code_names();

}  // namespace anarq
