#include "bus/compat.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace anarq::bus {
namespace {

constexpr std::array kAllModes = {CompatMode::kNone,    CompatMode::kBackward, CompatMode::kBackwardTransitive,
                                  CompatMode::kForward, CompatMode::kForwardTransitive, CompatMode::kFull,
                                  CompatMode::kFullTransitive};

Json load_cases() {
  std::ifstream in(std::string(ANARQ_SOURCE_DIR) + "/bus/testdata/compat_cases.json");
  return Json::parse(in, nullptr, /*allow_exceptions=*/false);
}

bool is_transitive(CompatMode m) {
  return m == CompatMode::kBackwardTransitive || m == CompatMode::kForwardTransitive ||
         m == CompatMode::kFullTransitive;
}

std::string describe(const std::vector<Incompatibility>& found) {
  std::string out;
  for (const Incompatibility& i : found) out += "\n    v" + std::to_string(i.version) + " " + i.direction + " " + i.message;
  return out;
}

std::set<std::string> strings(const Json& array) {
  std::set<std::string> out;
  for (const Json& s : array) out.insert(s.get<std::string>());
  return out;
}

// Every case of the table under every mode: the verdict, and the shape of each
// incompatibility reported (pointer, version, direction, message).
TEST(CompatCasesTest, EveryCaseUnderEveryModeMatchesConfluent) {
  const Json cases = load_cases();
  ASSERT_TRUE(cases.is_array()) << "bus/testdata/compat_cases.json is missing or not JSON";
  EXPECT_GE(cases.size(), 40u);
  int transitive_differs = 0;
  std::set<std::string> names;
  for (const Json& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    EXPECT_TRUE(names.insert(name).second) << "duplicate case name";
    EXPECT_FALSE(c.value("why", "").empty()) << "every case says why";
    const std::vector<Json> history = c.at("history").get<std::vector<Json>>();
    ASSERT_FALSE(history.empty());
    const Json& candidate = c.at("candidate");
    const Json& expect = c.at("expect");
    const int latest = static_cast<int>(history.size());
    std::set<std::string> types_found, pointers_found;
    for (CompatMode mode : kAllModes) {
      const std::string mode_name = compat_mode_name(mode);
      const std::vector<Incompatibility> found = check_compatibility(mode, candidate, history);
      ASSERT_TRUE(expect.contains(mode_name)) << mode_name;
      EXPECT_EQ(found.empty(), expect.at(mode_name).get<bool>()) << mode_name << describe(found);
      for (const Incompatibility& inc : found) {
        EXPECT_FALSE(inc.type.empty());
        EXPECT_TRUE(inc.pointer.empty() || inc.pointer[0] == '/') << inc.pointer;
        EXPECT_FALSE(inc.message.empty());
        EXPECT_GE(inc.version, 1);
        EXPECT_LE(inc.version, latest);
        if (!is_transitive(mode)) {
          EXPECT_EQ(inc.version, latest) << mode_name;
        }
        EXPECT_TRUE(inc.direction == "BACKWARD" || inc.direction == "FORWARD") << inc.direction;
        if (mode == CompatMode::kBackward || mode == CompatMode::kBackwardTransitive) {
          EXPECT_EQ(inc.direction, "BACKWARD");
        }
        if (mode == CompatMode::kForward || mode == CompatMode::kForwardTransitive) {
          EXPECT_EQ(inc.direction, "FORWARD");
        }
        types_found.insert(inc.type);
        pointers_found.insert(inc.pointer);
      }
    }
    // FULL_TRANSITIVE checks every version both ways, so these cover every direction.
    for (const std::string& t : strings(c.value("types", Json::array()))) {
      EXPECT_TRUE(types_found.count(t)) << "expected difference " << t;
    }
    for (const std::string& p : strings(c.value("pointers", Json::array()))) {
      EXPECT_TRUE(pointers_found.count(p)) << "expected an incompatibility at '" << p << "'";
    }
    // Compatible differences too, from the full diff against the latest version.
    std::set<std::string> changes;
    for (const Difference& d : diff_schemas(history.back(), candidate)) {
      changes.insert(d.type);
      EXPECT_EQ(d.compatible, is_compatible_change(d.type)) << d.type;
    }
    for (const std::string& t : strings(c.value("changes", Json::array()))) {
      EXPECT_TRUE(changes.count(t)) << "expected change " << t;
    }
    if (history.size() == 3 &&
        (expect.at("BACKWARD") != expect.at("BACKWARD_TRANSITIVE") ||
         expect.at("FORWARD") != expect.at("FORWARD_TRANSITIVE") || expect.at("FULL") != expect.at("FULL_TRANSITIVE"))) {
      ++transitive_differs;
    }
  }
  EXPECT_GE(transitive_differs, 5) << "cases with 3 previous versions where transitivity changes the verdict";
}

TEST(CompatModeTest, ParsesEveryWireSpellingAndNothingElse) {
  for (CompatMode m : kAllModes) {
    Result<CompatMode> r = parse_compat_mode(compat_mode_name(m));
    ASSERT_TRUE(r.ok()) << compat_mode_name(m);
    EXPECT_EQ(*r, m);
  }
  EXPECT_STREQ(compat_mode_name(CompatMode::kFullTransitive), "FULL_TRANSITIVE");
  for (const char* bad : {"", "backward", "Backward", " BACKWARD", "BACKWARD ", "FULLTRANSITIVE", "FULL-TRANSITIVE",
                          "TRANSITIVE", "NONE\n", "BACKWARD_TRANSITIVE_"}) {
    Result<CompatMode> r = parse_compat_mode(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.status().code(), "VALIDATION_ERROR");
  }
  EXPECT_FALSE(parse_compat_mode(std::string_view("NONE\0", 5)).ok());
}

TEST(CompatCheckTest, NoPreviousVersionOrModeNoneIsAlwaysCompatible) {
  const Json s = {{"type", "string"}};
  for (CompatMode m : kAllModes) EXPECT_TRUE(check_compatibility(m, s, {}).empty());
  EXPECT_TRUE(check_compatibility(CompatMode::kNone, s, {Json{{"type", "integer"}}}).empty());
}

TEST(CompatCheckTest, TransitiveResultsNameEachConflictingVersionLatestFirst) {
  const std::vector<Json> history = {Json{{"type", "integer"}}, Json{{"type", "boolean"}}, Json{{"type", "string"}}};
  const std::vector<Incompatibility> found =
      check_compatibility(CompatMode::kFullTransitive, Json{{"type", "string"}}, history);
  std::vector<std::pair<int, std::string>> order;
  for (const Incompatibility& i : found) order.emplace_back(i.version, i.direction);
  const std::vector<std::pair<int, std::string>> want = {
      {2, "BACKWARD"}, {2, "FORWARD"}, {1, "BACKWARD"}, {1, "FORWARD"}};
  EXPECT_EQ(order, want) << describe(found);
  EXPECT_NE(found.at(0).message.find("version 2"), std::string::npos) << found.at(0).message;
}

TEST(CompatDiffTest, PointersAreRfc6901AndTheRootIsEmpty) {
  std::vector<Incompatibility> d = diff_incompatible(Json{{"type", "string"}}, Json{{"type", "integer"}});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, "TYPE_CHANGED");
  EXPECT_EQ(d[0].pointer, "");
  EXPECT_EQ(d[0].version, 0);
  EXPECT_FALSE(d[0].message.empty());

