// The only translation unit that includes valijson (it costs ~13 s to compile).
#include "core/schema_validator.h"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/json.h"

namespace anarq {

struct SchemaValidator::Impl {
  valijson::Schema schema;
};

SchemaValidator::SchemaValidator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::compile(const Json& schema) {
  try {
    auto impl = std::make_unique<Impl>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl->schema);
    return std::shared_ptr<const SchemaValidator>(new SchemaValidator(std::move(impl)));
  } catch (const std::exception& e) {
    return Status::internal(std::string("invalid JSON Schema: ") + e.what());
  }
}

namespace {

// valijson's context is {"<root>", "[a]", "[0]", ...}; turn it into "/a/0".
std::string to_pointer(const std::vector<std::string>& context) {
  std::vector<std::string> tokens;
  for (size_t i = 1; i < context.size(); ++i) {
    const std::string& c = context[i];
    tokens.push_back(c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c);
  }
  return pointer_from_tokens(tokens);
}

// valijson reports a failing leaf and then one summary per enclosing schema
// ("Failed to validate ..."); callers want the leaves.
bool is_summary(const std::string& description) { return description.rfind("Failed to validate", 0) == 0; }

}  // namespace

std::vector<Violation> SchemaValidator::validate(const Json& document) const {
  // One validator per thread: it caches compiled `pattern` regexes (keyed by
  // pattern text, which comes from our own schemas), and std::regex
  // compilation would otherwise dominate every call.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  std::vector<Violation> all, leaves;
  if (validator.validate(impl_->schema, adapter, &results)) return {};
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    Violation v{to_pointer(error.context), error.description};
    // Name the unknown property in the pointer instead of burying it in prose.
    static const std::string kExtra = "Object contains a property that could not be validated using 'properties' or 'additionalProperties' constraints: '";
    if (v.reason.rfind(kExtra, 0) == 0 && v.reason.size() > kExtra.size() + 2) {
      std::string name = v.reason.substr(kExtra.size(), v.reason.size() - kExtra.size() - 2);
      v.pointer += "/" + pointer_escape(name);
      v.reason = "unknown property '" + name + "' (additionalProperties is false)";
    }
    (is_summary(v.reason) ? all : leaves).push_back(v);
  }
  if (leaves.empty()) return all;
  // Drop exact duplicates (the same leaf reached through two combinators).
  std::vector<Violation> out;
  for (auto& v : leaves) {
    bool dup = false;
    for (const auto& o : out) dup |= o.pointer == v.pointer && o.reason == v.reason;
    if (!dup) out.push_back(std::move(v));
  }
  return out;
}

Status violations_to_status(const std::vector<Violation>& violations, const std::string& what) {
  Json list = Json::array();
  for (const auto& v : violations) list.push_back({{"pointer", v.pointer}, {"reason", v.reason}});
  std::string message = what + " failed validation";
  if (!violations.empty())
    message += ": " + (violations[0].pointer.empty() ? std::string("(root)") : violations[0].pointer) + " " +
               violations[0].reason + (violations.size() > 1 ? " (and " + std::to_string(violations.size() - 1) + " more)" : "");
  return Status::validation(message, {{"violations", list}});
}

}  // namespace anarq
