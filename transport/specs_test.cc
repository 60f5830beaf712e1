#include "transport/specs.h"

#include <gtest/gtest.h>

#include "app/node.h"

namespace anarq {
namespace {

class SpecsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.log_level = "off";
    node_ = std::make_unique<Node>(c, true);
    ASSERT_TRUE(node_->start().ok());
  }
  const ToolRegistry& registry() { return node_->pipeline().registry(); }
  std::unique_ptr<Node> node_;
};

TEST_F(SpecsTest, OpenApiHasOneOperationPerToolWithEnvelopeAndErrors) {
  Json doc = openapi_document(registry(), "", "1.2.3");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["info"]["version"], "1.2.3");
  const Json& op = doc["paths"]["/node/v1/tools"]["get"];
  EXPECT_EQ(op["operationId"], "node.tools");
  EXPECT_EQ(op["parameters"][0]["name"], "module");
  EXPECT_EQ(op["parameters"][0]["in"], "query");
  const Json& ok = op["responses"]["200"]["content"]["application/json"]["schema"];
  EXPECT_EQ(ok["properties"]["data"], registry().find("node.tools")->output_schema);
  for (const char* code : {"400", "401", "404", "413", "429", "500", "503"}) EXPECT_TRUE(op["responses"].contains(code)) << code;
  EXPECT_FALSE(op["responses"].contains("403"));  // no capability needed
  EXPECT_TRUE(doc["paths"].contains("/health"));
  EXPECT_TRUE(doc["paths"].contains("/mcp"));
  auto codes = doc["components"]["schemas"]["ErrorEnvelope"]["properties"]["code"]["examples"];
  EXPECT_EQ(codes.size(), error_code_names().size());
}

TEST_F(SpecsTest, SecuritySchemesAreTheSignedRequestHeaders) {
  Json doc = openapi_document(registry(), "", "1");
  const Json& schemes = doc["components"]["securitySchemes"];
  for (const char* h : {"x-squid-id", "x-subid", "x-ts", "x-nonce", "x-sig"}) {
    SCOPED_TRACE(h);
    ASSERT_TRUE(schemes.contains(h));
    EXPECT_EQ(schemes[h]["type"], "apiKey");
    EXPECT_EQ(schemes[h]["in"], "header");
    EXPECT_EQ(schemes[h]["name"], h);
  }
  Json root = {{"x-squid-id", Json::array()}, {"x-ts", Json::array()}, {"x-nonce", Json::array()}, {"x-sig", Json::array()}};
  Json sub = root;
  sub["x-subid"] = Json::array();
  // Every operation declares its security: identity tools need all the headers
  // together (as root or as a subidentity), public ones take them optionally.
  size_t identity_ops = 0, public_ops = 0;
  for (const Tool* t : registry().list(true)) {
    SCOPED_TRACE(t->name);
    const Json& op = doc["paths"][t->http.path][t->http.method == "GET" ? "get" : t->http.method == "POST" ? "post"
                                                : t->http.method == "PATCH" ? "patch" : t->http.method == "PUT" ? "put" : "delete"];
    ASSERT_TRUE(op.contains("security"));
    if (t->access == Access::kPublic) {
      EXPECT_EQ(op["security"], Json::array({Json::object(), root, sub}));
      ++public_ops;
    } else {
      EXPECT_EQ(op["security"], Json::array({root, sub}));
      ++identity_ops;
    }
  }
  EXPECT_GT(identity_ops, 0u);
  EXPECT_GT(public_ops, 0u);
  EXPECT_EQ(doc["paths"]["/health"]["get"]["security"], Json::array({Json::object()}));
  EXPECT_EQ(doc["paths"]["/mcp"]["post"]["security"], Json::array({Json::object(), root, sub}));
  // No response component is left unused.
  std::string text = doc["paths"].dump();
  for (const auto& [name, _] : doc["components"]["responses"].items())
    EXPECT_NE(text.find("#/components/responses/" + name), std::string::npos) << name;
}

TEST_F(SpecsTest, ServersIsTheAddressServed) {
  // `anarq spec` and the committed files: the documented default.
  Json doc = openapi_document(registry(), "node", "1");
  ASSERT_EQ(doc["servers"].size(), 1u);
  EXPECT_EQ(doc["servers"][0]["url"], "http://{listen}");
  EXPECT_EQ(doc["servers"][0]["variables"]["listen"]["default"], "127.0.0.1:8080");
  // GET /openapi.json: the node's own address, spliced into the one serialisation.
  ServedOpenApi served(registry(), "1.2.3");
  Json a = Json::parse(served.render("http://127.0.0.1:40123"));
  EXPECT_EQ(a["servers"], Json::array({{{"url", "http://127.0.0.1:40123"}, {"description", "this node"}}}));
  Json want = openapi_document(registry(), "", "1.2.3", "http://127.0.0.1:40123");
  EXPECT_EQ(a, want);
  EXPECT_EQ(Json::parse(served.render("/"))["servers"][0]["url"], "/");
  // Which address: the bound one, unless bound to every interface.
  EXPECT_EQ(openapi_server_url("http://127.0.0.1:8080", "evil.example"), "http://127.0.0.1:8080");
  EXPECT_EQ(openapi_server_url("http://[::1]:9000", "localhost:9000"), "http://[::1]:9000");
  EXPECT_EQ(openapi_server_url("http://0.0.0.0:8080", "Node.Example:8080"), "http://node.example:8080");
  EXPECT_EQ(openapi_server_url("http://[::]:8080", "[2001:db8::1]:8080"), "http://[2001:db8::1]:8080");
  EXPECT_EQ(openapi_server_url("http://0.0.0.0:8080", "10.0.0.5"), "http://10.0.0.5");
  for (const char* bad : {"", "a b", "x.example/path", "x.example:80:80", "x.example:", "\"evil\"", "x.example:123456", "[zz]:1"})
    EXPECT_EQ(openapi_server_url("http://0.0.0.0:8080", bad), "/") << bad;
  EXPECT_EQ(openapi_server_url("", "127.0.0.1:5555"), "http://127.0.0.1:5555");
}

TEST_F(SpecsTest, ModuleDocumentsHoldOnlyThatModule) {
  Json doc = openapi_document(registry(), "node", "1");
  EXPECT_FALSE(doc["paths"].contains("/health"));
  EXPECT_EQ(doc["paths"].size(), 2u);
  EXPECT_TRUE(openapi_document(registry(), "nosuch", "1")["paths"].empty());
}

TEST_F(SpecsTest, McpManifestListsToolsWithSchemas) {
  Json m = mcp_manifest(registry(), "node", "1");
  EXPECT_EQ(m["name"], "node");
  ASSERT_EQ(m["tools"].size(), 2u);
  EXPECT_TRUE(m["tools"][0].contains("inputSchema"));
  EXPECT_TRUE(m["tools"][0].contains("outputSchema"));
}

TEST(YamlTest, QuotesEveryStringSoTypesSurvive) {
  std::string y = to_yaml({{"200", {{"a", "true"}, {"b", true}, {"c", 1.5}, {"d", nullptr}, {"e", Json::array()}}}});
  EXPECT_NE(y.find("\"200\":"), std::string::npos);
  EXPECT_NE(y.find("\"a\": \"true\""), std::string::npos);
  EXPECT_NE(y.find("\"b\": true"), std::string::npos);
  EXPECT_NE(y.find("\"c\": 1.5"), std::string::npos);
  EXPECT_NE(y.find("\"e\": []"), std::string::npos);
}

}  // namespace
}  // namespace anarq
