#include "app/node.h"

#include <filesystem>
#include <mutex>

#include "core/json.h"
#include "core/log.h"
#include "crypto/node_key.h"
#include "ipld/multibase.h"
#include "transport/http_server.h"

#ifndef ANARQ_GIT_REV
#define ANARQ_GIT_REV "unknown"
#endif

namespace anarq {

struct Node::ServerHolder {
  std::mutex mu;
  std::unique_ptr<HttpServer> server;
};

Node::Node(Config config, bool in_memory, const Clock* clock)
    : config_(std::move(config)), in_memory_(in_memory), clock_(clock ? clock : &SystemClock::instance()),
      server_(std::make_unique<ServerHolder>()) {}

Node::~Node() { host_.stop(); }

Status Node::start() {
  ANARQ_RETURN_IF_ERROR(config_.validate());
  std::string db_path = ":memory:";
  if (!in_memory_) {
    std::error_code ec;
    bool created = std::filesystem::create_directories(config_.data_dir, ec);
    if (ec) return Status::unavailable("cannot create data dir " + config_.data_dir + ": " + ec.message());
    // A directory we create holds keys and state: owner only. An existing one
    // keeps the permissions its operator chose.
    if (created)
      std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    db_path = (std::filesystem::path(config_.data_dir) / "state.db").string();
  }
  auto db = open_sqlite(db_path);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  if (!in_memory_) {
    auto key = crypto::load_or_create_node_key(config_.data_dir);
    if (!key.ok()) return key.status();
    peer_id_ = crypto::libp2p_peer_id(key->public_key());
    auto content = ContentStore::open(config_.data_dir, *db_, *clock_);
    if (!content.ok()) return content.status();
    content_ = std::move(*content);
    IpfsHttpOptions o;
    o.rpc_allow_remote = config_.kubo_rpc_remote;
    o.version = ANARQ_VERSION;
    o.git_rev = ANARQ_GIT_REV;
    o.peer_id = peer_id_;
    o.public_key_b64 = ipld::base64_encode(crypto::libp2p_public_key_proto(key->public_key()), /*url=*/false);
    ipfs_http_ = std::make_unique<IpfsHttp>(*content_, std::move(o));
  }
  ModuleEnv env;
  env.config = &config_;
  env.clock = clock_;
  env.db = db_.get();
  env.content = content_.get();
  ANARQ_RETURN_IF_ERROR(host_.start(config_.modules, env));
  pipeline_ = std::make_unique<Pipeline>(host_.registry(), metrics_, *clock_, db_.get());
  ANARQ_RETURN_IF_ERROR(add_default_stages(*pipeline_));
  mcp_ = std::make_unique<McpServer>(*pipeline_, host_, config_);
  auto api = HttpApi::create(*pipeline_, host_, *mcp_, *db_, ipfs_http_.get());
  if (!api.ok()) return api.status();
  http_api_ = std::move(*api);
  return {};
}

Status Node::serve(const std::function<void(const std::string&)>& on_ready) {
  auto hp = parse_host_port(config_.listen);
  if (!hp.ok()) return hp.status();
  HttpServerOptions o;
  o.host = hp->host;
  o.port = hp->port;
  o.threads = config_.threads;
  o.max_body_bytes = config_.max_body_bytes;
  o.max_header_bytes = config_.max_header_bytes;
  o.read_timeout_ms = config_.read_timeout_ms;
  o.idle_timeout_ms = config_.idle_timeout_ms;
  o.drain_timeout_ms = config_.drain_timeout_ms;
  o.max_connections = config_.max_connections;
  HttpApi* api = http_api_.get();
  auto server = std::make_unique<HttpServer>(
      o, [api](HttpRequest& r) { return api->handle(r); },
      [api](int status, const std::string& why) { return api->transport_error(status, why); });
  auto port = server->listen();
  if (!port.ok()) return port.status();
  HttpServer* raw = server.get();
  {
    std::lock_guard lock(server_->mu);
    server_->server = std::move(server);
  }
  std::string host = hp->host.find(':') != std::string::npos ? "[" + hp->host + "]" : hp->host;
  std::string url = "http://" + host + ":" + std::to_string(*port);
  log::info("listening", {{"url", url}, {"modules", config_.modules}});
  on_ready(url);
  raw->run();
  log::info("stopped");
  return {};
}

void Node::stop() {
  std::lock_guard lock(server_->mu);
  if (server_->server) server_->server->stop();
}

Call Node::call(const std::string& tool, const Json& input) {
  Call c;
  c.tool_name = tool;
  c.input = input;
  c.request_bytes = dump_compact(input).size();
  c.ctx = pipeline_->new_context(Transport::kCli);
  (void)pipeline_->execute(c);
  return c;
}

}  // namespace anarq
