#include "runtime/registry.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

Tool make(const std::string& name) {
  Tool t;
  t.name = name;
  t.description = std::string("d");
  t.input_schema = {{"type", "object"}};
  t.output_schema = {{"type", "object"}};
  t.http = {"GET", "/x/v1/" + name};
  t.handler = [](Context&, const Json&) -> Result<Reply> { return Json::object(); };
  return t;
}

TEST(RegistryTest, RefusesDuplicatesAndBadDeclarations) {
  ToolRegistry r;
  ASSERT_TRUE(r.add("x", make("x.a"), true).ok());
  EXPECT_FALSE(r.add("x", make("x.a"), true).ok());
  EXPECT_FALSE(r.add("x", make("y.a"), true).ok());      // wrong module prefix
  EXPECT_FALSE(r.add("x", make("x"), true).ok());        // no verb
  EXPECT_FALSE(r.add("x", make("x.Bad-Name"), true).ok());
  Tool no_handler = make("x.b");
  no_handler.handler = nullptr;
  EXPECT_FALSE(r.add("x", no_handler, true).ok());
  Tool bad_schema = make("x.c");
  bad_schema.input_schema = {{"type", "array"}};
  EXPECT_FALSE(r.add("x", bad_schema, true).ok());
  Tool cap = make("x.d");
  cap.access = Access::kCapability;
  EXPECT_FALSE(r.add("x", cap, true).ok());  // capability without an ability
}

TEST(RegistryTest, ExposedAndHiddenTools) {
  ToolRegistry r;
  ASSERT_TRUE(r.add("x", make("x.b"), true).ok());
  ASSERT_TRUE(r.add("y", make("y.a"), false).ok());
  EXPECT_TRUE(r.exposed("x.b"));
  EXPECT_FALSE(r.exposed("y.a"));
  EXPECT_NE(r.find("y.a"), nullptr);
  EXPECT_EQ(r.find("y.a")->module, "y");
  EXPECT_EQ(r.list(true).size(), 1u);
  EXPECT_EQ(r.list(false).size(), 2u);
  EXPECT_EQ(r.list_module("y").size(), 1u);
}

TEST(RegistryTest, ToolNames) {
  EXPECT_TRUE(valid_tool_name("qindex.put"));
  EXPECT_TRUE(valid_tool_name("squid.sub.create"));
  EXPECT_TRUE(valid_tool_name("squid.verifyIdentity"));
  EXPECT_FALSE(valid_tool_name("Qindex.put"));
  EXPECT_FALSE(valid_tool_name("qindex."));
  EXPECT_FALSE(valid_tool_name(std::string(70, 'a') + ".b"));
}

}  // namespace
}  // namespace anarq
