#include "core/schema_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace anarq {
namespace {

const Json kSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "items"],
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 8},
    "age": {"type": "integer", "minimum": 0},
    "when": {"type": "string", "format": "date-time"},
    "kind": {"enum": ["a", "b"]},
    "items": {"type": "array", "maxItems": 2, "items": {"type": "object", "required": ["id"],
              "properties": {"id": {"type": "string", "pattern": "^[a-z]+$"}}}}
  }
})"_json;

std::set<std::string> pointers(const std::vector<Violation>& v) {
  std::set<std::string> out;
  for (const auto& x : v) out.insert(x.pointer);
  return out;
}

TEST(SchemaValidatorTest, ValidDocumentHasNoViolations) {
  auto v = SchemaValidator::compile(kSchema);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE((*v)->validate({{"name", "x"}, {"items", Json::array()}}).empty());
}

TEST(SchemaValidatorTest, ReportsEveryViolationWithItsPointer) {
  auto v = *SchemaValidator::compile(kSchema);
  Json doc = {{"name", ""}, {"age", -1}, {"kind", "c"}, {"when", "yesterday"}, {"extra", 1},
              {"items", {{{"id", "OK1"}}, {{"nope", 1}}}}};
  auto violations = v->validate(doc);
  auto p = pointers(violations);
  for (const char* want : {"/name", "/age", "/kind", "/when", "/extra", "/items/0/id", "/items/1"})
    EXPECT_TRUE(p.count(want)) << want << " missing; got " << violations_to_status(violations, "x").details().dump();
  // Too many items: the size bound is reported and the items are not examined.
  doc["items"] = {{{"id", "OK1"}}, {{"nope", 1}}, {{"id", "a"}}};
  p = pointers(v->validate(doc));
  EXPECT_TRUE(p.count("/items"));
  EXPECT_FALSE(p.count("/items/0/id"));
}

TEST(SchemaValidatorTest, MissingRequiredAndWrongRootType) {
  auto v = *SchemaValidator::compile(kSchema);
  EXPECT_FALSE(v->validate(Json::object()).empty());
  EXPECT_FALSE(v->validate(Json::array()).empty());
  EXPECT_FALSE(v->validate({{"name", 5}, {"items", Json::array()}}).empty());  // strong types: no coercion
}

TEST(SchemaValidatorTest, ViolationsBecomeAValidationErrorListingAll) {
  Status s = violations_to_status({{"/a", "bad"}, {"/b/0", "worse"}}, "input of t.x");
  EXPECT_EQ(s.code(), "VALIDATION_ERROR");
  EXPECT_EQ(s.details()["violations"].size(), 2u);
  EXPECT_EQ(s.details()["violations"][1]["pointer"], "/b/0");
  EXPECT_NE(s.message().find("(and 1 more)"), std::string::npos);
}

TEST(SchemaValidatorTest, InvalidSchemaIsRefusedAtCompileTime) {
  EXPECT_FALSE(SchemaValidator::compile(R"({"type": 12})"_json).ok());
  EXPECT_FALSE(SchemaValidator::compile(R"({"$ref": "http://example.com/remote.json"})"_json).ok());
  for (const char* bad : {R"({"type": "text"})", R"({"maxLength": -1})", R"({"minItems": 1.5})", R"({"required": [1]})",
                          R"({"properties": []})", R"({"anyOf": []})", R"({"multipleOf": 0})", R"({"enum": 3})",
                          R"({"items": 3})", R"({"uniqueItems": "yes"})", R"(7)", R"({"$ref": "#/definitions/missing"})",
                          R"({"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/a"}}})",
                          R"({"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}})",
                          R"({"properties": {"a": {"$ref": "#/required"}}, "required": ["a"]})"}) {
    auto c = SchemaValidator::compile(Json::parse(bad));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), "VALIDATION_ERROR") << bad;  // callers surface it as a 400
  }
}

// ---- Keywords, one by one --------------------------------------------------

