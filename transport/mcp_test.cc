#include "transport/mcp.h"

#include <gtest/gtest.h>

#include "app/node.h"

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

TEST_F(McpTest, ToolsCallSuccessAndToolErrors) {
  Json ok = stdio({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", "node.info"}}}});
  EXPECT_EQ(ok["result"]["isError"], false);
  EXPECT_EQ(ok["result"]["structuredContent"]["modules"][0]["name"], "node");
  EXPECT_EQ(ok["result"]["content"][0]["text"], ok["result"]["structuredContent"].dump());
  EXPECT_EQ(ok["result"]["_meta"]["anarq/code"], "NODE_INFO");

  Json bad = stdio({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
                    {"params", {{"name", "node.info"}, {"arguments", {{"x", 1}}}}}});
  EXPECT_EQ(bad["result"]["isError"], true);
  EXPECT_EQ(bad["result"]["structuredContent"]["code"], "VALIDATION_ERROR");
  EXPECT_EQ(bad["result"]["structuredContent"]["status"], "error");

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
