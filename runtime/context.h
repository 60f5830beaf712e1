#pragma once
// Context: everything a handler may use for one call — who is calling, the
// request and trace ids, the clock, the state store and a client for calling
// other tools through the same pipeline. One Context per call; not shared
// between threads.
#include <map>
#include <optional>
#include <string>

#include "core/ids.h"
#include "core/status.h"

namespace anarq {

class Clock;
class Db;
class Client;
struct Tool;
struct Reply;

enum class Transport { kHttp, kMcp, kCli, kInProcess };
const char* transport_name(Transport t);

struct IdentityRef {
  std::string squid_id;
  std::string sub_id;
  std::string dao_id;
};

struct Context {
  std::string request_id;  // UUIDv7 unless the caller sent x-request-id
  TraceContext trace;
  Transport transport = Transport::kInProcess;
  std::optional<IdentityRef> identity;  // set by the authentication stage
  // Request headers (lower-case names) for stages that need them (signatures,
  // idempotency, consent tokens).
  std::map<std::string, std::string> headers;
  std::string remote_addr;
  // What a request signature covers, set by the HTTP transport: the method, the
  // target exactly as sent and the raw body (valid for the call's duration).
  std::string method;
  std::string target;
  const std::string* body = nullptr;
  const Clock* clock = nullptr;
  Db* db = nullptr;
  Client* client = nullptr;
  const Tool* tool = nullptr;  // the tool being called, set by the pipeline
  int depth = 0;               // nesting of in-process calls, bounded by the client

  // Calls another tool through the full pipeline as a child of this call.
  Result<Reply> call(const std::string& tool, const Json& input);
};

}  // namespace anarq
