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
  for (const char* code : {"400", "404", "413", "429", "500", "503"}) EXPECT_TRUE(op["responses"].contains(code)) << code;
  EXPECT_FALSE(op["responses"].contains("401"));  // public tool
  EXPECT_TRUE(doc["paths"].contains("/health"));
  EXPECT_TRUE(doc["paths"].contains("/mcp"));
  auto codes = doc["components"]["schemas"]["ErrorEnvelope"]["properties"]["code"]["examples"];
  EXPECT_EQ(codes.size(), error_code_names().size());
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