  const Json o = Json::parse(R"({"properties": {"a/b~c": {"type": "string"}}})");
  const Json u = Json::parse(R"({"properties": {"a/b~c": {"type": "number"}}})");
  d = diff_incompatible(o, u);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].pointer, "/properties/a~1b~0c");
}

TEST(CompatDiffTest, ReportsCompatibleDifferencesWithConfluentNames) {
  const Json o = Json::parse(R"({"type": "integer", "title": "a", "maximum": 5})");
  const Json u = Json::parse(R"({"type": "number", "title": "b", "maximum": 9})");
  std::set<std::string> types;
  for (const Difference& d : diff_schemas(o, u)) {
    EXPECT_TRUE(d.compatible) << d.type;
    types.insert(d.type + " " + d.pointer);
  }
  EXPECT_EQ(types, (std::set<std::string>{"TITLE_CHANGED ", "MAXIMUM_INCREASED /maximum", "TYPE_EXTENDED "}));
  EXPECT_TRUE(diff_incompatible(o, u).empty());
  EXPECT_TRUE(is_compatible_change("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"));
  EXPECT_FALSE(is_compatible_change("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"));
  EXPECT_FALSE(is_compatible_change(kSchemaTooDeep));
  EXPECT_FALSE(is_compatible_change("NO_SUCH_TYPE"));
}

