// Schema validation in the product. First, the registry refuses schemas whose
// patterns RE2 cannot run with a 400 and runs catastrophic ones in linear time.
// Then a differential test: our draft-07 validator (core/schema_validator) against
// valijson, which the product used before and which stays as the oracle here
// only. For every tool's input schema and every embedded event schema, a
// corpus of instances derived from the schema (a plausible valid value, then
// each property missing, null, of every other type, at a boundary, too long,
// plus extra fields) must get the same valid/invalid verdict from both.
//
// Where the two legitimately differ the corpus stays out of the way: strings
// are short (valijson's std::regex recurses per character), numbers with a
// zero fraction are not generated (valijson's strong types call 1.0 a
// non-integer; draft-07 calls it an integer), dates are not shortened
// (valijson takes a year of any length), and formats valijson does not check
// (email, uuid, ...) are removed from the schemas given to both.
#include <gtest/gtest.h>

#include <cctype>
#include <regex>
// valijson's templates trip GCC 12's -Wrestrict false positive at -O2 (in the
// std::string operations they instantiate, reported where they are used): the
// warning is about their code, so it is off for this test file only.
#pragma GCC diagnostic ignored "-Wrestrict"
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "app/node.h"
#include "core/schema_validator.h"
#include "runtime/module.h"