// Compiles (asserting success) and answers whether doc is valid.
bool valid(const char* schema, const Json& doc) {
  auto v = SchemaValidator::compile(Json::parse(schema));
  EXPECT_TRUE(v.ok()) << schema << ": " << v.status().to_string();
  return v.ok() && (*v)->validate(doc).empty();
}

std::vector<Violation> check(const char* schema, const Json& doc) {
  auto v = SchemaValidator::compile(Json::parse(schema));
  EXPECT_TRUE(v.ok()) << schema << ": " << v.status().to_string();
  return v.ok() ? (*v)->validate(doc) : std::vector<Violation>{};
}

TEST(SchemaKeywordsTest, Type) {
  EXPECT_TRUE(valid(R"({"type": "integer"})", 3));
  EXPECT_TRUE(valid(R"({"type": "integer"})", Json::parse("1.0")));  // a number with zero fraction
  EXPECT_FALSE(valid(R"({"type": "integer"})", 1.5));
  EXPECT_TRUE(valid(R"({"type": "number"})", 1.5));
  EXPECT_TRUE(valid(R"({"type": "number"})", 7));
  EXPECT_FALSE(valid(R"({"type": "number"})", "7"));  // no coercion
  EXPECT_TRUE(valid(R"({"type": ["string", "null"]})", nullptr));
  EXPECT_FALSE(valid(R"({"type": ["string", "null"]})", false));
  EXPECT_TRUE(valid(R"({"type": "boolean"})", true));
  EXPECT_FALSE(valid(R"({"type": "object"})", Json::array()));
  EXPECT_TRUE(valid(R"({"type": "array"})", Json::array()));
  auto v = check(R"({"type": "string"})", 5);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "expected string, got integer");
}

TEST(SchemaKeywordsTest, EnumAndConstUseJsonEquality) {
  EXPECT_TRUE(valid(R"({"enum": [1, "a", {"x": [1, 2]}]})", Json::parse("1.0")));
  EXPECT_TRUE(valid(R"({"enum": [1, "a", {"x": [1, 2]}]})", Json::parse(R"({"x": [1, 2.0]})")));
  EXPECT_FALSE(valid(R"({"enum": [1, "a", {"x": [1, 2]}]})", Json::parse(R"({"x": [2, 1]})")));
  EXPECT_FALSE(valid(R"({"enum": [1, "a"]})", "b"));
  EXPECT_TRUE(valid(R"({"const": {"a": null}})", Json::parse(R"({"a": null})")));
  EXPECT_FALSE(valid(R"({"const": {"a": null}})", Json::object()));
  EXPECT_TRUE(valid(R"({"const": 2})", Json::parse("2.0")));
  EXPECT_FALSE(valid(R"({"const": false})", 0));
}

TEST(SchemaKeywordsTest, Numbers) {
  EXPECT_TRUE(valid(R"({"minimum": 1, "maximum": 3})", 3));
  EXPECT_FALSE(valid(R"({"minimum": 1, "maximum": 3})", 3.5));
  EXPECT_FALSE(valid(R"({"minimum": 1, "maximum": 3})", 0));
  EXPECT_FALSE(valid(R"({"exclusiveMaximum": 3})", 3));
  EXPECT_TRUE(valid(R"({"exclusiveMaximum": 3})", 2.999));
  EXPECT_FALSE(valid(R"({"exclusiveMinimum": 0})", 0));
  EXPECT_TRUE(valid(R"({"exclusiveMinimum": 0})", 1e-9));
  EXPECT_TRUE(valid(R"({"multipleOf": 2})", 10));
  EXPECT_FALSE(valid(R"({"multipleOf": 2})", 7));
  EXPECT_TRUE(valid(R"({"multipleOf": 0.1})", 0.3));
  EXPECT_FALSE(valid(R"({"multipleOf": 0.1})", 0.35));
  // Exact for integers beyond double precision.
  EXPECT_FALSE(valid(R"({"maximum": 9007199254740992})", Json::parse("9007199254740993")));
  EXPECT_TRUE(valid(R"({"maximum": 18446744073709551615})", Json::parse("18446744073709551615")));
  EXPECT_TRUE(valid(R"({"minimum": 5})", "not a number"));  // numeric keywords ignore other types
}

