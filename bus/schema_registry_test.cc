#include "bus/schema_registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "store/testing.h"

namespace anarq::bus {
namespace {

constexpr int64_t kStart = 1'764'079'200'000;
constexpr const char* kTopic = "q.mail.sent.v1";
constexpr const char* kOwner = "module:mail";

using ::anarq::testing::TempDir;

// A closed object with a string `to` (adding optional fields is BACKWARD compatible).
Json closed(Json extra_properties = Json::object()) {
  Json props = {{"to", {{"type", "string"}}}};
  for (const auto& [k, v] : extra_properties.items()) props[k] = v;
  return {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

class SchemaRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_sqlite(dir_.path() + "/state.db").value();
    ASSERT_TRUE(db_->migrate("bus_registry", SchemaRegistry::migrations()).ok());
    reg_ = std::make_unique<SchemaRegistry>(*db_, clock_);
  }
  Result<RegisterResult> reg(const std::string& topic, const Json& schema,
                             std::optional<CompatMode> mode = std::nullopt, const std::string& owner = kOwner) {
    RegisterRequest r;
    r.topic = topic;
    r.schema = schema;
    r.compatibility = mode;
    r.owner = owner;
    r.description = "mail was sent";
    return reg_->register_schema(r);
  }

  TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<Db> db_;
  std::unique_ptr<SchemaRegistry> reg_;
};

TEST_F(SchemaRegistryTest, RegisterThenIdenticalReRegisterAddsNothing) {
  auto first = reg(kTopic, closed());
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->topic.owner, kOwner);
  EXPECT_EQ(first->topic.latest, 1);
  EXPECT_EQ(first->topic.compatibility, CompatMode::kBackward);
  EXPECT_EQ(first->topic.created_ms, kStart);
  auto again = reg(kTopic, closed());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(*reg_->versions(kTopic), (std::vector<int>{1}));
}

TEST_F(SchemaRegistryTest, CompatibleChangeAddsAVersion) {
  ASSERT_TRUE(reg(kTopic, closed()).ok());
  Json v2 = closed({{"cc", {{"type", "string"}}}});
  auto r = reg(kTopic, v2);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->topic.latest, 2);
  EXPECT_EQ(*reg_->versions(kTopic), (std::vector<int>{1, 2}));
  EXPECT_EQ(reg_->get(kTopic, 1)->schema, closed());
  EXPECT_EQ(reg_->get(kTopic, 0)->schema, v2);
  EXPECT_EQ(reg_->get(kTopic, 0)->version, 2);
  EXPECT_EQ(reg_->get(kTopic, 3).status().code(), "NOT_FOUND");
  EXPECT_EQ(reg_->get("q.mail.unknown.v1").status().code(), "NOT_FOUND");
  EXPECT_TRUE(reg_->versions("q.mail.unknown.v1")->empty());
  // validate follows the latest version.
  EXPECT_EQ(*reg_->validate(kTopic, {{"to", "bob"}, {"cc", "carol"}}), 2);
}

TEST_F(SchemaRegistryTest, IncompatibleChangeUnderBackwardIsAConflictListingEachProblem) {
  ASSERT_TRUE(reg(kTopic, closed()).ok());
  Json breaking = {{"type", "object"},
                   {"properties", {{"to", {{"type", "integer"}}}}},  // string -> integer
                   {"additionalProperties", false},
                   {"required", {"to"}}};
  auto r = reg(kTopic, breaking);
  ASSERT_EQ(r.status().code(), "VERSION_CONFLICT");
  const Json& d = r.status().details();
  EXPECT_EQ(d["compatibility"], "BACKWARD");
  ASSERT_TRUE(d["incompatibilities"].is_array());
  ASSERT_FALSE(d["incompatibilities"].empty());
  for (const Json& inc : d["incompatibilities"]) {
    ASSERT_TRUE(inc["type"].is_string());
    EXPECT_FALSE(inc["type"].get<std::string>().empty());
    ASSERT_TRUE(inc["pointer"].is_string());
    std::string p = inc["pointer"];
    EXPECT_TRUE(p.empty() || p[0] == '/') << p;
    EXPECT_EQ(inc["version"], 1);
  }
  EXPECT_EQ(*reg_->versions(kTopic), (std::vector<int>{1}));  // nothing added
  // check() says the same without changing anything.
  auto problems = reg_->check(kTopic, breaking);
  ASSERT_TRUE(problems.ok());
  EXPECT_EQ(problems->size(), d["incompatibilities"].size());
  EXPECT_TRUE(reg_->check(kTopic, breaking, CompatMode::kNone)->empty());
  EXPECT_TRUE(reg_->check("q.mail.new.v1", breaking)->empty());  // nothing to conflict with
  // What register refuses, check refuses: a pattern RE2 cannot run.
  auto unusable = reg_->check("q.mail.new.v1", Json{{"type", "string"}, {"pattern", "(a)\\1"}});
  ASSERT_FALSE(unusable.ok());
  EXPECT_EQ(unusable.status().code(), "VALIDATION_ERROR");
}

