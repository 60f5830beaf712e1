#pragma once
// Node: the wiring of one anarq process — config, state store, module host,
// pipeline, MCP server and HTTP API. Each CLI command builds one Node. Not
// copyable; start() once, then the pieces are shared read-only.
//
//   Node node(config);
//   if (auto s = node.start(); !s.ok()) die(s);
//   auto reply = node.call("node.info", Json::object());
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "pipeline/pipeline.h"
#include "runtime/host.h"
#include "bus/bus.h"
#include "crypto/ed25519.h"
#include "store/content.h"
#include "store/db.h"
#include "store/keystore.h"
#include "transport/http_api.h"
#include "transport/ipfs_http.h"
#include "transport/mcp.h"
#include "transport/sse.h"

namespace anarq {

class Node {
 public:
  // in_memory: state in a private in-memory database (spec generation, tools
  // listing) so that read-only commands never touch the data dir.
  explicit Node(Config config, bool in_memory = false, const Clock* clock = nullptr);
  ~Node();

  Status start();
  // Serves HTTP until SIGTERM/SIGINT or stop(); `on_ready` gets the bound URL.
  Status serve(const std::function<void(const std::string& url)>& on_ready);
  void stop();

  // An in-process call through the full pipeline (transport "cli"); fills the
  // envelope into `call`.
  Call call(const std::string& tool, const Json& input);
  // The same, acting as `as` instead of the operator (`anarq --as FILE call`).
  Call call_as(const std::string& tool, const Json& input, const IdentityRef& as);

  // True when start() made this node: a fresh data dir got its node key (and
  // so its DID) in this process. The CLI announces it.
  bool created() const { return created_; }
  const Config& config() const { return config_; }
  Pipeline& pipeline() { return *pipeline_; }
  ModuleHost& host() { return host_; }
  McpServer& mcp() { return *mcp_; }
  HttpApi& http_api() { return *http_api_; }
  Metrics& metrics() { return metrics_; }
  // Null for in-memory nodes (spec generation).
  ContentStore* content() { return content_.get(); }
  EventStreamHttp* events_http() { return events_http_.get(); }
  const std::string& peer_id() const { return peer_id_; }
  Db& db() { return *db_; }
  bus::Bus& bus() { return *bus_; }
  bus::SchemaRegistry& schemas() { return *schemas_; }
  Keystore& keystore() { return *keystore_; }
  // The node's did:key: local transports (CLI, MCP over stdio) act as it.
  const IdentityRef& operator_identity() const { return operator_; }

 private:
  Config config_;
  bool in_memory_;
  const Clock* clock_;
  Metrics metrics_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Keystore> keystore_;
  std::unique_ptr<crypto::Ed25519KeyPair> node_key_;
  bool new_node_key_ = false;
  bool created_ = false;
  std::string legacy_key_file_;
  Status load_node_key();
  Status store_new_node_key();
  IdentityRef operator_;
  std::unique_ptr<bus::SchemaRegistry> schemas_;
  std::unique_ptr<bus::Bus> bus_;
  std::unique_ptr<EventStreamHttp> events_http_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<IpfsHttp> ipfs_http_;
  std::string peer_id_;
  void set_node_gauges(Metrics& m);
  std::mutex gauges_mu_;
  int64_t content_stats_ms_ = 0;
  BlockstoreStats content_stats_;
  int64_t pin_count_ = 0;
  Status register_event_schemas();
  Status publish_tool_changes();
  ModuleHost host_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<McpServer> mcp_;
  std::unique_ptr<HttpApi> http_api_;
  struct ServerHolder;
  std::unique_ptr<ServerHolder> server_;
};

}  // namespace anarq