TEST(SchemaKeywordsTest, StringLengthCountsCodePoints) {
  EXPECT_TRUE(valid(R"({"maxLength": 5})", "h\u00e9llo"));       // 5 code points, 6 bytes
  EXPECT_TRUE(valid(R"({"maxLength": 1, "minLength": 1})", "\U0001F600"));  // one emoji, 4 bytes
  EXPECT_FALSE(valid(R"({"maxLength": 4})", "h\u00e9llo"));
  EXPECT_FALSE(valid(R"({"minLength": 2})", "\U0001F600"));
  auto v = check(R"({"maxLength": 2})", "abc");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "at most 2 characters (got 3)");
}

TEST(SchemaKeywordsTest, PatternIsAnUnanchoredSearchAndNamesWhatWasExpected) {
  EXPECT_TRUE(valid(R"({"pattern": "b"})", "abc"));
  EXPECT_FALSE(valid(R"({"pattern": "^b"})", "abc"));
  EXPECT_TRUE(valid(R"({"pattern": "^\\d{3}$"})", "123"));
  EXPECT_TRUE(valid(R"({"pattern": "^x"})", 12));  // strings only
  auto v = check(R"js({"type": "string", "pattern": "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$",
                      "description": "an Ed25519 did:key (did:key:z6Mk...)"})js", "did:web:example.com");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "does not match the expected form: an Ed25519 did:key (did:key:z6Mk...)");
  v = check(R"({"pattern": "^[a-z]+$", "title": "a lower-case word"})", "A");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "does not match the expected form: a lower-case word");
  v = check(R"({"pattern": "^[a-z]+$"})", "A");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "does not match the pattern ^[a-z]+$");
}

TEST(SchemaKeywordsTest, Arrays) {
  EXPECT_TRUE(valid(R"({"items": {"type": "integer"}})", {1, 2, 3}));
  auto v = check(R"({"items": {"type": "integer"}})", {1, "x", 3});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/1");
  const char* tuple = R"({"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false})";
  EXPECT_TRUE(valid(tuple, {"a", 1}));
  EXPECT_TRUE(valid(tuple, {"a"}));
  EXPECT_FALSE(valid(tuple, {1, 1}));
  v = check(tuple, {"a", 1, true});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/2");
  EXPECT_TRUE(valid(R"({"items": [{"type": "string"}], "additionalItems": {"type": "integer"}})", {"a", 1, 2}));
  EXPECT_FALSE(valid(R"({"items": [{"type": "string"}], "additionalItems": {"type": "integer"}})", {"a", 1, "b"}));
  EXPECT_TRUE(valid(R"({"items": [{"type": "string"}]})", {"a", 1, "b"}));  // no additionalItems: anything
  EXPECT_TRUE(valid(R"({"minItems": 1, "maxItems": 2})", {1}));
  EXPECT_FALSE(valid(R"({"minItems": 1, "maxItems": 2})", Json::array()));
  EXPECT_FALSE(valid(R"({"minItems": 1, "maxItems": 2})", {1, 2, 3}));
  EXPECT_TRUE(valid(R"({"contains": {"const": 3}})", {1, 3}));
  EXPECT_FALSE(valid(R"({"contains": {"const": 3}})", {1, 2}));
  EXPECT_FALSE(valid(R"({"contains": {"const": 3}})", Json::array()));
}

