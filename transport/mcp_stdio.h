#pragma once
// MCP over stdio: newline-delimited JSON-RPC on stdin/stdout; logs go to stderr
// only. Returns when stdin closes (the client's way of ending the session).
#include <iosfwd>

namespace anarq {

class McpServer;

// Lines longer than max_line_bytes are answered with a parse error and skipped.
int serve_mcp_stdio(McpServer& server, std::istream& in, std::ostream& out, size_t max_line_bytes);

}  // namespace anarq
