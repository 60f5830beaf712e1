#pragma once
// Plain request/response values passed between the Beast server (the only code
// that sees sockets) and the route handlers, so that routing, MCP and specs
// never include Boost. Values; no shared state.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace anarq {

struct HttpRequest {
  std::string method;  // upper case
  std::string target;  // exactly as sent: path and query
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
  std::string body;
  std::string remote_addr;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace anarq
