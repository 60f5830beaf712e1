#pragma once
// MCP server: JSON-RPC 2.0 over stdio and Streamable HTTP, serving every exposed
// tool through the same pipeline as HTTP. Protocol revisions:
//   2025-03-26              as below, without outputSchema/structuredContent/title;
//                           JSON-RPC batches; MCP-Protocol-Version header optional
//   2025-06-18, 2025-11-25  initialize/initialized, ping, tools/list, tools/call,
//                           Mcp-Session-Id sessions, MCP-Protocol-Version header
//   2026-07-28              stateless: version and client capabilities in each
//                           request's _meta, server/discover, Mcp-Method/Mcp-Name
//                           headers checked against the body (-32020), resultType,
//                           ttlMs/cacheScope on lists
// A request whose _meta names a protocol version is served statelessly; an
// initialize selects the session revisions (dual-era server).
//
// A tool error is a result with isError: true and text content ("CODE: message",
// then the error envelope as JSON), never structuredContent: clients check
// structuredContent against the tool's outputSchema, which describes success.
//
// Thread-safety: handle_* may be called from many threads; sessions are
// guarded by a mutex and bounded in number, per source and in idle time.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "runtime/context.h"
#include "core/status.h"

namespace anarq {

class Pipeline;
class ModuleHost;
class Clock;

inline constexpr const char* kMcpModernVersion = "2026-07-28";
// The oldest revision served: JSON-RPC batches, no structured tool output.
inline constexpr const char* kMcpBatchVersion = "2025-03-26";
// Newest first; initialize counter-offers the first when asked for another.
const std::vector<std::string>& mcp_session_versions();
const std::vector<std::string>& mcp_all_versions();

struct Tool;
// A tool as MCP tools/list describes it under a given revision.
Json mcp_tool_descriptor(const Tool& tool, const std::string& version);
// readOnlyHint, destructiveHint, idempotentHint, openWorldHint and title.
Json mcp_tool_annotations(const Tool& tool);
// The source a peer address's sessions count against: an IPv4 address, or an
// IPv6 /64 ("2001:0db8:0000:0001::/64"); anything else as given.
std::string mcp_session_source(const std::string& peer);

struct McpHttpResponse {
  int status = 200;
  std::optional<Json> body;  // none = empty body (202)
  std::vector<std::pair<std::string, std::string>> headers;
};

struct McpStdioState {
  std::string version;  // negotiated by initialize; empty before
};

class McpServer {
 public:
  McpServer(Pipeline& pipeline, const ModuleHost& host, const Config& config);
  ~McpServer();

  // One stdio message in; the reply line, if any (none for notifications).
  std::optional<Json> handle_stdio(const std::string& line, McpStdioState& state);

  // POST /mcp. headers have lower-case names.
  // target: the request target as sent (signed requests cover it and the body).
  // peer: the caller's address; sessions are bounded per peer (kMaxSessionsPerSource).
  McpHttpResponse handle_post(const std::string& body, const std::map<std::string, std::string>& headers,
                              const std::string& target = "/mcp", const std::string& peer = "");
  // DELETE /mcp: ends a session.
  McpHttpResponse handle_delete(const std::map<std::string, std::string>& headers);
  // Origin/Host checks against DNS rebinding; nullopt when the request may pass.
  std::optional<McpHttpResponse> check_origin(const std::map<std::string, std::string>& headers) const;

  size_t session_count() const;

  // stdio is the operator's own pipe (the process holds the data dir, hence
  // the node key): its calls act as this identity. HTTP calls never do.
  void set_stdio_identity(IdentityRef identity) { stdio_identity_ = std::move(identity); }

  // Limits. A source (mcp_session_source of the peer) over its share loses its
  // own least recently used session; when the table is full, the sources
  // holding the most sessions lose their least recently used one. So no
  // source pushes out the session of a source holding fewer.
  static constexpr size_t kMaxSessions = 10'000;
  static constexpr size_t kMaxSessionsPerSource = 64;
  static constexpr int64_t kSessionIdleMs = 60 * 60 * 1000;
  static constexpr size_t kToolsPageSize = 100;
  static constexpr size_t kMaxBatch = 100;  // messages in one 2025-03-26 JSON-RPC batch

 private:
  struct Dispatch;  // one request being served
  Json handle_request(Dispatch& d);
  Json tools_list(Dispatch& d);
  Json tools_call(Dispatch& d);
  Json initialize(Dispatch& d);
  Json discover(Dispatch& d);
  Json server_info() const;
  Json handle_batch(const Json& batch, const std::string& version, const std::map<std::string, std::string>& headers,
                    const std::string* raw_body, const std::string& target, bool http);
  std::string new_session(const std::string& version, const std::string& source);
  std::optional<std::string> session_version(const std::string& id);
  McpHttpResponse handle_post_batch(const Json& batch, const std::string& body,
                                    const std::map<std::string, std::string>& headers, const std::string& target);
  void evict_lru_locked(const std::string& source);

  Pipeline& pipeline_;
  const ModuleHost& host_;
  const Config& config_;
  bool loopback_;
  struct Session {
    std::string version;
    int64_t last_used_ms;
    std::string source;
  };
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, size_t> per_source_;  // source -> sessions held
  std::map<std::string, Session>::iterator erase_locked(std::map<std::string, Session>::iterator it);
  std::optional<IdentityRef> stdio_identity_;
};

// JSON-RPC error codes used here.
namespace jsonrpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedVersion = -32022;
}  // namespace jsonrpc

}  // namespace anarq