namespace anarq::test {
namespace {

constexpr size_t kMaxOracleString = 300;

// Formats valijson 1.0 asserts; the others are removed for both validators.
Json strip_unchecked_formats(const Json& s) {
  if (s.is_array()) {
    Json out = Json::array();
    for (const auto& e : s) out.push_back(strip_unchecked_formats(e));
    return out;
  }
  if (!s.is_object()) return s;
  Json out = Json::object();
  for (const auto& [k, v] : s.items()) {
    if (k == "format" && v.is_string() && v != "date-time" && v != "date" && v != "time") continue;
    out[k] = strip_unchecked_formats(v);
  }
  return out;
}

const Json* resolve(const Json& root, const std::string& ref) {
  if (ref.rfind("#", 0) != 0) return nullptr;
  try {
    return &root.at(Json::json_pointer(ref.substr(1)));
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string string_for(const Json& s) {
  if (s.contains("enum") && s["enum"].is_array() && !s["enum"].empty() && s["enum"][0].is_string()) return s["enum"][0];
  std::string f = s.value("format", "");
  if (f == "date-time") return "2026-01-31T12:00:00Z";
  if (f == "date") return "2026-01-31";
  if (f == "time") return "12:00:00Z";
  if (f == "email") return "alice@example.com";
  if (f == "uuid") return "0190a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b";
  size_t min = s.value("minLength", 0);
  if (s.contains("pattern") && s["pattern"].is_string()) {
    const std::string did = "did:key:z6Mk" + std::string(44, 'a');
    for (const std::string& c : {std::string("abc"), std::string("ABC"), std::string("q.test.thing.v1"), did,
                                 std::string(86, 'A'), std::string("abcdefghijklmnop"), std::string("123"),
                                 std::string("a")})
      if (c.size() >= min && std::regex_search(c, std::regex(s["pattern"].get<std::string>(), std::regex::ECMAScript)))
        return c;
  }
  return std::string(std::max<size_t>(min, 3), 'a');
}

// A value meant to be valid against s (best effort; the verdicts are compared either way).
Json sample(const Json& s, const Json& root, int depth) {
  if (depth > 8 || !s.is_object()) return nullptr;
  if (s.contains("$ref")) {
    const Json* t = resolve(root, s["$ref"]);
    return t ? sample(*t, root, depth + 1) : Json(nullptr);
  }
  if (s.contains("const")) return s["const"];
  if (s.contains("enum") && s["enum"].is_array() && !s["enum"].empty()) return s["enum"][0];
  for (const char* k : {"oneOf", "anyOf", "allOf"})
    if (s.contains(k) && s[k].is_array() && !s[k].empty() && !s.contains("type") && !s.contains("properties"))
      return sample(s[k][0], root, depth + 1);
  std::string type;
  if (s.contains("type")) {
    const Json& t = s["type"];
    if (t.is_string()) type = t;
    else if (t.is_array())
      for (const auto& x : t)
        if (x != "null") {
          type = x;
          break;
        }
  } else if (s.contains("properties")) {
    type = "object";
  }
  if (type == "object") {
    Json o = Json::object();
    if (s.contains("properties"))
      for (const auto& [k, v] : s["properties"].items()) o[k] = sample(v, root, depth + 1);
    return o;
  }
  if (type == "array") {
    Json a = Json::array();
    if (s.value("maxItems", 1) > 0 && s.contains("items") && s["items"].is_object()) a.push_back(sample(s["items"], root, depth + 1));
    return a;
  }
  if (type == "string") return string_for(s);
  if (type == "integer" || type == "number") {
    int64_t v = 1;
    if (s.contains("minimum") && s["minimum"].is_number_integer()) v = s["minimum"];
    if (s.contains("exclusiveMinimum") && s["exclusiveMinimum"].is_number_integer()) v = s["exclusiveMinimum"].get<int64_t>() + 1;
    return v;
  }
  if (type == "boolean") return true;
  if (type == "null") return nullptr;
  return "x";
}

std::vector<Json> replacements(const Json& good) {
  std::vector<Json> out = {nullptr, true, 0, -1, 1.5, int64_t{1000000000000}, "", "x",
                           std::string(kMaxOracleString, 'a'), Json::array(), Json::array({1, 2}), Json::object(),
                           Json{{"x", 1}}};
  if (good.is_string()) {
    out.push_back(good.get<std::string>() + "!");
    out.push_back(" " + good.get<std::string>());
    // Not for dates: valijson takes years of any number of digits, RFC 3339 four.
    if (good.get<std::string>().size() > 1 && !std::isdigit(static_cast<unsigned char>(good.get<std::string>()[0])))
      out.push_back(good.get<std::string>().substr(1));
  }
  if (good.is_number_integer()) {
    out.push_back(good.get<int64_t>() - 1);
    out.push_back(good.get<int64_t>() + 1000000);
  }
  if (good.is_array()) {
    Json many = Json::array();
    for (int i = 0; i < 20; ++i) many.push_back(good.empty() ? Json(i) : good[0]);
    out.push_back(many);
    if (!good.empty()) out.push_back(Json::array({good[0], good[0]}));
  }
  return out;
}

std::vector<Json> corpus(const Json& schema) {
  Json good = sample(schema, schema, 0);
  std::vector<Json> out = {good, Json::object(), Json::array(), "x", nullptr, 7};
  if (!good.is_object()) {
    for (auto& r : replacements(good)) out.push_back(r);
    return out;
  }
  Json extra = good;
  extra["zzUnknownField"] = 1;
  out.push_back(extra);
  for (const auto& [k, v] : good.items()) {
    Json missing = good;
    missing.erase(k);
    out.push_back(missing);
    for (auto& r : replacements(v)) {
      Json changed = good;
      changed[k] = r;
      out.push_back(changed);
    }
    if (v.is_object())  // one level down
      for (const auto& [k2, v2] : v.items())
        for (auto& r : replacements(v2)) {
          Json changed = good;
          changed[k][k2] = r;
          out.push_back(changed);
        }
  }
  return out;
}

struct Oracle {
  valijson::Schema schema;
  valijson::Validator validator{valijson::Validator::kStrongTypes};  // caches its std::regex objects
  explicit Oracle(const Json& s) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(s);
    parser.populateSchema(adapter, schema);
  }
  // nullopt when valijson cannot judge (it throws on a non-string in a format field).
  std::optional<bool> valid(const Json& doc) {
    try {
      valijson::adapters::NlohmannJsonAdapter adapter(doc);
      return validator.validate(schema, adapter, nullptr);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
};

class SchemaOracleTest : public ::testing::Test {
 protected:
  // Returns the number of instances compared.
  size_t compare(const std::string& what, const Json& raw) {
    SCOPED_TRACE(what);
    Json schema = strip_unchecked_formats(raw);
    auto ours = SchemaValidator::compile(schema);
    if (!ours.ok()) {
      ADD_FAILURE() << "our validator refuses a schema in use: " << ours.status().to_string();
      return 0;
    }
    Oracle oracle(schema);
    size_t compared = 0;
    for (const Json& doc : corpus(schema)) {
      auto want = oracle.valid(doc);
      if (!want) continue;
      auto got = (*ours)->validate(doc);
      EXPECT_EQ(got.empty(), *want) << "instance " << doc.dump() << "\nours: "
                                    << violations_to_status(got, what).details().dump();
      ++compared;
    }
    return compared;
  }
};

TEST_F(SchemaOracleTest, EveryToolInputSchemaAgreesWithValijson) {
  Config c;
  c.log_level = "off";
  Node node(c, /*in_memory=*/true);
  ASSERT_TRUE(node.start().ok());
  size_t tools = 0, compared = 0;
  for (const Tool* t : node.pipeline().registry().list(false)) {
    compared += compare(t->name + " input", t->input_schema);
    ++tools;
  }
  EXPECT_GT(tools, 20u);
  EXPECT_GT(compared, 2000u) << "the corpus is too small to say anything";
}

TEST_F(SchemaOracleTest, EveryEmbeddedEventSchemaAgreesWithValijson) {
  size_t compared = 0;
  for (const auto& f : embedded_event_schemas()) {
    Json doc = Json::parse(f.text);
    compared += compare(std::string(f.module) + "/" + f.file, doc["schema"]);
    auto ours = SchemaValidator::compile(doc["schema"]);
    ASSERT_TRUE(ours.ok()) << ours.status().to_string();
    for (const auto& ex : doc.value("examples", Json::array()))
      EXPECT_TRUE((*ours)->validate(ex).empty()) << f.file << ": " << ex.dump();
  }
  EXPECT_GT(compared, 100u);
}

TEST_F(SchemaOracleTest, HandWrittenSchemasAgreeWithValijson) {
  // The keywords the tool schemas do not use much, against the same oracle.
  for (const char* s : {
           R"({"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false})",
           R"({"type": "array", "contains": {"type": "integer"}, "uniqueItems": true, "minItems": 1})",
           R"({"type": "object", "patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": {"type": "string"},
               "properties": {"a": {"type": "integer", "minimum": 0, "exclusiveMaximum": 10}}})",
           R"({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
               "dependencies": {"a": ["b"], "b": {"properties": {"a": {"minLength": 2}}}}})",
           R"({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "maxProperties": 2})",
           R"({"type": "object", "properties": {"k": {"enum": ["a", "b"]}, "v": {"type": "integer"}},
               "if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["v"]}, "else": {"not": {"required": ["v"]}}})",
           R"({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                         {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}]})",
           R"({"definitions": {"n": {"type": "object", "properties": {"v": {"type": "integer"}, "next": {"$ref": "#/definitions/n"}}}},
               "$ref": "#/definitions/n"})"}) {
    compare(s, Json::parse(s));
  }
}

class RegistryPatternTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.log_level = "off";
    node_ = std::make_unique<Node>(c, /*in_memory=*/true);
    ASSERT_TRUE(node_->start().ok());
  }
  Call register_pattern(const std::string& topic, const std::string& pattern) {
    return node_->call("registry.register",
                       {{"topic", topic},
                        {"schema", {{"type", "object"}, {"properties", {{"s", {{"type", "string"}, {"pattern", pattern}}}}}}}});
  }
  std::unique_ptr<Node> node_;
};

TEST_F(RegistryPatternTest, APatternRe2CannotCompileIsA400AtRegistration) {
  for (const char* p : {"(", "[z-a]", "(a)\\1", "(?!a)"}) {
    Call c = register_pattern("q.test.badpattern.v1", p);
    EXPECT_EQ(c.http_status, 400) << p << ": " << c.body;
    EXPECT_EQ(c.envelope["code"], "VALIDATION_ERROR") << c.body;
    EXPECT_NE(c.envelope["message"].get<std::string>().find("/properties/s/pattern"), std::string::npos) << c.body;
  }
}

TEST_F(RegistryPatternTest, ACatastrophicPatternCostsOnePassPerPublish) {
  Call reg = register_pattern("q.test.nested.v1", "^(a+)+$");
  ASSERT_EQ(reg.http_status, 200) << reg.body;
  Call bad = node_->call("events.publish", {{"topic", "q.test.nested.v1"}, {"payload", {{"s", std::string(50000, 'a') + "b"}}}});
  EXPECT_EQ(bad.http_status, 400) << bad.body.substr(0, 300);
  EXPECT_EQ(bad.envelope["details"]["violations"][0]["pointer"], "/s");
  Call good = node_->call("events.publish", {{"topic", "q.test.nested.v1"}, {"payload", {{"s", std::string(50000, 'a')}}}});
  EXPECT_EQ(good.http_status, 200) << good.body.substr(0, 300);
}

}  // namespace
}  // namespace anarq::test
