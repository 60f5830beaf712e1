// Contract tests: every tool's schemas compile, every tool that can be called
// without input answers data that matches its output schema on every transport
// path, and the committed generated artifacts are what the generator prints.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/node.h"
#include "core/json.h"
#include "pipeline/schema_validator.h"
#include "runtime/module.h"
#include "tests/test_node.h"
#include "transport/specs.h"

namespace anarq::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class ContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.log_level = "off";
    node_ = std::make_unique<Node>(c, /*in_memory=*/true);
    ASSERT_TRUE(node_->start().ok());
  }
  std::unique_ptr<Node> node_;
};

TEST_F(ContractTest, EveryToolHasCompilableSchemasAndAValidBinding) {
  const auto tools = node_->pipeline().registry().list(false);
  ASSERT_FALSE(tools.empty());
  for (const Tool* t : tools) {
    SCOPED_TRACE(t->name);
    EXPECT_TRUE(SchemaValidator::compile(t->input_schema).ok());
    EXPECT_TRUE(SchemaValidator::compile(t->output_schema).ok());
    EXPECT_EQ(t->output_schema.value("type", ""), "object") << "MCP clients need an object output schema";
    EXPECT_FALSE(t->description.empty());
    EXPECT_EQ(t->http.path.rfind("/" + t->module + "/v", 0), 0u) << "routes live under /<module>/v<N>/";
  }
}

TEST_F(ContractTest, EveryNoInputToolAnswersItsOutputSchema) {
  for (const Tool* t : node_->pipeline().registry().list(false)) {
    auto in = SchemaValidator::compile(t->input_schema);
    if (!(*in)->validate(Json::object()).empty()) continue;  // needs input: covered by its module's tests
    SCOPED_TRACE(t->name);
    Call c = node_->call(t->name, Json::object());
    ASSERT_EQ(c.http_status, 200) << c.body;
    auto out = SchemaValidator::compile(t->output_schema);
    auto violations = (*out)->validate(c.envelope["data"]);
    for (const auto& v : violations) ADD_FAILURE() << v.pointer << ": " << v.reason;
  }
}

TEST_F(ContractTest, CommittedArtifactsAreFresh) {
  const auto& registry = node_->pipeline().registry();
  std::filesystem::path root = ANARQ_SOURCE_DIR;
  for (const auto& name : ModuleCatalog::instance().names()) {
    SCOPED_TRACE(name);
    auto dir = root / "modules" / name;
    std::string want_yaml = to_yaml(openapi_document(registry, name, ANARQ_VERSION));
    std::string want_mcp = mcp_manifest(registry, name, ANARQ_VERSION).dump(2) + "\n";
    EXPECT_EQ(read_file(dir / "openapi.yaml"), want_yaml)
        << "modules/" << name << "/openapi.yaml is stale: run `anarq spec write` (see README)";
    EXPECT_EQ(read_file(dir / "mcp.json"), want_mcp)
        << "modules/" << name << "/mcp.json is stale: run `anarq spec write` (see README)";
  }
}

}  // namespace
}  // namespace anarq::test
