#pragma once
// Private to compat.cc and compat_rules.cc: the schema model and comparison context
// shared by the core comparison (compat.cc: dispatch, combined schemas, modes) and the
// rules per schema kind (compat_rules.cc: loading, strings, numbers, enums, objects,
// arrays). Not part of the bus's interface; include compat.h instead.
#include <map>
#include <memory>
#include <optional>
#include <re2/re2.h>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bus/compat.h"

namespace anarq::bus::compat_internal {

// Confluent's Difference.Type, in their order, plus anarq's limit types. The second
// column is 'c' for members of COMPATIBLE_CHANGES, else the message family of the
// incompatible type (explain() in compat.cc).
#define ANARQ_DIFF_TYPES(X)                                                                     \
  X(ID_CHANGED, 'c') X(DESCRIPTION_CHANGED, 'c') X(TITLE_CHANGED, 'c') X(DEFAULT_CHANGED, 'c')   \
  X(SCHEMA_ADDED, 'A') X(SCHEMA_REMOVED, 'c') X(TYPE_EXTENDED, 'c') X(TYPE_NARROWED, 'T')        \
  X(TYPE_CHANGED, 'T')                                                                          \
  X(MAX_LENGTH_ADDED, 'A') X(MAX_LENGTH_REMOVED, 'c') X(MAX_LENGTH_INCREASED, 'c')              \
  X(MAX_LENGTH_DECREASED, 'D') X(MIN_LENGTH_ADDED, 'A') X(MIN_LENGTH_REMOVED, 'c')              \
  X(MIN_LENGTH_INCREASED, 'U') X(MIN_LENGTH_DECREASED, 'c')                                     \
  X(PATTERN_ADDED, 'A') X(PATTERN_REMOVED, 'c') X(PATTERN_CHANGED, 'V')                         \
  X(MAXIMUM_ADDED, 'A') X(MAXIMUM_REMOVED, 'c') X(MAXIMUM_INCREASED, 'c')                       \
  X(MAXIMUM_DECREASED, 'D') X(MINIMUM_ADDED, 'A') X(MINIMUM_REMOVED, 'c')                       \
  X(MINIMUM_INCREASED, 'U') X(MINIMUM_DECREASED, 'c')                                           \
  X(EXCLUSIVE_MAXIMUM_ADDED, 'A') X(EXCLUSIVE_MAXIMUM_REMOVED, 'c')                             \
  X(EXCLUSIVE_MAXIMUM_INCREASED, 'c') X(EXCLUSIVE_MAXIMUM_DECREASED, 'D')                       \
  X(EXCLUSIVE_MINIMUM_ADDED, 'A') X(EXCLUSIVE_MINIMUM_REMOVED, 'c')                             \
  X(EXCLUSIVE_MINIMUM_INCREASED, 'U') X(EXCLUSIVE_MINIMUM_DECREASED, 'c')                       \
  X(MULTIPLE_OF_ADDED, 'A') X(MULTIPLE_OF_REMOVED, 'c') X(MULTIPLE_OF_EXPANDED, 'U')            \
  X(MULTIPLE_OF_REDUCED, 'c') X(MULTIPLE_OF_CHANGED, 'V')                                       \
  X(REQUIRED_ATTRIBUTE_ADDED, 'A') X(REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED, 'c')                \
  X(REQUIRED_ATTRIBUTE_REMOVED, 'c')                                                            \
  X(MAX_PROPERTIES_ADDED, 'A') X(MAX_PROPERTIES_REMOVED, 'c') X(MAX_PROPERTIES_INCREASED, 'c')  \
  X(MAX_PROPERTIES_DECREASED, 'D') X(MIN_PROPERTIES_ADDED, 'A') X(MIN_PROPERTIES_REMOVED, 'c')  \
  X(MIN_PROPERTIES_INCREASED, 'U') X(MIN_PROPERTIES_DECREASED, 'c')                             \
  X(ADDITIONAL_PROPERTIES_ADDED, 'c') X(ADDITIONAL_PROPERTIES_REMOVED, 'R')                     \
  X(ADDITIONAL_PROPERTIES_EXTENDED, 'c') X(ADDITIONAL_PROPERTIES_NARROWED, 'N')                 \
  X(DEPENDENCY_ARRAY_ADDED, 'A') X(DEPENDENCY_ARRAY_REMOVED, 'c')                               \
  X(DEPENDENCY_ARRAY_EXTENDED, 'E') X(DEPENDENCY_ARRAY_NARROWED, 'c')                           \
  X(DEPENDENCY_ARRAY_CHANGED, 'V') X(DEPENDENCY_SCHEMA_ADDED, 'A')                              \
  X(DEPENDENCY_SCHEMA_REMOVED, 'c')                                                             \
  X(PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, 'O')                                                  \
  X(PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL, 'c')                                \
  X(REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL, 'Q')                                       \
  X(REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL, 'c')                          \
  X(OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL, 'c')                                       \
  X(PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL, 'c')                                              \
  X(PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, 'c')                                 \
  X(PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL, 'C')                                            \
  X(PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'c')                           \
  X(PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'P')                          \
  X(PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'c')                             \
  X(PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'P')                            \
  X(MAX_ITEMS_ADDED, 'A') X(MAX_ITEMS_REMOVED, 'c') X(MAX_ITEMS_INCREASED, 'c')                 \
  X(MAX_ITEMS_DECREASED, 'D') X(MIN_ITEMS_ADDED, 'A') X(MIN_ITEMS_REMOVED, 'c')                 \
  X(MIN_ITEMS_INCREASED, 'U') X(MIN_ITEMS_DECREASED, 'c')                                       \
  X(UNIQUE_ITEMS_ADDED, 'A') X(UNIQUE_ITEMS_REMOVED, 'c')                                       \
  X(ADDITIONAL_ITEMS_ADDED, 'c') X(ADDITIONAL_ITEMS_REMOVED, 'R')                               \
  X(ADDITIONAL_ITEMS_EXTENDED, 'c') X(ADDITIONAL_ITEMS_NARROWED, 'N')                           \
  X(ITEM_ADDED_TO_OPEN_CONTENT_MODEL, 'O')                                                      \
  X(ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL, 'c')                                    \
  X(ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, 'c') X(ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL, 'c')       \
  X(ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, 'c')                                     \
  X(ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL, 'C')                                                \
  X(ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'c')                               \
  X(ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'P')                              \
  X(ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'c')                                 \
  X(ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 'P')                                \
  X(ENUM_ARRAY_EXTENDED, 'c') X(ENUM_ARRAY_NARROWED, 'N') X(ENUM_ARRAY_CHANGED, 'T')            \
  X(COMBINED_TYPE_EXTENDED, 'c') X(COMBINED_TYPE_CHANGED, 'T')                                  \
  X(PRODUCT_TYPE_EXTENDED, 'E') X(PRODUCT_TYPE_NARROWED, 'c')                                   \
  X(SUM_TYPE_EXTENDED, 'c') X(SUM_TYPE_NARROWED, 'N') X(COMBINED_TYPE_SUBSCHEMAS_CHANGED, 'T')  \
  X(NOT_TYPE_EXTENDED, 'E') X(NOT_TYPE_NARROWED, 'c')                                           \
  X(SCHEMA_TOO_DEEP, 'L') X(SCHEMA_TOO_COMPLEX, 'L') X(SCHEMA_INVALID, 'L')                     \
  X(REFERENCE_UNRESOLVED, 'L')

enum class T {
#define ANARQ_ENUM(name, family) name,
  ANARQ_DIFF_TYPES(ANARQ_ENUM)
#undef ANARQ_ENUM
};

struct TypeInfo {
  const char* name;
  char family;  // 'c' = compatible
};
const TypeInfo& info(T t);

enum class Kind { kEmpty, kTrue, kFalse, kString, kNumber, kBoolean, kNull, kObject, kArray,
                  kEnum, kConst, kNot, kConditional, kCombined, kBad };
enum class Crit { kAll, kAny, kOne };

// One schema as Confluent's loader (everit) would build it. Several schemas may view
// one JSON object: a node mixing keyword groups loads as a synthetic allOf whose parts
// (tag != 0) each read their own keywords of that object; only the whole (tag 0)
// carries $id/title/description/default. The JSON it points into must outlive it.
struct Schema {
  Kind kind = Kind::kBad;
  const Json* json = nullptr;
  const Json* root = nullptr;     // its document, for $ref
  int tag = 0;
  bool integer = false;           // kNumber from "type": "integer"
  Crit crit = Crit::kAll;         // kCombined: subschemas are json[keyword][i] ...
  const char* keyword = nullptr;
  std::vector<Schema> parts;      // ... or, with no keyword, these parts of one node
  T bad = T::SCHEMA_INVALID;      // kBad: why
};

// Follows $ref chains (at most kMaxRefHops, local pointers only) and classifies.
// Never fails: problems come back as kBad.
Schema load(const Json* json, const Json* root);

// The value under `key` of an object, nullptr when absent or `j` is no object.
const Json* member(const Json& j, std::string_view key);
// The same, but only when that value is an object.
const Json* object_member(const Json& j, std::string_view key);

struct Diff {
  T type;
  std::string pointer;
};

// State shared by a comparison and all its sub-contexts: the current path (a stack,
// sub-contexts run nested), the limits, the pairs being compared (cycle detection, as
// Confluent treats a pair met again on its own path as compatible), compiled patterns.
struct Shared {
  std::string path;              // RFC 6901, maintained by PathScope
  std::vector<size_t> path_marks;
  long steps = 0;
  int depth = 0;
  std::optional<Diff> fatal;  // first limit hit or invalid schema met
  std::vector<std::tuple<const Json*, int, const Json*, int>> in_progress;
  std::map<std::string, std::unique_ptr<re2::RE2>, std::less<>> regexes;  // null = unusable (RE2, linear time)

