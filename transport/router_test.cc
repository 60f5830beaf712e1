#include "transport/router.h"

#include <gtest/gtest.h>

namespace anarq {
namespace {

Tool bound(const std::string& name, const std::string& method, const std::string& path) {
  Tool t;
  t.name = name;
  t.description = std::string("d");
  t.input_schema = R"({"type":"object","properties":{
    "key":{"type":"string"},"limit":{"type":"integer"},"ratio":{"type":"number"},"deep":{"type":"boolean"},
    "tags":{"type":"array","items":{"type":"string"}},"ids":{"type":"array","items":{"type":"integer"}}}})"_json;
  t.output_schema = {{"type", "object"}};
  t.http = {method, path};
  t.handler = [](Context&, const Json&) -> Result<Reply> { return Json::object(); };
  return t;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.add("q", bound("q.get", "GET", "/q/v1/records/{key}"), true).ok());
    ASSERT_TRUE(registry_.add("q", bound("q.put", "PUT", "/q/v1/records/{key}"), true).ok());
    ASSERT_TRUE(registry_.add("q", bound("q.latest", "GET", "/q/v1/records/latest"), true).ok());
    ASSERT_TRUE(registry_.add("q", bound("q.list", "GET", "/q/v1/records"), true).ok());
    auto r = Router::build(registry_);
    ASSERT_TRUE(r.ok());
    router_ = std::make_unique<Router>(std::move(*r));
  }
  ToolRegistry registry_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, MatchesTemplatesAndDecodesParams) {
  auto m = router_->match("GET", "/q/v1/records/a%2Fb");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.tool->name, "q.get");
  EXPECT_EQ(m.path_params["key"], "a/b");
  EXPECT_EQ(router_->match("PUT", "/q/v1/records/x").tool->name, "q.put");
  EXPECT_EQ(router_->match("GET", "/q/v1/records").tool->name, "q.list");
  EXPECT_EQ(router_->match("HEAD", "/q/v1/records").tool->name, "q.list");
}

TEST_F(RouterTest, LiteralSegmentsBeatParameters) {
  EXPECT_EQ(router_->match("GET", "/q/v1/records/latest").tool->name, "q.latest");
}

TEST_F(RouterTest, NotFoundAndMethodNotAllowed) {
  EXPECT_EQ(router_->match("GET", "/q/v1/nothing").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_->match("GET", "/q/v1/records/a/b").kind, RouteMatch::Kind::kNotFound);
  auto m = router_->match("DELETE", "/q/v1/records/x");
  EXPECT_EQ(m.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allowed.size(), 2u);
  EXPECT_EQ(router_->match("GET", "/q/v1/records/%zz").kind, RouteMatch::Kind::kNotFound);
}

TEST_F(RouterTest, DuplicateBindingsFailTheBuild) {
  ToolRegistry r;
  ASSERT_TRUE(r.add("q", bound("q.a", "GET", "/q/v1/x/{id}"), true).ok());
  ASSERT_TRUE(r.add("q", bound("q.b", "GET", "/q/v1/x/{other}"), true).ok());
  EXPECT_FALSE(Router::build(r).ok());
  ToolRegistry bad;
  ASSERT_TRUE(bad.add("q", bound("q.c", "GET", "no-slash"), true).ok());
  EXPECT_FALSE(Router::build(bad).ok());
}

TEST_F(RouterTest, BuildInputMergesAndCoerces) {
  const Tool& t = *registry_.find("q.put");
  auto in = build_input(t, {{"key", "k1"}}, "limit=5&ratio=0.5&deep=true&tags=a&tags=b%20c&ids=1&ids=2",
                        R"({"value":{"x":1}})");
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  EXPECT_EQ(*in, (Json{{"key", "k1"}, {"limit", 5}, {"ratio", 0.5}, {"deep", true}, {"tags", {"a", "b c"}},
                       {"ids", {1, 2}}, {"value", {{"x", 1}}}}));
}

TEST_F(RouterTest, BuildInputRefusesBadValues) {
  const Tool& t = *registry_.find("q.put");
  for (const char* q : {"limit=ten", "limit=5&limit=6", "deep=yes", "ratio=1.5x", "ids=1&ids=x", "x=%2", "limit="})
    EXPECT_EQ(build_input(t, {}, q, "").status().code(), "VALIDATION_ERROR") << q;
  EXPECT_EQ(build_input(t, {}, "", "[1]").status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(build_input(t, {}, "", "{").status().code(), "VALIDATION_ERROR");
  EXPECT_EQ(build_input(t, {{"key", "a"}}, "", R"({"key":"b"})").status().code(), "VALIDATION_ERROR");
  EXPECT_TRUE(build_input(t, {{"key", "a"}}, "", R"({"key":"a"})").ok());
  std::string many;
  for (int i = 0; i < 70; ++i) many.append("p").append(std::to_string(i)).append("=1&");
  EXPECT_EQ(build_input(t, {}, many, "").status().code(), "VALIDATION_ERROR");
}

TEST(PercentDecodeTest, Cases) {
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("a+c", false), "a+c");
  EXPECT_EQ(percent_decode("%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%4", false), std::nullopt);
  EXPECT_EQ(percent_decode("%g0", false), std::nullopt);
  EXPECT_EQ(template_params("/a/{x}/b/{y}"), (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace anarq
