#include "transport/mcp.h"

#include <gtest/gtest.h>

#include "app/node.h"
#include "runtime/registry.h"

namespace anarq {
namespace {

class McpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.log_level = "off";
    node_ = std::make_unique<Node>(c, true);
    ASSERT_TRUE(node_->start().ok());
  }
  Json stdio(const Json& msg) {
    auto r = node_->mcp().handle_stdio(msg.dump(), state_);
    return r ? *r : Json();
  }
  std::unique_ptr<Node> node_;
  McpStdioState state_;
};

TEST_F(McpTest, InitializeNegotiatesTheRevision) {
  Json r = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-06-18"}}}});
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "anarq");
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
  Json other = stdio({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "initialize"}, {"params", {{"protocolVersion", "1999-01-01"}}}});
  EXPECT_EQ(other["result"]["protocolVersion"], "2025-11-25");  // counter-offer, not an error
}

TEST_F(McpTest, ToolsListDescribesSchemasAndAnnotations) {
  Json r = stdio({{"jsonrpc", "2.0"}, {"id", "x"}, {"method", "tools/list"}});
  ASSERT_EQ(r["id"], "x");
  const Json& tools = r["result"]["tools"];
  ASSERT_EQ(tools.size(), node_->pipeline().registry().list(true).size());
  Json info;
  for (const auto& t : tools)
    if (t["name"] == "node.info") info = t;
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["inputSchema"]["type"], "object");
  EXPECT_EQ(info["outputSchema"]["type"], "object");
  EXPECT_EQ(info["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(info["_meta"]["anarq/http"]["path"], "/node/v1/info");
  EXPECT_FALSE(r["result"].contains("nextCursor"));
}

// What tools/list says of each tool is what the tool does: every input
// property described, identity tools saying so, annotations true to the tool.
TEST_F(McpTest, ToolMetadataSaysWhatEachToolDoes) {
  struct Hints {
    bool read_only, destructive, idempotent;
  };
  const std::map<std::string, Hints> expected = {
      {"node.info", {true, false, true}},           {"qlock.verify", {true, false, true}},
      {"squid.create", {false, false, false}},      {"squid.sub.create", {false, false, false}},
      {"squid.update", {false, true, true}},        {"squid.delete", {false, true, true}},
      {"qlock.sign", {false, false, false}},        {"qlock.encrypt", {false, false, false}},
      {"qlock.key.rotate", {false, false, false}},  {"qlock.key.revoke", {false, true, true}},
      {"events.publish", {false, false, false}},    {"events.ack", {false, false, true}},
      {"events.unsubscribe", {false, true, true}},  {"registry.register", {false, false, true}},
  };
  Json r = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}});
  const Json& tools = r["result"]["tools"];
  ASSERT_FALSE(tools.empty());
  size_t checked = 0;
  for (const auto& t : tools) {
    const std::string name = t["name"];
    const Tool* tool = node_->pipeline().registry().find(name);
    ASSERT_NE(tool, nullptr) << name;
    const Json props = t["inputSchema"].value("properties", Json::object());
    for (const auto& [prop, schema] : props.items())
      EXPECT_TRUE(schema.is_object() && schema.contains("description") && !schema["description"].get<std::string>().empty())
          << name << " input property " << prop << " has no description";
    const std::string description = t["description"];
    bool needs_identity = t["_meta"]["anarq/access"] != "public";
    EXPECT_EQ(description.find(kSignedRequestNote) != std::string::npos, needs_identity) << name << ": " << description;

    const Json& a = t["annotations"];
    bool ro = a["readOnlyHint"], destructive = a["destructiveHint"], idempotent = a["idempotentHint"];
    EXPECT_NE(tool->read_only, tool->write) << name << " is either a read or a write";
    EXPECT_EQ(ro, tool->read_only) << name;
    if (ro) {
      EXPECT_TRUE(!destructive && idempotent) << name << ": a read destroys nothing and may be repeated";
    }
    if (destructive) {
      EXPECT_TRUE(tool->write) << name;
    }
    if (t["_meta"]["anarq/http"]["method"] == "DELETE") {
      EXPECT_TRUE(destructive && idempotent) << name;
    }
    if (t["_meta"]["anarq/http"]["method"] == "GET") {
      EXPECT_TRUE(ro) << name;
    }
    auto e = expected.find(name);
    if (e == expected.end()) continue;
    ++checked;
    EXPECT_EQ(ro, e->second.read_only) << name << " readOnlyHint";
    EXPECT_EQ(destructive, e->second.destructive) << name << " destructiveHint";
    EXPECT_EQ(idempotent, e->second.idempotent) << name << " idempotentHint";
  }
  EXPECT_EQ(checked, expected.size()) << "every tool of the table is served";
}

