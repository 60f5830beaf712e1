#include "app/node.h"

#include <filesystem>
#include <map>
#include <mutex>

#include "core/json.h"
#include "core/log.h"
#include "crypto/node_key.h"
#include "pipeline/authenticate.h"
#include "ipld/cid.h"
#include "ipld/multibase.h"
#include "ipld/multicodec.h"
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

Node::~Node() {
  if (bus_) bus_->stop();
  host_.stop();
}

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
  KeystoreOptions ko;
  ko.environment = config_.environment;
  ko.master_key_b64 = config_.master_key;
  if (!in_memory_) ko.data_dir = config_.data_dir;  // in memory: an ephemeral master key
  auto ks = Keystore::open(*db_, *clock_, std::move(ko));
  if (!ks.ok()) return ks.status();
  keystore_ = std::move(*ks);
  ANARQ_RETURN_IF_ERROR(load_node_key());
  auto retention = bus::parse_retention(config_.events_retention);
  if (!retention.ok()) return Status::validation("ANARQ_EVENTS_RETENTION: " + retention.status().message());
  ANARQ_RETURN_IF_ERROR(db_->migrate("bus", bus::Bus::migrations()));
  ANARQ_RETURN_IF_ERROR(db_->migrate("bus_registry", bus::SchemaRegistry::migrations()));
  schemas_ = std::make_unique<bus::SchemaRegistry>(*db_, *clock_);
  bus::BusOptions bus_options;
  bus_options.retention = std::move(*retention);
  bus_ = std::make_unique<bus::Bus>(*db_, *clock_, *node_key_, *schemas_, std::move(bus_options));
  ANARQ_RETURN_IF_ERROR(register_event_schemas());
  ANARQ_RETURN_IF_ERROR(store_new_node_key());
  if (!in_memory_) {
    const crypto::Ed25519KeyPair* key = node_key_.get();
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
  env.bus = bus_.get();
  env.schemas = schemas_.get();
  env.keystore = keystore_.get();
  env.node_did = operator_.squid_id;
  ANARQ_RETURN_IF_ERROR(host_.start(config_.modules, env));
  if (!in_memory_) {
    ANARQ_RETURN_IF_ERROR(publish_tool_changes());
    ANARQ_RETURN_IF_ERROR(bus_->start());
  }
  pipeline_ = std::make_unique<Pipeline>(host_.registry(), metrics_, *clock_, db_.get());
  // x-subid: asked of the sQuid module through its tool, as the operator (who
  // sees every record, deleted ones included), on each request that names one.
  ANARQ_RETURN_IF_ERROR(add_default_stages(*pipeline_, [this](const std::string& root, const std::string& sub) -> Result<bool> {
    if (!host_.registry().find("squid.get")) return false;
    Call c = call("squid.get", {{"squidId", sub}});
    if (c.http_status == 404) return false;
    if (c.http_status != 200) return Status::unavailable("the sQuid directory did not answer: " + c.envelope.value("message", ""));
    const Json& id = c.envelope["data"]["identity"];
    return id.value("rootId", "") == root && id.value("squidId", "") != root && id.value("status", "") == "ACTIVE";
  }, [this](const std::string& did) -> Result<bool> {
    if (did == operator_.squid_id) return true;
    if (!host_.registry().find("squid.get")) return false;
    Call c = call("squid.get", {{"squidId", did}});
    if (c.http_status == 404) return false;
    if (c.http_status != 200) return Status::unavailable("the sQuid directory did not answer: " + c.envelope.value("message", ""));
    return c.envelope["data"]["identity"].value("status", "") == "ACTIVE";
  }));
  mcp_ = std::make_unique<McpServer>(*pipeline_, host_, config_);
  mcp_->set_stdio_identity(operator_);
  events_http_ = std::make_unique<EventStreamHttp>(*bus_);
  auto api = HttpApi::create(*pipeline_, host_, *mcp_, *db_, ipfs_http_.get(), events_http_.get());
  if (!api.ok()) return api.status();
  http_api_ = std::move(*api);
  http_api_->set_origin_policy(OriginPolicy(config_.listen, config_.allowed_origins));
  http_api_->set_gauges([this](Metrics& m) { set_node_gauges(m); });
  return {};
}

