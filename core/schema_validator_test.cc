#include "core/schema_validator.h"

#include <gtest/gtest.h>

#include <set>

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
              {"items", {{{"id", "OK1"}}, {{"nope", 1}}, {{"id", "a"}}}}};
  auto violations = v->validate(doc);
  auto p = pointers(violations);
  for (const char* want : {"/name", "/age", "/kind", "/when", "/extra", "/items", "/items/0/id", "/items/1"})
    EXPECT_TRUE(p.count(want)) << want << " missing; got " << violations_to_status(violations, "x").details().dump();
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
}

}  // namespace
}  // namespace anarq