// A schema nested `depth` times through `open` ... `close`, built as text so that
// neither building nor parsing it recurses.
Json nested(int depth, const std::string& open, const std::string& close) {
  std::string text;
  text.reserve(static_cast<size_t>(depth) * (open.size() + close.size()) + 2);
  for (int i = 0; i < depth; ++i) text += open;
  text += "{}";
  for (int i = 0; i < depth; ++i) text += close;
  return Json::parse(text);
}

bool has_type(const std::vector<Incompatibility>& found, std::string_view type) {
  for (const Incompatibility& i : found) {
    if (i.type == type) return true;
  }
  return false;
}

TEST(CompatLimitsTest, DepthBombsAreIncompatibleNotCrashes) {
  // Never copied: nlohmann's copy (like its dump and ==) recurses.
  const std::vector<std::pair<std::string, std::string>> shapes = {
      {R"({"properties": {"a": )", "}}"},
      {R"({"type": "array", "items": )", "}"},
      {R"({"allOf": [)", "]}"},
      {R"({"not": )", "}"},
  };
  for (const auto& [open, close] : shapes) {
    SCOPED_TRACE(open);
    std::vector<Json> previous;
    previous.push_back(nested(10000, open, close));
    previous.push_back(nested(10000, open, close));
    const Json bomb = nested(10000, open, close);
    const std::vector<Incompatibility> found = diff_incompatible(bomb, bomb);
    EXPECT_TRUE(has_type(found, kSchemaTooDeep)) << describe(found);
    EXPECT_FALSE(check_compatibility(CompatMode::kFullTransitive, bomb, previous).empty());
    EXPECT_TRUE(check_compatibility(CompatMode::kNone, bomb, previous).empty());
    EXPECT_FALSE(diff_incompatible(Json::object(), bomb).empty());
  }
  // Well inside the bound is compared normally.
  const Json ok = nested(kMaxSchemaDepth / 2, R"({"properties": {"a": )", "}}");
  EXPECT_TRUE(diff_incompatible(ok, ok).empty());
}

TEST(CompatLimitsTest, CrossProductBombStopsAtTheStepBudget) {
  // A small document whose comparisons explode: each level is an anyOf of 8 objects
  // whose property refers to the level below, so every level compares 8 x 8 pairs and
  // recurses into 8 of them: 64 * 8^9 comparisons for 10 levels if nothing stopped it.
  Json bomb = {{"$ref", "#/definitions/l9"}, {"definitions", {{"l0", Json::object()}}}};
  for (int level = 1; level < 10; ++level) {
    Json any = Json::array();
    for (int i = 0; i < 8; ++i) {
      any.push_back({{"type", "object"},
                     {"properties", {{std::string("p").append(std::to_string(i)), {{"$ref", std::string("#/definitions/l").append(std::to_string(level - 1))}}}}}});
    }
    bomb["definitions"][std::string("l").append(std::to_string(level))] = {{"anyOf", any}};
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Incompatibility> found = diff_incompatible(bomb, bomb);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(has_type(found, kSchemaTooComplex)) << describe(found);
  EXPECT_LT(elapsed, std::chrono::seconds(30));
}

TEST(CompatLimitsTest, LongEnumsOfScalarsStayWithinTheBudget) {
  Json before = {{"enum", Json::array()}};
  for (int i = 0; i < 20000; ++i) before["enum"].push_back("code-" + std::to_string(i));
  Json after = before;
  after["enum"].push_back(nullptr);
  after["enum"].push_back(7);
  EXPECT_TRUE(diff_incompatible(before, after).empty()) << describe(diff_incompatible(before, after));
  const std::vector<Incompatibility> back = diff_incompatible(after, before);
  ASSERT_EQ(back.size(), 1u) << describe(back);
  EXPECT_EQ(back[0].type, "ENUM_ARRAY_NARROWED");
  EXPECT_EQ(back[0].pointer, "/enum");
}

TEST(CompatLimitsTest, TooManySubschemasIsTooComplex) {
  Json wide = Json::object();
  wide["oneOf"] = Json::array();
  for (size_t i = 0; i <= kMaxSubschemas; ++i) wide["oneOf"].push_back(Json{{"const", i}});
  EXPECT_TRUE(has_type(diff_incompatible(wide, wide), kSchemaTooComplex));
}

TEST(CompatRefTest, LocalReferencesResolveThroughDefinitionsDefsAndEscapes) {
  const Json o = Json::parse(R"({"properties": {"a": {"$ref": "#/definitions/x~1y"}, "b": {"$ref": "#/$defs/z"},
                                 "c": {"$ref": "#/properties/a"}, "d": {"$ref": "#/definitions/x%7E1y"}},
                                 "definitions": {"x/y": {"type": "string"}}, "$defs": {"z": {"type": "integer"}}})");
  const Json u = Json::parse(R"({"properties": {"a": {"type": "string"}, "b": {"type": "number"},
                                 "c": {"type": "string"}, "d": {"type": "string"}}})");
  EXPECT_TRUE(diff_incompatible(o, u).empty()) << describe(diff_incompatible(o, u));
  const std::vector<Incompatibility> back = diff_incompatible(u, o);
  ASSERT_EQ(back.size(), 1u) << describe(back);
  EXPECT_EQ(back[0].type, "TYPE_NARROWED");
  EXPECT_EQ(back[0].pointer, "/properties/b");
}