TEST(SchemaKeywordsTest, UniqueItemsComparesJsonValues) {
  const char* unique = R"({"uniqueItems": true})";
  EXPECT_TRUE(valid(unique, {1, 2, "1", Json::array(), Json::object(), nullptr, false}));
  EXPECT_FALSE(valid(unique, Json::parse("[1, 1.0]")));
  EXPECT_FALSE(valid(unique, Json::parse(R"([{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}])")));
  EXPECT_TRUE(valid(unique, Json::parse(R"([{"a": 1}, {"a": 2}, [1, 2], [2, 1]])")));
  EXPECT_TRUE(valid(R"({"uniqueItems": false})", {1, 1}));
  auto v = check(unique, {"a", "b", "a"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "items must be unique (items 0 and 2 are equal)");
}

TEST(SchemaKeywordsTest, TwentyThousandTagsAreBoundedBeforeTheyAreCompared) {
  Json tags = Json::array();
  for (int i = 0; i < 20000; ++i) tags.push_back("tag-" + std::to_string(i % 19999));  // one duplicate
  auto bounded = check(R"({"type": "array", "maxItems": 10, "uniqueItems": true, "items": {"type": "string", "maxLength": 32}})", tags);
  ASSERT_EQ(bounded.size(), 1u);
  EXPECT_EQ(bounded[0].reason, "at most 10 items (got 20000)");
  // Without the bound the duplicate is still found, by sorting rather than pairwise.
  auto unbounded = check(R"({"type": "array", "uniqueItems": true, "items": {"type": "string"}})", tags);
  ASSERT_EQ(unbounded.size(), 1u);
  EXPECT_EQ(unbounded[0].reason, "items must be unique (items 0 and 19999 are equal)");
}

TEST(SchemaKeywordsTest, Objects) {
  const char* s = R"({"type": "object", "required": ["a"], "minProperties": 1, "maxProperties": 3,
                      "properties": {"a": {"type": "integer"}},
                      "patternProperties": {"^x-": {"type": "string"}},
                      "additionalProperties": false})";
  EXPECT_TRUE(valid(s, {{"a", 1}, {"x-b", "c"}}));
  auto v = check(s, {{"a", 1}, {"x-b", 2}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/x-b");
  v = check(s, {{"a", 1}, {"b/c", 2}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/b~1c");
  EXPECT_EQ(v[0].reason, "unknown property 'b/c' (additionalProperties is false)");
  v = check(s, {{"x-b", "c"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "");
  EXPECT_EQ(v[0].reason, "missing required property 'a'");
  EXPECT_FALSE(valid(s, {{"a", 1}, {"x-1", "1"}, {"x-2", "2"}, {"x-3", "3"}}));
  EXPECT_FALSE(valid(s, Json::object()));
  EXPECT_TRUE(valid(R"({"additionalProperties": {"type": "integer"}})", {{"a", 1}}));
  EXPECT_FALSE(valid(R"({"additionalProperties": {"type": "integer"}})", {{"a", "1"}}));
  EXPECT_TRUE(valid(R"({"required": ["a"]})", 5));  // object keywords ignore other types
}

TEST(SchemaKeywordsTest, DependenciesAndPropertyNames) {
  const char* deps = R"({"dependencies": {"card": ["billing"], "refund": {"required": ["reason"]}}})";
  EXPECT_TRUE(valid(deps, {{"card", 1}, {"billing", 2}}));
  EXPECT_TRUE(valid(deps, {{"billing", 2}}));
  EXPECT_FALSE(valid(deps, {{"card", 1}}));
  EXPECT_FALSE(valid(deps, {{"refund", 1}}));
  EXPECT_TRUE(valid(deps, {{"refund", 1}, {"reason", "x"}}));
  const char* names = R"({"propertyNames": {"pattern": "^[a-z]+$", "maxLength": 3}})";
  EXPECT_TRUE(valid(names, {{"abc", 1}}));
  auto v = check(names, {{"abcd", 1}, {"ok", 1}, {"A", 1}});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(pointers(v), (std::set<std::string>{"/abcd", "/A"}));
}

TEST(SchemaKeywordsTest, Combinators) {
  EXPECT_TRUE(valid(R"({"allOf": [{"type": "integer"}, {"minimum": 2}]})", 3));
  EXPECT_FALSE(valid(R"({"allOf": [{"type": "integer"}, {"minimum": 2}]})", 1));
  EXPECT_TRUE(valid(R"({"anyOf": [{"type": "string"}, {"minimum": 2}]})", 3));
  EXPECT_TRUE(valid(R"({"anyOf": [{"type": "string"}, {"minimum": 2}]})", "x"));
  auto v = check(R"({"anyOf": [{"type": "string"}, {"minimum": 2}]})", 1);
  EXPECT_EQ(v.size(), 2u);  // the leaves of both branches
  const char* one = R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})";
  EXPECT_TRUE(valid(one, 1));
  EXPECT_TRUE(valid(one, 2.5));
  v = check(one, 3);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].reason, "matches more than one alternative of oneOf (#0 and #1)");
  EXPECT_FALSE(valid(one, 1.5));
  EXPECT_TRUE(valid(R"({"not": {"type": "string"}})", 1));
  EXPECT_FALSE(valid(R"({"not": {"type": "string"}})", "1"));
  const char* cond = R"({"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["a"]}, "else": {"required": ["b"]}})";
  EXPECT_TRUE(valid(cond, {{"kind", "a"}, {"a", 1}}));
  EXPECT_FALSE(valid(cond, {{"kind", "a"}, {"b", 1}}));
  EXPECT_TRUE(valid(cond, {{"kind", "z"}, {"b", 1}}));
  EXPECT_FALSE(valid(cond, {{"kind", "z"}}));
  // The same leaf through two branches is reported once.
  v = check(R"({"anyOf": [{"required": ["a"]}, {"required": ["a"], "type": "object"}]})", Json::object());
  EXPECT_EQ(v.size(), 1u);
}

