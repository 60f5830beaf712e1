#pragma once
// SchemaValidator: a compiled JSON Schema (draft-07, via valijson) that reports
// every violation with its RFC 6901 pointer. Compile once, validate from many
// threads (validate() is const and keeps no state between calls).
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
  // INTERNAL_ERROR when the schema itself is not a valid draft-07 schema.
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
