#pragma once
// The node's content over HTTP for existing IPFS clients:
//   - a Kubo RPC subset under /api/v0/ (add, cat, block/get|put|stat,
//     pin/add|rm|ls, dag/export|import, repo/gc, id, version) with Kubo's wire
//     shapes (NDJSON for add, {"Pins":[...]}, {"Key","Size"}, ...). It is an
//     admin surface: callers must come from loopback unless configured.
//   - the trustless gateway: GET/HEAD /ipfs/{cid} with ?format=raw|car or
//     Accept: application/vnd.ipld.raw|car, dag-scope, and plain UnixFS file
//     bytes with Range support.
// Errors use the standard envelope, plus Kubo's Message/Code/Type fields under
// /api/v0 so Kubo clients show them. Thread-safe.
#include <string>

#include "transport/http_types.h"

namespace anarq {

class ContentStore;

struct IpfsHttpOptions {
  bool rpc_allow_remote = false;  // serve /api/v0 to non-loopback callers
  std::string version;            // reported by /api/v0/version and id
  std::string git_rev;
  std::string peer_id;            // libp2p id of the node key
  std::string public_key_b64;     // protobuf PublicKey, base64 (std)
};

class IpfsHttp {
 public:
  IpfsHttp(ContentStore& content, IpfsHttpOptions options) : content_(content), options_(std::move(options)) {}
  // True when the path belongs here (/api/v0/..., /ipfs/...).
  static bool owns(const std::string& path);
  // A bounded metrics label for a path this surface owns ("/api/v0/add", "/ipfs/{cid}").
  static std::string route_label(const std::string& path);
  HttpResponse handle(HttpRequest& request, const std::string& path, const std::string& query,
                      const std::string& request_id);

 private:
  HttpResponse rpc(HttpRequest& req, const std::string& cmd, const std::string& query, const std::string& rid);
  HttpResponse gateway(HttpRequest& req, const std::string& path, const std::string& query, const std::string& rid);

  ContentStore& content_;
  IpfsHttpOptions options_;
};

}  // namespace anarq
