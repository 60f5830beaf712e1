// node: the node describing itself — node.info and node.tools. Both are public
// and read-only; node.tools is where MCP tool discovery starts.
#include <mutex>
#include "core/clock.h"
#include "core/ids.h"
#include "crypto/ed25519.h"
#include "runtime/host.h"
#include "runtime/module.h"

#ifndef ANARQ_VERSION
#define ANARQ_VERSION "0.0.0"
#endif
#ifndef ANARQ_GIT_REV
#define ANARQ_GIT_REV "unknown"
#endif

namespace anarq {
namespace {

#ifdef NDEBUG
constexpr const char* kBuildType = "release";
#else
constexpr const char* kBuildType = "debug";
#endif

Json tool_json(const Tool& t) {
  Json j = {{"name", t.name},
            {"version", t.version},
            {"module", t.module},
            {"title", t.title},
            {"description", t.description},
            {"inputSchema", t.input_schema},
            {"outputSchema", t.output_schema},
            {"access", access_name(t.access)},
            {"readOnly", t.read_only},
            {"write", t.write},
            {"idempotent", t.idempotent},
            {"emits", t.emits},
            {"rateClass", t.rate_class},
            {"cost", t.cost},
            {"http", {{"method", t.http.method}, {"path", t.http.path}}}};
  if (!t.ability.empty()) j["ability"] = t.ability;
  j["deprecation"] = t.deprecation ? Json{{"since", t.deprecation->since},
                                          {"sunset", t.deprecation->sunset},
                                          {"replacement", t.deprecation->replacement}}
                                   : Json(nullptr);
  return j;
}

const Json kToolSchema = R"({
  "type": "object",
  "required": ["name", "version", "module", "description", "inputSchema", "outputSchema", "access", "http", "deprecation"],
  "properties": {
    "name": {"type": "string"}, "version": {"type": "string"}, "module": {"type": "string"},
    "title": {"type": "string"}, "description": {"type": "string"},
    "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"},
    "access": {"type": "string", "enum": ["public", "identity", "capability"]},
    "ability": {"type": "string"},
    "readOnly": {"type": "boolean"}, "write": {"type": "boolean"}, "idempotent": {"type": "boolean"},
    "emits": {"type": "array", "items": {"type": "string"}},
    "rateClass": {"type": "string"}, "cost": {"type": "integer"},
    "http": {"type": "object", "required": ["method", "path"],
             "properties": {"method": {"type": "string"}, "path": {"type": "string"}}},
    "deprecation": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["since", "sunset", "replacement"],
      "properties": {"since": {"type": "string"}, "sunset": {"type": "string"}, "replacement": {"type": "string"}}}]}
  }
})"_json;

class NodeModule final : public Module {
 public:
  std::string name() const override { return "node"; }
  std::string version() const override { return ANARQ_VERSION; }
  std::string description() const override { return "The node itself: version, running modules, live tool registry."; }

  std::vector<Migration> migrations() const override {
    return {{1, "node identity", "CREATE TABLE node_meta (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL)"}};
  }