// What /metrics shows of the node's state. Content totals walk the blockstore
// (a stat per block), so they are refreshed at most every 30 s.
void Node::set_node_gauges(Metrics& m) {
  if (content_) {
    int64_t now = clock_->now_ms();
    std::lock_guard lock(gauges_mu_);
    if (content_stats_ms_ == 0 || now - content_stats_ms_ >= 30'000) {
      if (auto s = content_->blocks().stats(); s.ok()) content_stats_ = *s;
      if (auto p = content_->pins().count(); p.ok()) pin_count_ = *p;
      content_stats_ms_ = now;
    }
    m.set("anarq_blocks_stored", "Blocks in the blockstore (refreshed every 30 s at most).", {},
          static_cast<double>(content_stats_.blocks));
    m.set("anarq_block_bytes_stored", "Bytes of blocks in the blockstore (refreshed every 30 s at most).", {},
          static_cast<double>(content_stats_.bytes));
    m.set("anarq_pins", "Live pins of every resource type (refreshed every 30 s at most).", {},
          static_cast<double>(pin_count_));
  }
  if (!bus_) return;
  if (auto size = bus_->log().size(); size.ok()) {
    m.set("anarq_event_log_events", "Events retained in the durable log.", {}, static_cast<double>(size->first));
    m.set("anarq_event_log_bytes", "Envelope bytes retained in the durable log.", {}, static_cast<double>(size->second));
  }
  auto last = bus_->log().last_seq();
  auto consumers = bus_->consumers().list();
  if (last.ok() && consumers.ok()) {
    m.set("anarq_event_consumers", "Durable consumers.", {}, static_cast<double>(consumers->size()));
    for (const auto& c : *consumers) {
      // An upper bound on what the consumer has not settled: events after its
      // ack floor, matching its subject or not (JetStream's num_pending counts only matches).
      m.set("anarq_event_consumer_lag", "Log events after a durable consumer's ack floor.", {{"consumer", c.config.name}},
            static_cast<double>(std::max<int64_t>(0, *last - c.ack_floor)));
      m.set("anarq_event_consumer_pending", "Messages delivered to a durable consumer and not acknowledged.",
            {{"consumer", c.config.name}}, static_cast<double>(c.pending));
    }
  }
}

Status Node::serve(const std::function<void(const std::string&)>& on_ready) {
  auto hp = parse_host_port(config_.listen);
  if (!hp.ok()) return hp.status();
  // Retention once before serving; the bus's janitor keeps it up afterwards.
  if (auto r = bus_->apply_retention(); !r.ok())
    log::warn("event retention failed", {{"error", r.status().message()}});
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
  o.offload = [api](const HttpRequest& r) { return api->offloads(r); };
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
  api->set_listen_url(url);
  Json running = Json::array();  // what runs, not the --modules filter (empty = all)
  for (const auto& m : host_.modules())
    if (m.exposed) running.push_back(m.name);
  log::info("listening", {{"url", url}, {"modules", std::move(running)}});
  on_ready(url);
  raw->run();
  log::info("stopped");
  return {};
}

void Node::stop() {
  std::lock_guard lock(server_->mu);
  if (server_->server) server_->server->stop();
}

Call Node::call(const std::string& tool, const Json& input) { return call_as(tool, input, operator_); }

Call Node::call_as(const std::string& tool, const Json& input, const IdentityRef& as) {
  Call c;
  c.tool_name = tool;
  c.input = input;
  c.request_bytes = dump_compact(input).size();
  c.ctx = pipeline_->new_context(Transport::kCli);
  c.ctx.identity = as;  // the CLI holds the data dir (hence the node key) or the identity's key file
  (void)pipeline_->execute(c);
  return c;
}

