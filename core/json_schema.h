#pragma once
// Private to core/schema_validator*.cc and core/json_schema_*.cc: the compiled
// form of a draft-07 JSON Schema. Users go through core/schema_validator.h.
//
// A schema compiles once into a graph of Nodes owned by one CompiledSchema
// (recursive $refs make it a graph, not a tree). After compile() nothing is
// mutated, so one CompiledSchema is read by any number of threads at once; the
// RE2 objects it holds are thread-safe for matching.
#include <re2/re2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace anarq::json_schema {

// Each `pattern` gets at most this much RE2 memory (program + DFA cache); past
// it RE2 refuses the pattern at compile time or falls back to its NFA, which
// is slower but still linear in the input.
inline constexpr int64_t kPatternMaxMem = 1 << 20;
// A schema may hold at most this many patterns (pattern, patternProperties keys),
// so a registered schema cannot reserve unbounded regex memory.
inline constexpr size_t kMaxPatterns = 256;
// The schema's own nesting (its JSON depth) at compile time.
inline constexpr int kMaxSchemaDepth = 128;

enum TypeBit : uint8_t {
  kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kNumber = 16, kString = 32, kInteger = 64,
};

enum class Format { kNone, kDateTime, kDate, kTime, kEmail, kUri, kUuid, kIpv4, kIpv6, kHostname, kRegex };

struct Pattern {
  std::unique_ptr<RE2> re;
  std::string text;
};

struct Node {
  std::string where;     // JSON pointer of this subschema inside the schema document
  bool filled = false;   // compile bookkeeping ($refs may point at a node before it is compiled)
  bool reject = false;   // the boolean schema `false`
  const Node* ref = nullptr;  // $ref: in draft-07 every sibling keyword is ignored
  std::string expected;  // description or title: what a value here should be, in words

  uint8_t types = 0;     // 0 = any type
  std::optional<std::vector<Json>> enum_values;
  std::optional<Json> const_value;

  std::optional<Json> multiple_of, maximum, exclusive_maximum, minimum, exclusive_minimum;

  std::optional<uint64_t> max_length, min_length;
  std::optional<Pattern> pattern;
  Format format = Format::kNone;
  std::string format_name;

  std::optional<uint64_t> max_items, min_items;
  bool unique_items = false;
  const Node* items = nullptr;                 // items as one schema
  std::optional<std::vector<const Node*>> item_list;  // items as an array of schemas
  const Node* additional_items = nullptr;
  const Node* contains = nullptr;

  std::optional<uint64_t> max_properties, min_properties;
  std::vector<std::string> required;
  std::map<std::string, const Node*, std::less<>> properties;
  std::vector<std::pair<Pattern, const Node*>> pattern_properties;
  const Node* additional_properties = nullptr;
  std::map<std::string, std::vector<std::string>, std::less<>> dependent_required;
  std::map<std::string, const Node*, std::less<>> dependent_schemas;
  const Node* property_names = nullptr;

  const Node* if_ = nullptr;
  const Node* then_ = nullptr;
  const Node* else_ = nullptr;
  std::vector<const Node*> all_of, any_of, one_of;
  const Node* not_ = nullptr;
};

struct CompiledSchema {
  std::vector<std::unique_ptr<Node>> nodes;  // owns every node; nodes[0] is the root
  const Node* root = nullptr;
};

// VALIDATION_ERROR naming the offending keyword's JSON pointer when `schema`
// is not a draft-07 schema this validator can run (bad keyword values,
// unresolvable or remote $ref, a pattern RE2 cannot compile, too many patterns).
Result<std::unique_ptr<CompiledSchema>> compile(const Json& schema);

// RE2 options for schema patterns: UTF-8, bounded memory, no logging.
RE2::Options pattern_options();

// Formats. Each takes a string; non-strings are never a format error.
Format format_from_name(std::string_view name);
bool check_format(Format f, std::string_view s);
// How a value of that format looks, for the violation message.
std::string format_hint(Format f);

}  // namespace anarq::json_schema
