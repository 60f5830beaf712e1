#pragma once
// Router: HTTP method + path -> tool, from each tool's HTTP binding, and the
// merge of path params, query and JSON body into the tool's one input object
// (google.api.http style). Built once at start-up; match() is thread-safe.
#include <map>
#include <string>
#include <vector>

#include "runtime/registry.h"

namespace anarq {

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
  const Tool* tool = nullptr;
  std::map<std::string, std::string> path_params;  // percent-decoded
  std::vector<std::string> allowed;                // for 405: methods the path accepts
};

class Router {
 public:
  // INTERNAL_ERROR when two tools bind the same method and template, or a
  // template is malformed.
  static Result<Router> build(const ToolRegistry& registry);
  // Built-in routes (/health ...) are checked by the caller before tools.
  RouteMatch match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::vector<std::string> segments;  // "{name}" marks a parameter
    std::string method;
    const Tool* tool;
  };
  std::vector<Route> routes_;
};

// Splits "/a/b?x=1" into path and query.
void split_target(const std::string& target, std::string& path, std::string& query);
// The decoded key/value pairs of a query string, in order; VALIDATION_ERROR on
// a malformed escape or more than max_pairs pairs.
Result<std::vector<std::pair<std::string, std::string>>> parse_query(const std::string& query, size_t max_pairs);

// Percent-decoding; nullopt on a malformed escape. plus_as_space for query strings.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

// Builds the tool input: the JSON body (an object, or empty), then query
// parameters and path parameters coerced to the types the input schema gives
// them. VALIDATION_ERROR for malformed JSON, a non-object body, a bad escape,
// an uncoercible value or a parameter given twice with different values.
Result<Json> build_input(const Tool& tool, const std::map<std::string, std::string>& path_params,
                         const std::string& query, const std::string& body);

// Parameter names in a path template, in order.
std::vector<std::string> template_params(const std::string& path_template);

}  // namespace anarq