// The node's signing key lives in the keystore under the id "node" (SIGNING,
// Ed25519, never rotated by the scheduled job: the peer id and the operator's DID are this
// key). First start: a fresh key, or the seed of a legacy DATA_DIR/node.key.
Status Node::load_node_key() {
  auto existing = keystore_->get(kNodeKeyId);
  if (existing.ok()) {
    auto kp = keystore_->ed25519(kNodeKeyId);
    if (!kp.ok()) return kp.status();
    node_key_ = std::make_unique<crypto::Ed25519KeyPair>(std::move(*kp));
  } else if (existing.status().code() == "NOT_FOUND") {
    const std::string legacy = (std::filesystem::path(config_.data_dir) / "node.key").string();
    auto seed = in_memory_ ? Result<std::string>(Status::not_found("")) : crypto::load_secret_file(legacy);
    if (!seed.ok() && seed.status().code() != "NOT_FOUND") return seed.status();
    auto kp = seed.ok() ? crypto::ed25519_from_seed(*seed) : Result<crypto::Ed25519KeyPair>(crypto::ed25519_generate());
    if (!kp.ok()) return kp.status();
    node_key_ = std::make_unique<crypto::Ed25519KeyPair>(std::move(*kp));
    new_node_key_ = true;
    legacy_key_file_ = seed.ok() ? legacy : "";
  } else {
    return existing.status();
  }
  operator_.squid_id = crypto::did_key_from_ed25519(node_key_->public_key());
  return {};
}

// Stores a key load_node_key made, with its audit event, in one transaction.
// Two processes starting at once: the loser adopts the winner's key (the bus
// has not signed anything yet and signs through the same object).
Status Node::store_new_node_key() {
  if (!new_node_key_) return {};
  new_node_key_ = false;
  Status s = db_->transaction([&](Tx& tx) -> Status {
    NewKey k;
    k.key_id = kNodeKeyId;
    k.owner = "node";
    k.purpose = KeyPurpose::kSigning;
    k.algorithm = kAlgEd25519;
    k.manual_rotation = true;
    k.label = "node identity: event and checkpoint signatures, peer id";
    auto v = keystore_->import(tx, k, node_key_->seed());
    if (!v.ok()) return v.status();
    bus::EventDraft d;
    d.topic = "q.qlock.key.created.v1";
    d.source = "qlock";
    d.actor = {{"squidId", operator_.squid_id}};
    d.payload = key_version_json(*v);
    auto p = bus_->publish(tx, d);
    return p.ok() ? Status() : p.status();
  });
  if (s.code() == "VERSION_CONFLICT") {
    legacy_key_file_.clear();
    auto kp = keystore_->ed25519(kNodeKeyId);
    if (!kp.ok()) return kp.status();
    *node_key_ = std::move(*kp);
    operator_.squid_id = crypto::did_key_from_ed25519(node_key_->public_key());
    return {};
  }
  if (!s.ok()) return s;
  created_ = !in_memory_ && legacy_key_file_.empty();
  if (!legacy_key_file_.empty()) {
    std::error_code ec;
    std::filesystem::remove(legacy_key_file_, ec);  // its seed is sealed in the keystore now
    log::info("node key moved into the keystore", {{"from", legacy_key_file_}});
  }
  return {};
}