TEST(CompatRefTest, ReferenceCyclesAndDanglingReferencesAreIncompatible) {
  for (const char* text : {
           R"({"$ref": "#"})",
           R"({"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}})",
           R"({"properties": {"x": {"$ref": "#/definitions/missing"}}})",
           R"({"properties": {"x": {"$ref": "other.json#/definitions/x"}}})",
           R"({"properties": {"x": {"$ref": "#/properties/x/items/7"}}})",
           R"({"properties": {"x": {"$ref": 7}}})",
           R"({"properties": {"x": {"$ref": "#%zz"}}})",
       }) {
    const Json s = Json::parse(text);
    const std::vector<Incompatibility> found = diff_incompatible(s, s);
    EXPECT_TRUE(has_type(found, kReferenceUnresolved)) << text << describe(found);
  }
}

TEST(CompatRefTest, RecursiveSchemasTerminateAndStillSeeChanges) {
  // Mutually recursive definitions: each pair is compared once per path.
  const char* tree = R"({"$ref": "#/definitions/tree", "definitions": {
      "tree": {"type": "object", "properties": {"leaf": {"type": "%s"}, "kids": {"type": "array", "items": {"$ref": "#/definitions/forest"}}}},
      "forest": {"anyOf": [{"$ref": "#/definitions/tree"}, {"type": "null"}]}}})";
  auto with_leaf = [&](const char* leaf) {
    char buf[1024];
    std::snprintf(buf, sizeof buf, tree, leaf);
    return Json::parse(buf);
  };
  EXPECT_TRUE(diff_incompatible(with_leaf("integer"), with_leaf("integer")).empty());
  EXPECT_TRUE(diff_incompatible(with_leaf("integer"), with_leaf("number")).empty());
  const std::vector<Incompatibility> found = diff_incompatible(with_leaf("number"), with_leaf("integer"));
  EXPECT_TRUE(has_type(found, "TYPE_NARROWED")) << describe(found);
}

TEST(CompatInputTest, InvalidSchemasAreIncompatibleNotCrashes) {
  for (const char* text : {R"(42)", R"("string")", R"(null)", R"([])", R"({"type": "strange"})", R"({"type": 3})",
                           R"({"type": []})", R"({"enum": "a"})", R"({"oneOf": []})", R"({"allOf": {}})",
                           R"({"properties": {"a": 5}})"}) {
    const Json bad = Json::parse(text);
    const Json good = Json::parse(R"({"properties": {"a": {"type": "string"}}})");
    const std::vector<Incompatibility> found = diff_incompatible(bad, bad);
    EXPECT_TRUE(has_type(found, kSchemaInvalid)) << text << describe(found);
    EXPECT_FALSE(diff_incompatible(good, bad).empty()) << text;
  }
}

TEST(CompatInputTest, HostilePatternsFinishAndDoNotMatch) {
  const Json o = Json::parse(R"({"additionalProperties": false, "patternProperties": {
      "(a*)*b": {"type": "string"}, "([": {"type": "string"}, "(x)\\1": {"type": "string"}}})");
  Json u = o;
  u["properties"] = {{std::string(60, 'a'), {{"type", "string"}}}, {"xx", {{"type", "string"}}}};
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Difference> d = diff_schemas(o, u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // No pattern usable or matching: both properties are optional additions to a closed model.
  for (const Difference& x : d) EXPECT_EQ(x.type, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL") << x.pointer;
  EXPECT_EQ(d.size(), 2u);
}

}  // namespace
}  // namespace anarq::bus
