#pragma once
// JSON Schema compatibility checks for the bus's schema registry, following Confluent
// Schema Registry's rules (package io.confluent.kafka.schemaregistry.json.diff) so that
// a subject evolves here exactly as it would there.
//
// The core is diff_schemas(original, update): the differences an update makes to a
// schema, each typed with Confluent's Difference.Type spelling and marked compatible
// when the type is in Confluent's COMPATIBLE_CHANGES set, i.e. when `update` can still
// read data written under `original`. check_compatibility applies the registry modes
// on top: BACKWARD diffs (previous -> candidate), FORWARD diffs (candidate -> previous).
//
// Schemas are read the way Confluent's loader (everit, draft 7) reads them: `type`
// arrays become anyOf, a schema mixing keyword groups (`type` + `enum`, `oneOf` +
// `properties`, ...) becomes an allOf of its parts, `$ref` is followed to its target.
// Only local references ("#", "#/definitions/x", "#/$defs/x", any "#/..." JSON
// pointer into the same document) are resolved. As in Confluent, `format`,
// `propertyNames`, `contains`, `if`/`then`/`else` and keywords newer than draft 7 are
// not compared. Deliberate departures, each stricter or equal: $ref chains are
// followed to the end (Confluent unwraps one level), numbers compare by value
// (multipleOf 10 vs 10.0 is no change, fractional multipleOf does not throw), and
// EXCLUSIVE_MAXIMUM_DECREASED compares the two limits (Confluent's code compares
// against `maximum` and fails when it is absent).
//
// All inputs are untrusted (schemas arrive over the network). Every comparison is
// bounded by kMaxSchemaDepth, kMaxRefHops, kMaxSubschemas and kMaxCompareSteps (worst
// case about 0.1 s of CPU per diff at -O2); past a bound, or on a schema that is not
// valid JSON Schema, the result carries one anarq difference (kSchemaTooDeep,
// kSchemaTooComplex, kSchemaInvalid, kReferenceUnresolved), which is always
// incompatible. Nothing here throws or recurses without bound. Callers must still not
// copy, dump or compare (==) untrusted Json themselves: nlohmann does those
// recursively. Pure functions, thread-safe.
//
//   std::vector<Incompatibility> bad =
//       check_compatibility(CompatMode::kBackward, candidate, {v1, v2});
//   if (!bad.empty()) return Status::validation(bad.front().message);
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace anarq::bus {

enum class CompatMode {
  kNone,
  kBackward,
  kBackwardTransitive,
  kForward,
  kForwardTransitive,
  kFull,
  kFullTransitive,
};

// "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
// "FULL_TRANSITIVE": Confluent's wire spellings.
const char* compat_mode_name(CompatMode m);
// Exact (case-sensitive) wire spellings only; VALIDATION_ERROR for anything else.
Result<CompatMode> parse_compat_mode(std::string_view name);

constexpr int kMaxSchemaDepth = 100;        // nested schema comparisons on one path
constexpr int kMaxRefHops = 32;             // length of a $ref -> $ref chain
constexpr size_t kMaxSubschemas = 64;       // entries of one allOf/anyOf/oneOf or type array
constexpr long kMaxCompareSteps = 100000;   // schema pairs + JSON values compared per diff
constexpr size_t kMaxPatternBytes = 256;    // longer patternProperties keys never match

// anarq difference types (not Confluent's); always incompatible.
inline constexpr std::string_view kSchemaTooDeep = "SCHEMA_TOO_DEEP";
inline constexpr std::string_view kSchemaTooComplex = "SCHEMA_TOO_COMPLEX";
inline constexpr std::string_view kSchemaInvalid = "SCHEMA_INVALID";
inline constexpr std::string_view kReferenceUnresolved = "REFERENCE_UNRESOLVED";

struct Difference {
  std::string type;         // Confluent's Difference.Type spelling, or an anarq type above
  std::string pointer;      // RFC 6901 pointer to the place, "" for the root; Confluent's path
                            // ("required/<name>" for required changes, the referring place
                            // for changes behind a $ref)
  bool compatible = false;  // type is in Confluent's COMPATIBLE_CHANGES
};

// Every difference `update` makes to `original`, as Confluent's SchemaDiff.compare.
std::vector<Difference> diff_schemas(const Json& original, const Json& update);

// True for the types in Confluent's COMPATIBLE_CHANGES; false for all others.
bool is_compatible_change(std::string_view type);

struct Incompatibility {
  std::string type;       // Confluent's Difference.Type spelling, or an anarq type above
  std::string pointer;    // as Difference::pointer
  std::string message;    // one human sentence
  int version = 0;        // the existing version it conflicts with (filled by check_compatibility)
  std::string direction;  // "BACKWARD" or "FORWARD": which reading direction breaks
                          // (filled by check_compatibility)
};

// Confluent's core comparison: the differences that make `update` unable to read
// data written under `original` (i.e. update is NOT backward compatible with original).
// Empty = compatible.
std::vector<Incompatibility> diff_incompatible(const Json& original, const Json& update);

// Mode semantics as Confluent: BACKWARD = the candidate reads data of the latest
// previous version; FORWARD = the latest previous version reads data of the candidate;
// FULL = both; *_TRANSITIVE = against every previous version, not only the latest;
// NONE = always compatible. `previous` is ordered oldest first; previous[i] is version
// i+1. Results come latest version first, BACKWARD before FORWARD per version. Empty =
// the candidate may be registered. An empty `previous` is always compatible.
std::vector<Incompatibility> check_compatibility(CompatMode mode, const Json& candidate,
                                                 const std::vector<Json>& previous);

}  // namespace anarq::bus
