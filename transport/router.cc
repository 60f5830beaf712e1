#include "transport/router.h"

#include <charconv>

#include "core/json.h"

namespace anarq {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The JSON type a schema property asks for ("" when none or several).
std::string property_type(const Tool& tool, const std::string& name) {
  const Json& props = tool.input_schema.value("properties", Json::object());
  if (!props.contains(name) || !props[name].is_object()) return "";
  const Json& t = props[name].value("type", Json());
  return t.is_string() ? t.get<std::string>() : "";
}

Result<Json> coerce(const std::string& type, const std::string& name, const std::string& raw) {
  auto bad = [&](const char* what) {
    return Status::validation("parameter '" + name + "' must be " + what + ", got '" + raw + "'",
                              {{"violations", {{{"pointer", std::string("/").append(pointer_escape(name))}, {"reason", std::string("expected ") + what}}}}});
  };
  if (type == "integer") {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec != std::errc() || p != raw.data() + raw.size() || raw.empty()) return bad("an integer");
    return Json(v);
  }
  if (type == "number") {
    char* end = nullptr;
    double v = std::strtod(raw.c_str(), &end);
    if (raw.empty() || end != raw.c_str() + raw.size()) return bad("a number");
    return Json(v);
  }
  if (type == "boolean") {
    if (raw == "true") return Json(true);
    if (raw == "false") return Json(false);
    return bad("true or false");
  }
  return Json(raw);
}

}  // namespace

std::vector<std::string> template_params(const std::string& path_template) {
  std::vector<std::string> out;
  for (const auto& seg : split_path(path_template))
    if (is_param(seg)) out.push_back(seg.substr(1, seg.size() - 2));
  return out;
}

Result<Router> Router::build(const ToolRegistry& registry) {
  Router r;
  for (const Tool* t : registry.list(true)) {
    if (t->http.method.empty() || t->http.path.empty() || t->http.path.front() != '/')
      return Status::internal("tool " + t->name + " has no valid HTTP binding");
    Route route{split_path(t->http.path), t->http.method, t};
    for (const auto& existing : r.routes_) {
      if (existing.method != route.method || existing.segments.size() != route.segments.size()) continue;
      bool same = true;
      for (size_t i = 0; i < route.segments.size() && same; ++i)
        same = (is_param(existing.segments[i]) && is_param(route.segments[i])) || existing.segments[i] == route.segments[i];
      if (same)
        return Status::internal("tools " + existing.tool->name + " and " + t->name + " bind the same route " +
                                t->http.method + " " + t->http.path);
    }
    r.routes_.push_back(std::move(route));
  }
  return r;
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  RouteMatch best;
  auto segments = split_path(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      if (is_param(route.segments[i])) {
        auto decoded = percent_decode(segments[i], false);
        if (!decoded || decoded->empty()) ok = false;
        else params[route.segments[i].substr(1, route.segments[i].size() - 2)] = *decoded;
      } else {
        ok = route.segments[i] == segments[i];
      }
    }
    if (!ok) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      // A literal segment beats a parameter: prefer the route with fewer params.
      if (best.kind != RouteMatch::Kind::kFound || params.size() < best.path_params.size()) {
        best.kind = RouteMatch::Kind::kFound;
        best.tool = route.tool;
        best.path_params = std::move(params);
      }
    } else {
      best.allowed.push_back(route.method);
      if (best.kind == RouteMatch::Kind::kNotFound) best.kind = RouteMatch::Kind::kMethodNotAllowed;
    }
  }
  return best;
}

void split_target(const std::string& target, std::string& path, std::string& query) {
  size_t q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string::npos ? "" : target.substr(q + 1);
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_query(const std::string& query, size_t max_pairs) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view pair(query.data() + start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto val = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !val) return Status::validation("malformed percent-encoding in the query string");
    out.emplace_back(std::move(*key), std::move(*val));
    if (out.size() > max_pairs) return Status::validation("too many query parameters (at most " + std::to_string(max_pairs) + ")");
  }
  return out;
}

Result<Json> build_input(const Tool& tool, const std::map<std::string, std::string>& path_params,
                         const std::string& query, const std::string& body) {
  Json input = Json::object();
  bool body_blank = body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (!body_blank) {
    auto parsed = parse_json(body);
    if (!parsed.ok()) return parsed.status();
    if (!parsed->is_object()) return Status::validation("request body must be a JSON object");
    input = std::move(*parsed);
  }
  auto set = [&](const std::string& name, Json value, const char* where) -> Status {
    if (input.contains(name) && input[name] != value)
      return Status::validation("'" + name + "' is given in the " + where + " and, differently, elsewhere");
    input[name] = std::move(value);
    return {};
  };
  // Query: repeated keys build an array when the schema wants one.
  auto pairs = parse_query(query, 256);
  if (!pairs.ok()) return pairs.status();
  std::map<std::string, std::vector<std::string>> q;
  for (auto& [k, v] : *pairs) q[k].push_back(std::move(v));
  if (q.size() > 64) return Status::validation("too many query parameters (at most 64)");
  for (const auto& [name, values] : q) {
    std::string type = property_type(tool, name);
    if (type == "array") {
      std::string item_type;
      const Json& items = tool.input_schema["properties"][name].value("items", Json::object());
      if (items.is_object() && items.value("type", Json()).is_string()) item_type = items["type"];
      Json arr = Json::array();
      for (const auto& v : values) {
        auto c = coerce(item_type, name, v);
        if (!c.ok()) return c.status();
        arr.push_back(*c);
      }
      ANARQ_RETURN_IF_ERROR(set(name, arr, "query"));
      continue;
    }
    if (values.size() > 1) return Status::validation("query parameter '" + name + "' is given more than once");
    auto c = coerce(type, name, values[0]);
    if (!c.ok()) return c.status();
    ANARQ_RETURN_IF_ERROR(set(name, *c, "query"));
  }
  for (const auto& [name, raw] : path_params) {
    auto c = coerce(property_type(tool, name), name, raw);
    if (!c.ok()) return c.status();
    ANARQ_RETURN_IF_ERROR(set(name, *c, "path"));
  }
  return input;
}

}  // namespace anarq
