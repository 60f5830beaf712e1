#pragma once
// SchemaValidator: a compiled JSON Schema (draft-07) that reports every
// violation with its RFC 6901 pointer. Compile once, validate from many
// threads (validate() is const and keeps no state between calls; no caches).
//
// `pattern` and `patternProperties` use RE2 (linear time, no backtracking, no
// recursion), so a pattern RE2 cannot compile (backreferences, lookaround,
// syntax errors) is refused by compile(). validate() is bounded: size bounds
// (maxLength, maxItems, maxProperties) are checked before the costly keywords,
// and document depth, $ref recursion, total work and the number of
// violations reported all have limits; a limit hit is itself a violation.
// A failed pattern is reported with the schema's description (or title), not
// the regex, when the schema has one.
//
//   auto v = SchemaValidator::compile(tool.input_schema);
//   for (const auto& e : v->validate(input)) std::cout << e.pointer << ": " << e.reason;
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace anarq {

struct Violation {
  std::string pointer;  // "" = the document root
  std::string reason;
};

class SchemaValidator {
 public:
  // VALIDATION_ERROR, naming the JSON pointer inside the schema, when the
  // schema is not a draft-07 schema this validator can run: a keyword with a
  // bad value, a $ref that is remote or does not resolve, a pattern RE2 cannot
  // compile. Callers holding their own schemas turn it into INTERNAL_ERROR.
  static Result<std::shared_ptr<const SchemaValidator>> compile(const Json& schema);
  ~SchemaValidator();
  std::vector<Violation> validate(const Json& document) const;

  struct Impl;

 private:
  explicit SchemaValidator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// VALIDATION_ERROR listing each violation as {pointer, reason} in details.violations.
Status violations_to_status(const std::vector<Violation>& violations, const std::string& what);

}  // namespace anarq