  Status start(const ModuleEnv& env) override {
    env_ = env;
    // The node id is minted once and survives restarts.
    return env.db->transaction([&](Tx& tx) -> Status {
      auto rows = tx.query("SELECT v FROM node_meta WHERE k = ?", {std::string("node_id")});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) {
        node_id_ = rows->rows[0].str(0);
        return {};
      }
      node_id_ = uuid_v7(*env.clock);
      auto ins = tx.exec("INSERT INTO node_meta (k, v) VALUES (?, ?)", {std::string("node_id"), node_id_});
      return ins.ok() ? Status() : ins.status();
    });
  }

  std::vector<Tool> tools() override {
    Tool info;
    info.name = "node.info";
    info.title = "Node information";
    info.description = "Version, build, identity (did:key and peer id), running modules and uptime of this node.";
    info.input_schema = R"({"type":"object","additionalProperties":false,"properties":{}})"_json;
    info.output_schema = R"({
      "type": "object",
      "required": ["nodeId", "did", "peerId", "version", "build", "modules", "startedAt", "uptimeMs", "storage"],
      "properties": {
        "nodeId": {"type": "string"},
        "did": {"type": "string", "description": "the node's own did:key: the operator identity, signer of events and checkpoints"},
        "peerId": {"type": "string", "description": "the libp2p peer id of the same Ed25519 key, as Kubo's /api/v0/id answers it"},
        "version": {"type": "string"},
        "build": {"type": "object", "required": ["gitRev", "type", "compiler"],
                  "properties": {"gitRev": {"type": "string"}, "type": {"type": "string"}, "compiler": {"type": "string"}}},
        "modules": {"type": "array", "items": {"type": "object", "required": ["name", "version", "exposed", "schemaVersion"],
          "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "description": {"type": "string"},
                         "exposed": {"type": "boolean"}, "schemaVersion": {"type": "integer"}}}},
        "startedAt": {"type": "string", "format": "date-time"},
        "uptimeMs": {"type": "integer", "minimum": 0},
        "storage": {"type": "object", "required": ["state"], "properties": {"state": {"type": "string"}}}
      }
    })"_json;
    info.http = {"GET", "/node/v1/info"};
    info.access = Access::kPublic;
    info.read_only = true;
    info.idempotent = true;
    info.success_code = "NODE_INFO";
    info.success_message = "node information";
    info.handler = [this](Context& ctx, const Json&) -> Result<Reply> {
      // Everything but the uptime is fixed once the host has started: built
      // once (node.info is the cheap call that health checks and the
      // signed-request benchmark use), then copied.
      std::call_once(info_once_, [&] {
        Json modules = Json::array();
        for (const auto& m : env_.host->modules())
          modules.push_back({{"name", m.name},
                             {"version", m.version},
                             {"description", m.description},
                             {"exposed", m.exposed},
                             {"schemaVersion", m.schema_version}});
        std::string peer;
        if (auto pk = crypto::ed25519_from_did_key(env_.node_did); pk.ok()) peer = crypto::libp2p_peer_id(*pk);
        info_ = {{"nodeId", node_id_},
                 {"did", env_.node_did},
                 {"peerId", peer},
                 {"version", ANARQ_VERSION},
                 {"build", {{"gitRev", ANARQ_GIT_REV}, {"type", kBuildType}, {"compiler", __VERSION__}}},
                 {"modules", std::move(modules)},
                 {"startedAt", format_rfc3339_ms(env_.host->started_at_ms())},
                 {"storage", {{"state", env_.db->backend()}}}};
      });
      Json out = info_;
      out["uptimeMs"] = std::max<int64_t>(0, ctx.clock->now_ms() - env_.host->started_at_ms());
      return out;
    };

    Tool tools;
    tools.name = "node.tools";
    tools.title = "Tool registry";
    tools.description = "The live tool registry: every exposed tool with its schemas, access, HTTP binding and deprecation.";
    tools.input_schema = R"({"type":"object","additionalProperties":false,
      "properties":{"module":{"type":"string","pattern":"^[a-z][a-z0-9]*$","maxLength":32,
                              "description":"a module name ([a-z][a-z0-9]*, at most 32): only the tools of this module"}}})"_json;
    tools.output_schema = {{"type", "object"},
                           {"required", {"count", "tools"}},
                           {"properties", {{"count", {{"type", "integer"}}}, {"tools", {{"type", "array"}, {"items", kToolSchema}}}}}};
    tools.http = {"GET", "/node/v1/tools"};
    tools.access = Access::kPublic;
    tools.read_only = true;
    tools.idempotent = true;
    tools.success_code = "TOOLS_LISTED";
    tools.success_message = "tool registry";
    tools.handler = [this](Context&, const Json& in) -> Result<Reply> {
      std::string module = in.value("module", "");
      Json list = Json::array();
      for (const Tool* t : env_.host->registry().list(true))
        if (module.empty() || t->module == module) list.push_back(tool_json(*t));
      return Json{{"count", list.size()}, {"tools", list}};
    };
    return {info, tools};
  }

 private:
  ModuleEnv env_;
  std::string node_id_;
  std::once_flag info_once_;
  Json info_;
};

}  // namespace

ANARQ_REGISTER_MODULE("node", NodeModule);

}  // namespace anarq