TEST_F(SchemaRegistryTest, NoneModeAcceptsAnythingAndModeChangesOnRegister) {
  ASSERT_TRUE(reg("q.free.x.v1", closed(), CompatMode::kNone).ok());
  auto r = reg("q.free.x.v1", Json{{"type", "integer"}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->topic.compatibility, CompatMode::kNone);

  ASSERT_TRUE(reg(kTopic, closed()).ok());
  ASSERT_EQ(reg(kTopic, Json{{"type", "integer"}}).status().code(), "VERSION_CONFLICT");
  auto relaxed = reg(kTopic, Json{{"type", "integer"}}, CompatMode::kNone);  // the request changes the mode
  ASSERT_TRUE(relaxed.ok()) << relaxed.status().to_string();
  EXPECT_EQ(relaxed->version, 2);
  EXPECT_EQ(reg_->topic(kTopic)->compatibility, CompatMode::kNone);
  // An identical schema with another mode changes only the mode.
  auto strict = reg(kTopic, Json{{"type", "integer"}}, CompatMode::kFull);
  ASSERT_TRUE(strict.ok());
  EXPECT_FALSE(strict->created);
  EXPECT_EQ(strict->topic.compatibility, CompatMode::kFull);
  EXPECT_EQ(reg_->topic(kTopic)->compatibility, CompatMode::kFull);
  EXPECT_EQ(reg(kTopic, Json{{"type", "string"}}).status().code(), "VERSION_CONFLICT");
}

TEST_F(SchemaRegistryTest, OnlyTheOwnerAddsVersionsOrDeprecates) {
  ASSERT_TRUE(reg(kTopic, closed()).ok());
  EXPECT_EQ(reg(kTopic, closed({{"cc", {{"type", "string"}}}}), std::nullopt, "module:chat").status().code(),
            "QONSENT_DENIED");
  EXPECT_EQ(reg(kTopic, closed(), std::nullopt, "did:key:z6MkOther").status().code(), "QONSENT_DENIED");
  EXPECT_EQ(reg_->deprecate(kTopic, "module:chat", true, "", "").status().code(), "QONSENT_DENIED");
  EXPECT_EQ(reg_->topic(kTopic)->latest, 1);
  EXPECT_FALSE(reg_->topic(kTopic)->deprecated);
  EXPECT_EQ(reg(kTopic, closed(), std::nullopt, "").status().code(), "INTERNAL_ERROR");  // no owner at all
}

TEST_F(SchemaRegistryTest, ExamplesMustValidate) {
  RegisterRequest r;
  r.topic = kTopic;
  r.schema = closed();
  r.owner = kOwner;
  r.examples = Json::array({{{"to", "bob"}}, {{"to", 7}}});
  auto bad = reg_->register_schema(r);
  ASSERT_EQ(bad.status().code(), "VALIDATION_ERROR");
  EXPECT_NE(bad.status().message().find("example 1"), std::string::npos) << bad.status().message();
  EXPECT_EQ(reg_->topic(kTopic).status().code(), "NOT_FOUND");  // nothing registered
  r.examples = Json{{"to", "bob"}};  // not an array
  EXPECT_EQ(reg_->register_schema(r).status().code(), "VALIDATION_ERROR");
  r.examples = Json::array({{{"to", "bob"}}});
  ASSERT_TRUE(reg_->register_schema(r).ok());
  EXPECT_EQ(reg_->get(kTopic)->examples, r.examples);
}

TEST_F(SchemaRegistryTest, SchemaSizeIsBounded) {
  const size_t overhead = dump_compact(Json{{"description", ""}}).size();
  Json at_limit = {{"description", std::string(kMaxSchemaBytes - overhead, 'x')}};
  ASSERT_EQ(dump_compact(at_limit).size(), kMaxSchemaBytes);
  EXPECT_TRUE(reg("q.big.ok.v1", at_limit).ok());
  Json over = {{"description", std::string(kMaxSchemaBytes - overhead + 1, 'x')}};
  EXPECT_EQ(reg("q.big.over.v1", over).status().code(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(reg_->topic("q.big.over.v1").status().code(), "NOT_FOUND");
  EXPECT_EQ(reg("q.big.bad.v1", Json::array()).status().code(), "VALIDATION_ERROR");  // not a schema
  EXPECT_EQ(reg("q.Bad", closed()).status().code(), "VALIDATION_ERROR");              // not a topic
}

TEST_F(SchemaRegistryTest, ValidateNamesUnknownTopicsAndViolations) {
  EXPECT_EQ(reg_->validate("q.mail.unknown.v1", {{"to", "bob"}}).status().code(), "NOT_FOUND");
  EXPECT_EQ(reg_->validate("not-a-topic", {{"to", "bob"}}).status().code(), "VALIDATION_ERROR");
  ASSERT_TRUE(reg(kTopic, closed()).ok());
  EXPECT_EQ(*reg_->validate(kTopic, {{"to", "bob"}}), 1);
  auto bad = reg_->validate(kTopic, {{"to", "bob"}, {"extra", 1}});
  ASSERT_EQ(bad.status().code(), "VALIDATION_ERROR");
  ASSERT_TRUE(bad.status().details()["violations"].is_array());
  EXPECT_FALSE(bad.status().details()["violations"].empty());
}

TEST_F(SchemaRegistryTest, ListPaginatesByNameWithinAPattern) {
  for (const char* t : {"q.a.two.v1", "q.b.one.v1", "q.a.one.v1", "q.a.three.v1"})
    ASSERT_TRUE(reg(t, closed()).ok());
  auto names = [](const Result<std::vector<TopicInfo>>& r) {
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& t : *r) out.push_back(t.topic);
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(reg_->list("q.a.>", "", 2)), (Names{"q.a.one.v1", "q.a.three.v1"}));
  EXPECT_EQ(names(reg_->list("q.a.>", "q.a.three.v1", 2)), (Names{"q.a.two.v1"}));
  EXPECT_EQ(names(reg_->list("q.a.>", "q.a.two.v1", 2)), (Names{}));
  EXPECT_EQ(names(reg_->list(">", "", 100)), (Names{"q.a.one.v1", "q.a.three.v1", "q.a.two.v1", "q.b.one.v1"}));
  EXPECT_EQ(names(reg_->list("q.*.one.v1", "", 100)), (Names{"q.a.one.v1", "q.b.one.v1"}));
  EXPECT_EQ(reg_->list("q..x", "", 10).status().code(), "VALIDATION_ERROR");
}

TEST_F(SchemaRegistryTest, DeprecateShowsInTopicAndJsonAndUndeprecateClears) {
  ASSERT_TRUE(reg(kTopic, closed()).ok());
  EXPECT_TRUE(topic_json(*reg_->topic(kTopic))["deprecated"].is_null());
  clock_.advance_ms(60'000);
  const int64_t since = clock_.now_ms();
  auto d = reg_->deprecate(kTopic, kOwner, true, "2026-12-31", "q.mail.sent.v2");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_TRUE(d->deprecated);
  EXPECT_EQ(d->deprecated_ms, since);
  EXPECT_EQ(d->sunset, "2026-12-31");
  EXPECT_EQ(d->replacement, "q.mail.sent.v2");
  Json j = topic_json(*reg_->topic(kTopic));
  EXPECT_EQ(j["deprecated"]["since"], format_rfc3339_ms(since));
  EXPECT_EQ(j["deprecated"]["sunset"], "2026-12-31");
  EXPECT_EQ(j["deprecated"]["replacement"], "q.mail.sent.v2");
  EXPECT_EQ(j["topic"], kTopic);

  clock_.advance_ms(60'000);  // deprecating again keeps the first date
  EXPECT_EQ(reg_->deprecate(kTopic, kOwner, true, "", "")->deprecated_ms, since);
  EXPECT_FALSE(topic_json(*reg_->topic(kTopic))["deprecated"].contains("sunset"));
  EXPECT_EQ(reg_->deprecate(kTopic, kOwner, true, "", "not a topic").status().code(), "VALIDATION_ERROR");

  auto u = reg_->deprecate(kTopic, kOwner, false, "2027-01-01", "q.mail.sent.v2");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->deprecated);
  EXPECT_EQ(u->deprecated_ms, 0);
  EXPECT_TRUE(u->sunset.empty());
  EXPECT_TRUE(u->replacement.empty());
  EXPECT_TRUE(topic_json(*reg_->topic(kTopic))["deprecated"].is_null());
  EXPECT_EQ(reg_->deprecate("q.mail.unknown.v1", kOwner, true, "", "").status().code(), "NOT_FOUND");
}

TEST_F(SchemaRegistryTest, UpcastersAreUniquePerTopic) {
  auto add_one = [](const Json& p) -> Result<Json> { return Json{{"count", p.value("n", 0) + 1}}; };
  EXPECT_FALSE(reg_->has_upcaster(kTopic));
  EXPECT_EQ(reg_->upcast(kTopic, {{"n", 1}}).status().code(), "NOT_FOUND");
  ASSERT_TRUE(reg_->add_upcaster(kTopic, add_one).ok());
  EXPECT_TRUE(reg_->has_upcaster(kTopic));
  EXPECT_EQ(*reg_->upcast(kTopic, {{"n", 1}}), (Json{{"count", 2}}));
  EXPECT_EQ(reg_->add_upcaster(kTopic, add_one).code(), "INTERNAL_ERROR");
  EXPECT_EQ(*reg_->upcast(kTopic, {{"n", 1}}), (Json{{"count", 2}}));  // the first one stays
  EXPECT_EQ(reg_->add_upcaster("q.Bad", add_one).code(), "INTERNAL_ERROR");
}

}  // namespace
}  // namespace anarq::bus
