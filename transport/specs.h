#pragma once
// Generated artifacts, derived from the tool registry with no hand-written
// twin: OpenAPI 3.1 (served at /openapi.json, committed per module as
// modules/<m>/openapi.yaml) and the per-module mcp.json. Pure functions.
#include <string>

#include "runtime/registry.h"

namespace anarq {

// module empty = every exposed tool plus the node's built-in routes.
Json openapi_document(const ToolRegistry& registry, const std::string& module, const std::string& version);
Json mcp_manifest(const ToolRegistry& registry, const std::string& module, const std::string& version);
// Block-style YAML; every string double-quoted so nothing changes type.
std::string to_yaml(const Json& doc);
// Every error code of the wire standard, for the envelope schema.
Json error_code_names();

}  // namespace anarq
