// Contract tests: every tool's schemas compile, every tool that can be called
// without input answers data that matches its output schema on every transport
// path, and the committed generated artifacts are what the generator prints.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/node.h"
#include "core/json.h"
#include "core/schema_validator.h"
#include "runtime/module.h"
#include "tests/test_node.h"
#include "transport/specs.h"
#include "bus/catalog.h"

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

TEST_F(ContractTest, EventCataloguesAreFresh) {
  std::filesystem::path root = ANARQ_SOURCE_DIR;
  for (const auto& name : ModuleCatalog::instance().names()) {
    SCOPED_TRACE(name);
    auto dir = root / "modules" / name / "events";
    bool has_files = false;
    if (std::filesystem::exists(dir))
      for (const auto& e : std::filesystem::directory_iterator(dir))
        has_files |= e.path().string().size() > 11 && e.path().string().ends_with(".event.json");
    if (!has_files) {
      EXPECT_FALSE(std::filesystem::exists(dir / "catalog.md")) << "a catalogue without event files";
      continue;
    }
    auto want = bus::event_catalog(node_->schemas(), name);
    ASSERT_TRUE(want.ok()) << want.status().to_string();
    EXPECT_EQ(read_file(dir / "catalog.md"), *want)
        << "modules/" << name << "/events/catalog.md is stale: run `anarq spec write` (see README)";
  }
}

TEST_F(ContractTest, EveryEmbeddedEventSchemaIsRegisteredWithValidExamples) {
  const auto& files = embedded_event_schemas();
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    SCOPED_TRACE(std::string(f.module) + "/" + f.file);
    auto doc = Json::parse(f.text);
    std::string topic = doc["topic"];
    EXPECT_TRUE(std::string(f.file).ends_with(".event.json"));
    auto info = node_->schemas().topic(topic);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->owner, std::string("module:") + f.module);
    EXPECT_FALSE(info->description.empty());
    auto schema = SchemaValidator::compile(doc["schema"]);
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(doc.contains("examples") && !doc["examples"].empty()) << "every topic documents an example";
    for (const auto& ex : doc["examples"]) EXPECT_TRUE((*schema)->validate(ex).empty());
  }
}

}  // namespace
}  // namespace anarq::test