TEST(SchemaKeywordsTest, BooleanSchemasAnnotationsAndUnknownKeywords) {
  EXPECT_TRUE(valid("true", {{"any", "thing"}}));
  EXPECT_FALSE(valid("false", nullptr));
  EXPECT_FALSE(valid(R"({"properties": {"a": false}})", {{"a", 1}}));
  EXPECT_TRUE(valid(R"({"properties": {"a": false}})", {{"b", 1}}));
  EXPECT_TRUE(valid(R"({"title": "t", "description": "d", "default": 3, "examples": [1], "$comment": "c", "readOnly": true,
                      "x-vendor": {"type": "string"}, "$schema": "http://json-schema.org/draft-07/schema#"})", 5));
  EXPECT_TRUE(valid(R"({"format": "no-such-format"})", "anything"));
}

TEST(SchemaKeywordsTest, Formats) {
  struct Case { const char* format; const char* value; bool ok; };
  for (const Case& c : std::vector<Case>{
           {"date-time", "2026-01-31T12:00:00Z", true}, {"date-time", "2026-01-31t12:00:00.123+05:30", true},
           {"date-time", "2024-02-29T00:00:00Z", true}, {"date-time", "2023-02-29T00:00:00Z", false},
           {"date-time", "2026-04-31T00:00:00Z", false}, {"date-time", "2026-01-31 12:00:00Z", false},
           {"date-time", "2026-01-31T24:00:00Z", false}, {"date-time", "2026-01-31T12:00:00", false},
           {"date-time", "yesterday", false}, {"date-time", "2026-13-01T00:00:00Z", false},
           {"date-time", "2026-12-31T23:59:60Z", true}, {"date-time", "2026-12-31T23:59:59.Z", false},
           {"date", "2000-02-29", true}, {"date", "1900-02-29", false}, {"date", "2026-1-01", false},
           {"time", "23:59:59-01:00", true}, {"time", "23:60:00Z", false},
           {"email", "alice@example.com", true}, {"email", "alice", false}, {"email", "a@b@c", false},
           {"email", "a b@example.com", false},
           {"uri", "https://example.com/a?b=c#d", true}, {"uri", "urn:isbn:0451450523", true}, {"uri", "/relative", false},
           {"uri", "http://exa mple.com", false},
           {"uuid", "0190a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b", true}, {"uuid", "0190a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7", false},
           {"ipv4", "192.168.0.1", true}, {"ipv4", "256.1.1.1", false}, {"ipv4", "01.2.3.4", false}, {"ipv4", "1.2.3", false},
           {"ipv6", "::1", true}, {"ipv6", "2001:db8::8a2e:370:7334", true}, {"ipv6", "2001:db8:::1", false},
           {"hostname", "node-1.example.com", true}, {"hostname", "-bad.example", false},
           {"hostname", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", false},
           {"regex", "^[a-z]+$", true}, {"regex", "(", false}, {"regex", "(a)\\1", false}}) {
    Json schema = {{"format", c.format}};
    auto v = SchemaValidator::compile(schema);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ((*v)->validate(Json(c.value)).empty(), c.ok) << c.format << " " << c.value;
  }
}

TEST(SchemaKeywordsTest, ANonStringInAFormatFieldIsATypeViolationNotAnException) {
  const char* s = R"({"type": "object", "properties": {"when": {"type": "string", "format": "date-time"}}})";
  for (const Json& bad : {Json::object(), Json::array({1, 2}), Json(5), Json(nullptr)}) {
    auto v = check(s, {{"when", bad}});
    ASSERT_EQ(v.size(), 1u) << bad.dump();
    EXPECT_EQ(v[0].pointer, "/when");
    EXPECT_THAT(v[0].reason, ::testing::StartsWith("expected string"));
  }
  EXPECT_TRUE(valid(R"({"format": "date-time"})", Json::object()));  // format alone asserts on strings only
}

TEST(SchemaKeywordsTest, LocalRefsAndRecursiveSchemas) {
  const char* tree = R"({"$ref": "#/definitions/node",
    "definitions": {"node": {"type": "object", "required": ["v"],
      "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}}})";
  EXPECT_TRUE(valid(tree, Json::parse(R"({"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]})")));
  auto v = check(tree, Json::parse(R"({"v": 1, "kids": [{"v": 2, "kids": [{"v": "3"}]}]})"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].pointer, "/kids/0/kids/0/v");
  // "#" is the whole document.
  const char* list = R"({"type": "object", "properties": {"next": {"$ref": "#"}, "n": {"type": "integer"}}})";
  EXPECT_TRUE(valid(list, Json::parse(R"({"n": 1, "next": {"n": 2, "next": {}}})")));
  EXPECT_FALSE(valid(list, Json::parse(R"({"n": 1, "next": {"n": "2"}})")));
  // Escaped pointer tokens (~1 for '/', percent-encoding for the URI fragment).
  EXPECT_FALSE(valid(R"({"$ref": "#/definitions/a~1b%25", "definitions": {"a/b%": {"type": "string"}}})", 1));
  EXPECT_TRUE(valid(R"({"$ref": "#/definitions/a~1b%25", "definitions": {"a/b%": {"type": "string"}}})", "x"));
  // Siblings of $ref are ignored (draft-07).
  EXPECT_TRUE(valid(R"({"$ref": "#/definitions/s", "type": "integer", "definitions": {"s": {"type": "string"}}})", "x"));
  // A ref into another keyword's subschema.
  EXPECT_FALSE(valid(R"({"properties": {"a": {"type": "string"}, "b": {"$ref": "#/properties/a"}}})", {{"b", 1}}));
}

// ---- Patterns run on RE2 ---------------------------------------------------

TEST(SchemaPatternTest, HugeStringsAgainstPatternsReturnWithoutCrashing) {
  auto did = *SchemaValidator::compile(R"({"type": "string", "pattern": "^did:key:z[1-9A-HJ-NP-Za-km-z]+$"})"_json);
  std::string huge = "did:key:z" + std::string(200000, 'a');
  EXPECT_TRUE(did->validate(huge).empty());
  EXPECT_FALSE(did->validate(huge + "0").empty());
  auto topic = *SchemaValidator::compile(R"({"pattern": "^q\\.[a-z][a-z0-9]*(\\.[a-z][a-z0-9_]*)+\\.v[1-9][0-9]*$"})"_json);
  std::string long_topic = "q.a";
  for (int i = 0; i < 40000; ++i) long_topic += ".abcd";
  EXPECT_FALSE(topic->validate(long_topic).empty());
  EXPECT_TRUE(topic->validate(long_topic + ".v1").empty());
}

TEST(SchemaPatternTest, CatastrophicPatternsRunInLinearTime) {
  auto v = *SchemaValidator::compile(R"({"pattern": "^(a+)+$"})"_json);
  EXPECT_FALSE(v->validate(std::string(50000, 'a') + "b").empty());
  EXPECT_TRUE(v->validate(std::string(50000, 'a')).empty());
}

TEST(SchemaPatternTest, PatternsRe2CannotCompileAreRefusedNamingWhere) {
  for (const char* p : {"(", "[z-a]", "(a)\\\\1", "(?=a)b", "a{2000}"}) {
    auto c = SchemaValidator::compile(Json::parse(std::string(R"({"properties": {"id": {"pattern": ")") + p + "\"}}}"));
    ASSERT_FALSE(c.ok()) << p;
    EXPECT_EQ(c.status().code(), "VALIDATION_ERROR");
    EXPECT_THAT(c.status().message(), ::testing::HasSubstr("/properties/id/pattern")) << c.status().message();
  }
  auto c = SchemaValidator::compile(R"({"patternProperties": {"[z-a]": true}})"_json);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), ::testing::HasSubstr("/patternProperties/[z-a]"));
  Json many = {{"anyOf", Json::array()}};
  for (int i = 0; i < 300; ++i) many["anyOf"].push_back({{"pattern", "^a" + std::to_string(i) + "$"}});
  EXPECT_FALSE(SchemaValidator::compile(many).ok()) << "the number of patterns per schema is bounded";
}

// ---- Bounds ----------------------------------------------------------------

TEST(SchemaBoundsTest, DeepDocumentsHitTheDepthBoundNotTheStack) {
  Json deep = Json::array();
  for (int i = 0; i < 1000; ++i) deep = Json::array({deep});
  auto v = check(R"({"items": {"$ref": "#"}})", deep);
  ASSERT_FALSE(v.empty());
  EXPECT_THAT(v[0].reason, ::testing::HasSubstr("nested deeper than 128 levels"));
  EXPECT_TRUE(valid("{}", deep)) << "a schema that does not descend does not walk the value";
  EXPECT_FALSE(valid(R"({"uniqueItems": true})", Json::array({deep, 1})));
}

TEST(SchemaBoundsTest, ExponentialSchemasHitTheWorkBudget) {
  // Each level doubles the work of the one below: 2^40 evaluations unbounded.
  Json s = {{"definitions", Json::object()}};
  for (int i = 0; i < 40; ++i) {
    std::string next = "#/definitions/d" + std::to_string(i + 1);
    s["definitions"]["d" + std::to_string(i)] = {{"anyOf", {{{"$ref", next}}, {{"$ref", next}}}}};
  }
  s["definitions"]["d40"] = {{"type", "string"}};
  s["$ref"] = "#/definitions/d0";
  auto v = SchemaValidator::compile(s);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  auto out = (*v)->validate(1);
  ASSERT_FALSE(out.empty());
  EXPECT_THAT(out[0].reason, ::testing::HasSubstr("validation stopped"));
  // A not-wrapped budget overrun is still a rejection.
  s["not"] = s;
  s.erase("$ref");
  s["definitions"] = s["not"]["definitions"];
  auto n = SchemaValidator::compile(s);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_FALSE((*n)->validate(1).empty());
}

TEST(SchemaBoundsTest, ViolationsAreCappedAt100) {
  Json doc = Json::array();
  for (int i = 0; i < 1000; ++i) doc.push_back("x");
  EXPECT_EQ(check(R"({"items": {"type": "integer"}})", doc).size(), 100u);
}

TEST(SchemaBoundsTest, OneCompiledSchemaValidatesFromManyThreads) {
  auto v = *SchemaValidator::compile(kSchema);
  Json good = {{"name", "x"}, {"items", {{{"id", "abc"}}}}};
  Json bad = {{"name", "toolongname"}, {"items", {{{"id", "ABC"}}}}};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!v->validate(good).empty()) ++wrong;
        if (v->validate(bad).size() != 2) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace anarq