  const std::string& pointer() const { return path; }
  void push(std::string_view segment);
  void pop();
  void fail(T type);
  bool charge(long steps);  // false once any limit is hit
};

// Confluent's Context: the differences found under one (sub-)comparison.
class Ctx {
 public:
  explicit Ctx(Shared& shared) : sh_(&shared) {}
  Ctx sub() const { return Ctx(*sh_); }
  Shared& shared() const { return *sh_; }
  std::vector<Diff>& diffs() { return diffs_; }

  void add(T type) { diffs_.push_back({type, sh_->pointer()}); }
  void add(std::string_view attribute, T type);
  void add_all(const Ctx& other) { diffs_.insert(diffs_.end(), other.diffs_.begin(), other.diffs_.end()); }
  bool compatible() const;

 private:
  Shared* sh_;
  std::vector<Diff> diffs_;
};

class PathScope {
 public:
  PathScope(const Ctx& ctx, std::string_view segment) : sh_(ctx.shared()) { sh_.push(segment); }
  ~PathScope() { sh_.pop(); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  Shared& sh_;
};

// SchemaDiff.compare; nullptr = absent (SCHEMA_ADDED / SCHEMA_REMOVED).
void compare(Ctx& ctx, const Schema* o, const Schema* u);
// The same for raw JSON values of the documents rooted at orr / ur.
void compare_json(Ctx& ctx, const Json* o, const Json* orr, const Json* u, const Json* ur);
// Structural equality; "unequal" past kMaxSchemaDepth, which only makes verdicts stricter.
bool json_equal(Shared& sh, const Json& a, const Json& b, int depth = 0);
// Java Matcher.find over a patternProperties key; false for unusable or oversized input.
bool pattern_finds(Shared& sh, const std::string& pattern, const std::string& key);

// Rules per kind (compat_rules.cc), called once both sides are of that kind.
void compare_string(Ctx& ctx, const Schema& o, const Schema& u);
void compare_number(Ctx& ctx, const Schema& o, const Schema& u);
void compare_enum(Ctx& ctx, const Schema& o, const Schema& u);
void compare_const(Ctx& ctx, const Schema& o, const Schema& u);
void compare_object(Ctx& ctx, const Schema& o, const Schema& u);
void compare_array(Ctx& ctx, const Schema& o, const Schema& u);

}  // namespace anarq::bus::compat_internal
