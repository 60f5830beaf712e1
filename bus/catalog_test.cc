#include "bus/catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/clock.h"
#include "store/testing.h"

namespace anarq::bus {
namespace {

using ::anarq::testing::TempDir;

// A registry holding the same topics, registered at `now_ms`.
class Registry {
 public:
  explicit Registry(int64_t now_ms) : clock_(now_ms) {
    db_ = open_sqlite(dir_.path() + "/state.db").value();
    EXPECT_TRUE(db_->migrate("bus_registry", SchemaRegistry::migrations()).ok());
    reg_ = std::make_unique<SchemaRegistry>(*db_, clock_);
    Json sent = {{"type", "object"},
                 {"properties",
                  {{"to", {{"type", "string"}, {"description", "the recipient's DID"}}},
                   {"size", {{"type", "integer"}, {"description", "bytes"}}},
                   {"labels", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
                 {"required", {"to"}}};
    add("q.mail.sent.v1", sent, "module:mail", Json::array({{{"to", "did:key:z6MkBob"}, {"size", 12}}}));
    add("q.mail.read.v1", {{"type", "object"}, {"properties", {{"by", {{"type", "string"}}}}}}, "module:mail");
    add("q.chat.msg.v1", {{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}}, "module:chat");
    add("q.mailer.queued.v1", {{"type", "object"}, {"properties", {{"queue", {{"type", "string"}}}}}},
        "module:mailer");
    add("q.mail.custom.v1", {{"type", "object"}, {"properties", {{"custom", {{"type", "string"}}}}}},
        "did:key:z6MkSomeone");
    clock_.advance_ms(3'600'000);
    EXPECT_TRUE(reg_->deprecate("q.mail.read.v1", "module:mail", true, "2027-01-01", "q.mail.read.v2").ok());
  }
  SchemaRegistry& reg() { return *reg_; }

 private:
  void add(const std::string& topic, const Json& schema, const std::string& owner, Json examples = Json::array()) {
    RegisterRequest r;
    r.topic = topic;
    r.schema = schema;
    r.owner = owner;
    r.description = "What " + topic + " reports.";
    r.examples = std::move(examples);
    auto res = reg_->register_schema(r);
    EXPECT_TRUE(res.ok()) << res.status().to_string();
  }
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<SchemaRegistry> reg_;
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(EventCatalogTest, ListsOnlyTheModulesTopicsWithEveryField) {
  Registry r(1'764'079'200'000);
  auto cat = event_catalog(r.reg(), "mail");
  ASSERT_TRUE(cat.ok()) << cat.status().to_string();
  EXPECT_TRUE(has(*cat, "## `q.mail.sent.v1`")) << *cat;
  EXPECT_TRUE(has(*cat, "## `q.mail.read.v1`"));
  EXPECT_FALSE(has(*cat, "q.chat.msg.v1"));
  EXPECT_FALSE(has(*cat, "q.mailer.queued.v1"));  // module:mailer is another module
  EXPECT_FALSE(has(*cat, "q.mail.custom.v1"));    // owned by an identity, not the module
  for (const char* field : {"`to`", "`size`", "`labels`", "`by`"}) EXPECT_TRUE(has(*cat, field)) << field;
  EXPECT_TRUE(has(*cat, "the recipient's DID"));
  EXPECT_TRUE(has(*cat, "What q.mail.sent.v1 reports."));
  EXPECT_TRUE(has(*cat, "Deprecated"));
  EXPECT_TRUE(has(*cat, "2027-01-01"));
  EXPECT_TRUE(has(*cat, "q.mail.read.v2"));
  EXPECT_TRUE(has(*cat, "did:key:z6MkBob"));  // the example payload
  EXPECT_FALSE(has(*cat, "publishes no events"));
}

TEST(EventCatalogTest, IsDeterministicWithoutTimestamps) {
  Registry early(1'764'079'200'000);  // 2025-11-25
  Registry late(1'900'000'000'000);   // 2030-03-17
  auto a = event_catalog(early.reg(), "mail");
  auto b = event_catalog(early.reg(), "mail");
  auto c = event_catalog(late.reg(), "mail");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);  // registration and deprecation times do not show
  EXPECT_FALSE(has(*a, "2025-11-25"));
}

TEST(EventCatalogTest, AModuleWithoutTopicsSaysSo) {
  Registry r(1'764'079'200'000);
  auto cat = event_catalog(r.reg(), "ghost");
  ASSERT_TRUE(cat.ok());
  EXPECT_TRUE(has(*cat, "publishes no events")) << *cat;
  EXPECT_FALSE(has(*cat, "## `"));
  EXPECT_TRUE(has(*cat, "# ghost events"));
}

}  // namespace
}  // namespace anarq::bus
