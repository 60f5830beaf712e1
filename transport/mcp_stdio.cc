#include "transport/mcp_stdio.h"

#include <istream>
#include <ostream>

#include "core/json.h"
#include "core/log.h"
#include "transport/mcp.h"

namespace anarq {

int serve_mcp_stdio(McpServer& server, std::istream& in, std::ostream& out, size_t max_line_bytes) {
  McpStdioState state;
  std::string line;
  for (;;) {
    line.clear();
    bool too_long = false;
    char c;
    bool got_any = false;
    while (in.get(c)) {
      got_any = true;
      if (c == '\n') break;
      if (line.size() < max_line_bytes) line.push_back(c);
      else too_long = true;
    }
    if (!got_any && !in) break;  // EOF
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (too_long) {
      out << dump_compact({{"jsonrpc", "2.0"},
                           {"error", {{"code", jsonrpc::kParseError},
                                      {"message", "message exceeds " + std::to_string(max_line_bytes) + " bytes"}}}})
          << '\n' << std::flush;
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!in) break;
      continue;
    }
    std::optional<Json> reply;
    try {
      reply = server.handle_stdio(line, state);
    } catch (const std::exception& e) {
      log::error("mcp stdio message failed", {{"error", e.what()}});
      reply = Json{{"jsonrpc", "2.0"}, {"error", {{"code", jsonrpc::kInternalError}, {"message", "internal error"}}}};
    }
    if (reply) out << dump_compact(*reply) << '\n' << std::flush;
    if (!in) break;
  }
  return 0;
}

}  // namespace anarq