TEST_F(McpTest, ToolsCallSuccessAndToolErrors) {
  Json ok = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}});
  EXPECT_EQ(ok["result"]["isError"], false);
  EXPECT_EQ(ok["result"]["structuredContent"]["modules"][0]["name"], "node");
  EXPECT_EQ(ok["result"]["content"][0]["text"], ok["result"]["structuredContent"].dump());
  EXPECT_EQ(ok["result"]["_meta"]["anarq/code"], "NODE_INFO");

  Json bad = stdio({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
                    {"params", {{"name", "node.info"}, {"arguments", {{"x", 1}}}}}});
  // A tool error: what the agent reads is text ("CODE: message", then the
  // envelope); no structuredContent, which clients check against outputSchema.
  EXPECT_EQ(bad["result"]["isError"], true);
  EXPECT_FALSE(bad["result"].contains("structuredContent"));
  ASSERT_EQ(bad["result"]["content"].size(), 2u);
  std::string first = bad["result"]["content"][0]["text"];
  EXPECT_EQ(first.rfind("VALIDATION_ERROR: ", 0), 0u) << first;
  Json envelope = Json::parse(bad["result"]["content"][1]["text"].get<std::string>());
  EXPECT_EQ(envelope["code"], "VALIDATION_ERROR");
  EXPECT_EQ(envelope["status"], "error");
  EXPECT_EQ(first, "VALIDATION_ERROR: " + envelope["message"].get<std::string>());
  EXPECT_EQ(bad["result"]["_meta"]["anarq/error"], envelope);
  EXPECT_EQ(bad["result"]["_meta"]["anarq/code"], "VALIDATION_ERROR");

  Json unknown = stdio({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"}, {"params", {{"name", "no.such"}}}});
  EXPECT_EQ(unknown["error"]["code"], -32602);
  Json noname = stdio({{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/call"}, {"params", Json::object()}});
  EXPECT_EQ(noname["error"]["code"], -32602);
}

TEST_F(McpTest, ProtocolErrors) {
  McpStdioState st;
  auto parse = node_->mcp().handle_stdio("{", st);
  EXPECT_EQ((*parse)["error"]["code"], -32700);
  EXPECT_FALSE(parse->contains("id"));
  EXPECT_EQ(stdio({{"jsonrpc", "1.0"}, {"id", 1}, {"method", "ping"}})["error"]["code"], -32600);
  EXPECT_EQ(stdio({{"jsonrpc", "2.0"}, {"id", 1.5}, {"method", "ping"}})["error"]["code"], -32600);
  EXPECT_EQ(stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "nope/nope"}})["error"]["code"], -32601);
  EXPECT_EQ(stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", {1, 2}}})["error"]["code"], -32602);
  EXPECT_EQ(stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", {{"cursor", "zz"}}}})["error"]["code"],
            -32602);
  EXPECT_TRUE(stdio({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}).is_null());
  EXPECT_TRUE(stdio({{"jsonrpc", "2.0"}, {"id", 9}, {"result", Json::object()}}).is_null());
}

TEST_F(McpTest, ModernRequestsOnStdio) {
  Json meta = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
               {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
  Json r = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", {{"_meta", meta}}}});
  EXPECT_EQ(r["result"]["resultType"], "complete");
  EXPECT_EQ(r["result"]["cacheScope"], "public");
  EXPECT_TRUE(r["result"]["ttlMs"].is_number_integer());
  EXPECT_EQ(r["result"]["tools"][0]["inputSchema"]["$schema"], "http://json-schema.org/draft-07/schema#");
  Json missing = stdio({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "server/discover"}});
  EXPECT_EQ(missing["error"]["code"], -32602);
  Json ping = stdio({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}, {"params", {{"_meta", meta}}}});
  EXPECT_EQ(ping["error"]["code"], -32601);  // removed in 2026-07-28
}

TEST_F(McpTest, Revision20250326HasNoStructuredOutputAndTakesBatches) {
  Json init = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-03-26"}}}});
  EXPECT_EQ(init["result"]["protocolVersion"], "2025-03-26");
  Json list = stdio({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
  ASSERT_FALSE(list["result"]["tools"].empty());
  for (const auto& t : list["result"]["tools"]) {
    EXPECT_FALSE(t.contains("outputSchema")) << t["name"];
    EXPECT_FALSE(t.contains("title")) << t["name"];
    EXPECT_FALSE(t["inputSchema"].contains("$schema")) << t["name"];
    EXPECT_TRUE(t["annotations"].contains("readOnlyHint")) << t["name"];
  }
  Json call = stdio({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}});
  EXPECT_EQ(call["result"]["isError"], false);
  EXPECT_FALSE(call["result"].contains("structuredContent"));
  EXPECT_EQ(Json::parse(call["result"]["content"][0]["text"].get<std::string>())["modules"][0]["name"], "node");

  // A batch: answers in order, none for the notification, an error for initialize.
  Json batch = Json::array({{{"jsonrpc", "2.0"}, {"id", "a"}, {"method", "ping"}},
                            {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                            {{"jsonrpc", "2.0"}, {"id", "b"}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}},
                            {{"jsonrpc", "2.0"}, {"id", "c"}, {"method", "initialize"}},
                            {{"jsonrpc", "1.0"}, {"id", "d"}, {"method", "ping"}}});
  auto replies = node_->mcp().handle_stdio(batch.dump(), state_);
  ASSERT_TRUE(replies && replies->is_array());
  ASSERT_EQ(replies->size(), 4u) << replies->dump();
  EXPECT_EQ((*replies)[0]["id"], "a");
  EXPECT_EQ((*replies)[0]["result"], Json::object());
  EXPECT_EQ((*replies)[1]["id"], "b");
  EXPECT_EQ((*replies)[1]["result"]["isError"], false);
  EXPECT_EQ((*replies)[2]["error"]["code"], -32600);
  EXPECT_EQ((*replies)[3]["error"]["code"], -32600);
  EXPECT_FALSE(node_->mcp().handle_stdio(Json::array({{{"jsonrpc", "2.0"}, {"method", "x/y"}}}).dump(), state_));
  EXPECT_EQ((*node_->mcp().handle_stdio("[]", state_))["error"]["code"], -32600);
  Json big = Json::array();
  for (size_t i = 0; i <= McpServer::kMaxBatch; ++i) big.push_back({{"jsonrpc", "2.0"}, {"id", i}, {"method", "ping"}});
  EXPECT_EQ((*node_->mcp().handle_stdio(big.dump(), state_))["error"]["code"], -32600) << "a batch is bounded";

  // Later revisions refuse batches.
  McpStdioState newer;
  node_->mcp().handle_stdio(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})", newer);
  auto refused = node_->mcp().handle_stdio(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", newer);
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["error"]["code"], -32600);
}

TEST_F(McpTest, Revision20250326OverHttp) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  Json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-03-26"}}}};
  auto r = node_->mcp().handle_post(init.dump(), h);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.headers.size(), 1u);
  h["mcp-session-id"] = r.headers[0].second;  // no MCP-Protocol-Version: allowed in 2025-03-26
  auto batch = node_->mcp().handle_post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}])", h);
  ASSERT_EQ(batch.status, 200);
  ASSERT_TRUE(batch.body && batch.body->is_array() && batch.body->size() == 2u);
  EXPECT_EQ((*batch.body)[1]["id"], 2);
  EXPECT_FALSE((*batch.body)[1]["result"]["tools"][0].contains("outputSchema"));
  EXPECT_EQ(node_->mcp().handle_post(R"([{"jsonrpc":"2.0","method":"notifications/initialized"}])", h).status, 202);

  // A 2025-11-25 session refuses batches but takes any header revision we serve
  // (the conformance suite sends 2025-03-26 on it); an unknown one is 400.
  std::map<std::string, std::string> h2 = {{"content-type", "application/json"}};
  init["params"]["protocolVersion"] = "2025-11-25";
  auto r2 = node_->mcp().handle_post(init.dump(), h2);
  h2["mcp-session-id"] = r2.headers.at(0).second;
  EXPECT_EQ(node_->mcp().handle_post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", h2).status, 400);
  h2["mcp-protocol-version"] = "2025-03-26";
  EXPECT_EQ(node_->mcp().handle_post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", h2).status, 200);
  h2["mcp-protocol-version"] = "2024-11-05";
  EXPECT_EQ(node_->mcp().handle_post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", h2).status, 400);
  EXPECT_EQ(node_->mcp().handle_post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", {{"content-type", "application/json"}}).status,
            400) << "a batch needs a session";
}

TEST_F(McpTest, OneSourceCannotEvictAnothersSessions) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  Json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-11-25"}}}};
  auto real = node_->mcp().handle_post(init.dump(), h, "/mcp", "192.0.2.1");
  ASSERT_EQ(real.status, 200);
  std::string real_id = real.headers.at(0).second;
  auto first_flood = node_->mcp().handle_post(init.dump(), h, "/mcp", "198.51.100.7");
  std::string flood_first_id = first_flood.headers.at(0).second;
  for (int i = 0; i < 10'050; ++i) ASSERT_EQ(node_->mcp().handle_post(init.dump(), h, "/mcp", "198.51.100.7").status, 200);
  EXPECT_EQ(node_->mcp().session_count(), McpServer::kMaxSessionsPerSource + 1) << "the flood churns its own share";
  std::map<std::string, std::string> use = h;
  use["mcp-session-id"] = real_id;
  EXPECT_EQ(node_->mcp().handle_post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", use).status, 200);
  use["mcp-session-id"] = flood_first_id;
  EXPECT_EQ(node_->mcp().handle_post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", use).status, 404)
      << "the flooding source lost its own oldest session";
}

TEST(McpSessionSource, IPv6CountsBySlash64) {
  EXPECT_EQ(mcp_session_source("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(mcp_session_source("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(mcp_session_source("2001:db8:0:1::5"), "2001:0db8:0000:0001::/64");
  EXPECT_EQ(mcp_session_source("2001:db8:0:1:ffff::9"), mcp_session_source("2001:db8:0:1::5"));
  EXPECT_NE(mcp_session_source("2001:db8:0:2::5"), mcp_session_source("2001:db8:0:1::5"));
  EXPECT_EQ(mcp_session_source(""), "");
}

TEST_F(McpTest, OneIPv6NetworkIsOneSource) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  Json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-11-25"}}}};
  for (int i = 1; i <= 200; ++i)
    ASSERT_EQ(node_->mcp().handle_post(init.dump(), h, "/mcp", "2001:db8:0:1::" + std::to_string(i)).status, 200);
  EXPECT_EQ(node_->mcp().session_count(), McpServer::kMaxSessionsPerSource) << "200 addresses of one /64 share one quota";
}

TEST_F(McpTest, SessionsAreBoundedAndEnd) {
  std::map<std::string, std::string> h = {{"content-type", "application/json"}};
  Json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-11-25"}}}};
  auto r = node_->mcp().handle_post(init.dump(), h);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(node_->mcp().session_count(), 1u);
  h["mcp-session-id"] = r.headers[0].second;
  EXPECT_EQ(node_->mcp().handle_delete(h).status, 204);
  EXPECT_EQ(node_->mcp().session_count(), 0u);
  EXPECT_EQ(node_->mcp().handle_delete(h).status, 404);
}

}  // namespace
}  // namespace anarq