Status Node::register_event_schemas() {
  // Every compiled-in module's topics, whether or not it runs here: the
  // registry describes the node's event vocabulary, and a module that starts
  // later finds its topics in place.
  for (const auto& f : embedded_event_schemas()) {
    std::string where = std::string("modules/") + f.module + "/events/" + f.file;
    auto doc = parse_json(f.text);
    if (!doc.ok()) return Status::internal(where + ": " + doc.status().message());
    if (!doc->is_object() || !(*doc)["topic"].is_string() || !doc->contains("schema"))
      return Status::internal(where + ": needs topic and schema");
    bus::RegisterRequest r;
    r.topic = (*doc)["topic"];
    r.schema = (*doc)["schema"];
    r.description = doc->value("description", "");
    r.examples = doc->value("examples", Json::array());
    r.owner = std::string("module:") + f.module;
    r.max_owned = bus::kMaxTopics;  // a module's own topics are not an identity's share
    if (doc->contains("compatibility")) {
      auto mode = bus::parse_compat_mode((*doc)["compatibility"].get<std::string>());
      if (!mode.ok()) return Status::internal(where + ": " + mode.status().message());
      r.compatibility = *mode;
    }
    auto res = schemas_->register_schema(r);
    if (!res.ok()) {
      Status s(res.status().code() == "VERSION_CONFLICT" ? ErrorCode::kVersionConflict : ErrorCode::kInternalError,
               where + ": " + res.status().message(), res.status().details());
      return s;
    }
  }
  return {};
}

Status Node::publish_tool_changes() {
  // One row per module served here: a digest of its tools' names, versions and
  // schemas. The rows and the events change in one transaction (the outbox).
  ANARQ_RETURN_IF_ERROR(db_->migrate("node_tools", {{1, "served tools per module",
      "CREATE TABLE node_tool_state (module TEXT PRIMARY KEY, digest TEXT NOT NULL, tools TEXT NOT NULL)"}}));
  std::map<std::string, std::pair<std::string, Json>> now;  // module -> (digest, names)
  for (const Tool* t : host_.registry().list(true)) {
    auto& [digest, names] = now[t->module];
    if (names.is_null()) names = Json::array();
    names.push_back(t->name);
    digest += t->name + "@" + t->version + ":" + dump_compact(t->input_schema) + dump_compact(t->output_schema) + "\n";
  }
  for (auto& [m, entry] : now) entry.first = ipld::Cid::v1_sha256(ipld::kCodecRaw, entry.first).to_string();
  return db_->transaction([&](Tx& tx) -> Status {
    // Read inside the transaction: two processes starting at once announce each change once.
    auto rows = tx.query("SELECT module, digest FROM node_tool_state", {});
    if (!rows.ok()) return rows.status();
    std::map<std::string, std::string> before;
    for (const Row& r : rows->rows) before[r.str(0)] = r.str(1);
    auto emit = [&](const std::string& module, const char* action, const Json& names) -> Status {
      bus::EventDraft d;
      d.topic = "q.tools.registry.updated.v1";
      d.source = "node";
      d.actor = {{"squidId", operator_.squid_id}};
      d.payload = {{"module", module}, {"action", action}, {"capabilities", names},
                   {"timestamp", format_rfc3339_ms(clock_->now_ms())}};
      auto p = bus_->publish(tx, d);
      return p.ok() ? Status() : p.status();
    };
    for (const auto& [m, entry] : now) {
      auto it = before.find(m);
      if (it != before.end() && it->second == entry.first) continue;
      ANARQ_RETURN_IF_ERROR(emit(m, it == before.end() ? "ADDED" : "UPDATED", entry.second));
      auto r = it == before.end()
          ? tx.exec("INSERT INTO node_tool_state (module, digest, tools) VALUES (?, ?, ?)", {m, entry.first, dump_compact(entry.second)})
          : tx.exec("UPDATE node_tool_state SET digest = ?, tools = ? WHERE module = ?", {entry.first, dump_compact(entry.second), m});
      if (!r.ok()) return r.status();
    }
    for (const auto& [m, digest] : before) {
      if (now.count(m)) continue;
      ANARQ_RETURN_IF_ERROR(emit(m, "REMOVED", Json::array()));
      auto r = tx.exec("DELETE FROM node_tool_state WHERE module = ?", {m});
      if (!r.ok()) return r.status();
    }
    return {};
  });
}

}  // namespace anarq
