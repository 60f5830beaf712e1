// SchemaValidator: runs a compiled draft-07 schema (core/json_schema.h) over a
// document and reports violations with their RFC 6901 pointers.
//
// Cost is bounded before anything costly runs: on each node the type and the
// size bounds (maxLength, maxItems, maxProperties) come first, and when a size
// bound fails the node's other keywords are not run on that value; `pattern`
// is RE2 (linear time, no recursion); uniqueItems sorts canonical forms. Every
// call also has hard limits: document depth, schema-evaluation depth ($ref
// recursion), a work budget (schema nodes visited) and the number of
// violations collected. A limit hit ends validation with a violation, so a
// value is never accepted because its check was cut short.
#include "core/schema_validator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/json.h"
#include "core/json_schema.h"

namespace anarq {

namespace js = json_schema;

namespace {

constexpr size_t kMaxDocumentDepth = 128;  // nesting of the validated value
constexpr int kMaxEvalDepth = 512;         // nested schema evaluations ($ref, combinators, children)
// Schema nodes evaluated per validate() call: a base plus a few per value in
// the document, so the work stays linear in the input whatever the schema
// (nested anyOf over $refs is exponential otherwise).
constexpr size_t kBaseWork = 100'000;
constexpr size_t kWorkPerValue = 8;
constexpr size_t kMaxViolations = 100;

struct Sink {
  std::vector<Violation> v;
  size_t limit;
  bool full() const { return v.size() >= limit; }
};

const char* type_name(const Json& x) {
  switch (x.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    default: return "unsupported value";
  }
}

bool is_integral(const Json& x) {
  if (x.is_number_integer()) return true;  // also unsigned
  if (!x.is_number_float()) return false;
  double d = x.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool type_ok(uint8_t types, const Json& x) {
  switch (x.type()) {
    case Json::value_t::null: return types & js::kNull;
    case Json::value_t::boolean: return types & js::kBoolean;
    case Json::value_t::object: return types & js::kObject;
    case Json::value_t::array: return types & js::kArray;
    case Json::value_t::string: return types & js::kString;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return (types & js::kNumber) || ((types & js::kInteger) && is_integral(x));
    default: return false;
  }
}

std::string type_list(uint8_t types) {
  static const std::pair<uint8_t, const char*> kNames[] = {
      {js::kObject, "object"}, {js::kArray, "array"}, {js::kString, "string"}, {js::kInteger, "integer"},
      {js::kNumber, "number"}, {js::kBoolean, "boolean"}, {js::kNull, "null"}};
  std::string out;
  for (const auto& [bit, name] : kNames)
    if (types & bit) out += (out.empty() ? "" : " or ") + std::string(name);
  return out;
}

// A short rendering of a schema value for messages.
std::string brief(const Json& j) {
  std::string s = dump_compact(j);
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

bool as_int(const Json& j, __int128& out) {
  if (j.is_number_unsigned()) out = j.get<uint64_t>();
  else if (j.is_number_integer()) out = j.get<int64_t>();
  else return false;
  return true;
}

// -1/0/1; exact when both are integers, long double otherwise (which holds
// every int64 and every double exactly).
int compare(const Json& a, const Json& b) {
  __int128 x, y;
  if (as_int(a, x) && as_int(b, y)) return x < y ? -1 : x > y ? 1 : 0;
  long double p = a.is_number_float() ? a.get<double>() : a.is_number_unsigned() ? a.get<uint64_t>() : a.get<int64_t>();
  long double q = b.is_number_float() ? b.get<double>() : b.is_number_unsigned() ? b.get<uint64_t>() : b.get<int64_t>();
  return p < q ? -1 : p > q ? 1 : 0;
}

bool multiple_of(const Json& x, const Json& m) {
  __int128 a, b;
  if (as_int(x, a) && as_int(m, b)) return b > 0 && a % b == 0;
  long double p = x.is_number_float() ? x.get<double>() : x.is_number_unsigned() ? x.get<uint64_t>() : x.get<int64_t>();
  long double q = m.is_number_float() ? m.get<double>() : m.is_number_unsigned() ? m.get<uint64_t>() : m.get<int64_t>();
  long double r = p / q;
  if (!std::isfinite(r)) return false;
  // Tolerate the rounding of the division (0.3 / 0.1 = 2.9999999999999996).
  return std::fabs(r - std::round(r)) <= std::max(1e-9L, std::fabs(r) * 1e-15L);
}

uint64_t code_points(const std::string& s) {
  uint64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Values in the document (iterative: the document may be deeper than the stack allows).
size_t count_values(const Json& doc) {
  size_t n = 0;
  std::vector<const Json*> stack{&doc};
  while (!stack.empty()) {
    const Json* j = stack.back();
    stack.pop_back();
    ++n;
    if (j->is_array() || j->is_object())
      for (const auto& c : *j) stack.push_back(&c);
  }
  return n;
}

class Evaluator {
 public:
  // The work budget starts at kBaseWork; only a document that needs more is
  // counted (once), so small and size-bounded documents never pay for the walk.
  explicit Evaluator(const Json& document) : document_(document) {}

  void eval(const js::Node& n, const Json& x, Sink& out) {
    if (stopped(out)) return;
    if (++work_ > budget_ && !counted_) {
      counted_ = true;
      budget_ += kWorkPerValue * count_values(document_);
    }
    if (work_ > budget_) {
      abort("validation stopped: the value needs more than " + std::to_string(budget_) + " schema checks");
      return;
    }
    if (depth_ >= kMaxEvalDepth) {
      abort("validation stopped: schema references nest deeper than " + std::to_string(kMaxEvalDepth) + " levels");
      return;
    }
    ++depth_;
    run(n, x, out);
    --depth_;
  }

  // Set when a limit ended validation; the document is then invalid.
  const std::optional<Violation>& aborted() const { return abort_; }

 private:
  bool stopped(const Sink& out) const { return abort_.has_value() || out.full(); }

  void abort(std::string reason) {
    if (!abort_) abort_ = Violation{pointer_from_tokens(path_), std::move(reason)};
  }

  void add(Sink& out, std::string reason) {
    if (!out.full()) out.v.push_back({pointer_from_tokens(path_), std::move(reason)});
  }

  // Enters a child of the current value (array index or property name).
  bool enter(std::string token) {
    path_.push_back(std::move(token));
    if (path_.size() > kMaxDocumentDepth) {
      abort("nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
      path_.pop_back();
      return false;
    }
    return true;
  }
  void leave() { path_.pop_back(); }

  void child(const js::Node& n, const Json& x, std::string token, Sink& out) {
    if (!enter(std::move(token))) return;
    eval(n, x, out);
    leave();
  }

  // Whether x is valid against n, stopping at the first violation.
  bool passes(const js::Node& n, const Json& x) {
    Sink s{{}, 1};
    eval(n, x, s);
    return s.v.empty() && !abort_;
  }

  void run(const js::Node& n, const Json& x, Sink& out) {
    if (n.ref) return eval(*n.ref, x, out);
    if (n.reject) return add(out, "no value is allowed here");
    if (n.types && !type_ok(n.types, x)) return add(out, "expected " + type_list(n.types) + ", got " + type_name(x));
    if (n.enum_values &&
        std::none_of(n.enum_values->begin(), n.enum_values->end(), [&](const Json& e) { return e == x; })) {
      std::string list;
      for (const auto& e : *n.enum_values) list += (list.empty() ? "" : ", ") + dump_compact(e);
      add(out, "must be one of " + (list.size() > 200 ? list.substr(0, 197) + "..." : list));
    }
    if (n.const_value && !(*n.const_value == x)) add(out, "must be " + brief(*n.const_value));
    bool within_bounds = true;
    if (x.is_string()) within_bounds = string_keywords(n, x.get_ref<const std::string&>(), out);
    else if (x.is_number()) number_keywords(n, x, out);
    else if (x.is_array()) within_bounds = array_keywords(n, x, out);
    else if (x.is_object()) within_bounds = object_keywords(n, x, out);
    if (!within_bounds || stopped(out)) return;
    combinators(n, x, out);
  }

  bool string_keywords(const js::Node& n, const std::string& s, Sink& out) {
    if (n.max_length || n.min_length) {
      uint64_t len = code_points(s);
      if (n.max_length && len > *n.max_length) {
        add(out, "at most " + std::to_string(*n.max_length) + " characters (got " + std::to_string(len) + ")");
        return false;
      }
      if (n.min_length && len < *n.min_length)
        add(out, "at least " + std::to_string(*n.min_length) + " characters (got " + std::to_string(len) + ")");
    }
    if (n.pattern && !RE2::PartialMatch(s, *n.pattern->re))
      add(out, n.expected.empty() ? "does not match the pattern " + n.pattern->text
                                  : "does not match the expected form: " + n.expected);
    if (n.format != js::Format::kNone && !js::check_format(n.format, s))
      add(out, "not a valid " + n.format_name + ": expected " + js::format_hint(n.format));
    return true;
  }

  void number_keywords(const js::Node& n, const Json& x, Sink& out) {
    if (n.multiple_of && !multiple_of(x, *n.multiple_of)) add(out, "must be a multiple of " + dump_compact(*n.multiple_of));
    if (n.maximum && compare(x, *n.maximum) > 0) add(out, "must be at most " + dump_compact(*n.maximum));
    if (n.exclusive_maximum && compare(x, *n.exclusive_maximum) >= 0)
      add(out, "must be less than " + dump_compact(*n.exclusive_maximum));
    if (n.minimum && compare(x, *n.minimum) < 0) add(out, "must be at least " + dump_compact(*n.minimum));
    if (n.exclusive_minimum && compare(x, *n.exclusive_minimum) <= 0)
      add(out, "must be greater than " + dump_compact(*n.exclusive_minimum));
  }

  // A canonical text for JSON equality (1 and 1.0 are equal; keys are sorted
  // because Json objects are ordered maps). False when too deep.
  bool canonical(const Json& x, std::string& out, size_t depth) {
    if (depth > kMaxDocumentDepth) return false;
    switch (x.type()) {
      case Json::value_t::array:
        out += '[';
        for (const auto& e : x) {
          if (!canonical(e, out, depth + 1)) return false;
          out += ',';
        }
        out += ']';
        return true;
      case Json::value_t::object:
        out += '{';
        for (const auto& [k, v] : x.items()) {
          out += Json(k).dump(-1, ' ', false, Json::error_handler_t::replace);
          out += ':';
          if (!canonical(v, out, depth + 1)) return false;
          out += ',';
        }
        out += '}';
        return true;
      case Json::value_t::number_float: {
        double d = x.get<double>();
        char buf[40];
        if (std::floor(d) == d && std::fabs(d) < 9.2e18) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
        else std::snprintf(buf, sizeof buf, "%.17g", d);
        out += buf;
        return true;
      }
      default:
        out += x.dump(-1, ' ', false, Json::error_handler_t::replace);
        return true;
    }
  }

  bool array_keywords(const js::Node& n, const Json& x, Sink& out) {
    const size_t size = x.size();
    if (n.max_items && size > *n.max_items) {
      add(out, "at most " + std::to_string(*n.max_items) + " items (got " + std::to_string(size) + ")");
      return false;
    }
    if (n.min_items && size < *n.min_items)
      add(out, "at least " + std::to_string(*n.min_items) + " items (got " + std::to_string(size) + ")");
    if (n.unique_items && size > 1) {
      // Sort canonical forms: O(n log n), never pairwise.
      std::vector<std::pair<std::string, size_t>> keys(size);
      for (size_t i = 0; i < size; ++i) {
        keys[i].second = i;
        if (!canonical(x[i], keys[i].first, path_.size() + 1)) {
          abort("nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
          return false;
        }
      }
      std::sort(keys.begin(), keys.end());
      for (size_t i = 1; i < size; ++i)
        if (keys[i].first == keys[i - 1].first) {
          add(out, "items must be unique (items " + std::to_string(keys[i - 1].second) + " and " +
                       std::to_string(keys[i].second) + " are equal)");
          break;
        }
    }
    if (n.items) {
      for (size_t i = 0; i < size && !stopped(out); ++i) child(*n.items, x[i], std::to_string(i), out);
    } else if (n.item_list) {
      const auto& list = *n.item_list;
      for (size_t i = 0; i < size && !stopped(out); ++i) {
        if (i < list.size()) {
          child(*list[i], x[i], std::to_string(i), out);
        } else if (n.additional_items && n.additional_items->reject) {
          if (enter(std::to_string(i))) {
            add(out, "unexpected item: at most " + std::to_string(list.size()) + " items (additionalItems is false)");
            leave();
          }
          break;
        } else if (n.additional_items) {
          child(*n.additional_items, x[i], std::to_string(i), out);
        } else {
          break;
        }
      }
    }
    if (n.contains && !stopped(out)) {
      bool found = false;
      for (size_t i = 0; i < size && !found && !abort_; ++i) {
        if (!enter(std::to_string(i))) break;
        found = passes(*n.contains, x[i]);
        leave();
      }
      if (!found && !abort_) add(out, "no item matches the schema in 'contains'");
    }
    return true;
  }

  bool object_keywords(const js::Node& n, const Json& x, Sink& out) {
    const size_t size = x.size();
    if (n.max_properties && size > *n.max_properties) {
      add(out, "at most " + std::to_string(*n.max_properties) + " properties (got " + std::to_string(size) + ")");
      return false;
    }
    if (n.min_properties && size < *n.min_properties)
      add(out, "at least " + std::to_string(*n.min_properties) + " properties (got " + std::to_string(size) + ")");
    for (const auto& r : n.required)
      if (!x.contains(r)) add(out, "missing required property '" + r + "'");
    if (!n.properties.empty() || !n.pattern_properties.empty() || n.additional_properties) {
      for (const auto& [k, v] : x.items()) {
        if (stopped(out)) return true;
        bool matched = false;
        if (auto it = n.properties.find(k); it != n.properties.end()) {
          matched = true;
          child(*it->second, v, k, out);
        }
        for (const auto& [p, s] : n.pattern_properties)
          if (RE2::PartialMatch(k, *p.re)) {
            matched = true;
            child(*s, v, k, out);
          }
        if (matched || !n.additional_properties) continue;
        if (n.additional_properties->reject) {
          if (enter(k)) {
            add(out, "unknown property '" + k + "' (additionalProperties is false)");
            leave();
          }
        } else {
          child(*n.additional_properties, v, k, out);
        }
      }
    }
    for (const auto& [k, names] : n.dependent_required)
      if (x.contains(k))
        for (const auto& name : names)
          if (!x.contains(name)) add(out, "property '" + k + "' requires property '" + name + "'");
    for (const auto& [k, s] : n.dependent_schemas)
      if (x.contains(k)) eval(*s, x, out);
    if (n.property_names) {
      for (const auto& [k, v] : x.items()) {
        if (stopped(out)) break;
        Sink names{{}, out.limit - out.v.size()};
        child(*n.property_names, Json(k), k, names);
        for (auto& e : names.v) out.v.push_back({std::move(e.pointer), "property name: " + e.reason});
      }
    }
    return true;
  }

  void combinators(const js::Node& n, const Json& x, Sink& out) {
    for (const js::Node* s : n.all_of) eval(*s, x, out);
    if (!n.any_of.empty() && !stopped(out)) {
      // Each branch once, into its own sink: the first clean one wins; when
      // none is, their violations (the leaves) are what the caller sees.
      std::vector<Violation> failures;
      bool ok = false;
      for (const js::Node* s : n.any_of) {
        Sink branch{{}, out.limit - out.v.size()};
        eval(*s, x, branch);
        if (abort_) return;
        if (branch.v.empty()) {
          ok = true;
          break;
        }
        failures.insert(failures.end(), branch.v.begin(), branch.v.end());
      }
      if (!ok)
        for (auto& f : failures) add_violation(out, std::move(f));
    }
    if (!n.one_of.empty() && !stopped(out)) {
      std::vector<Violation> failures;
      std::vector<size_t> matched;
      for (size_t i = 0; i < n.one_of.size() && matched.size() < 2; ++i) {
        Sink branch{{}, out.limit - out.v.size()};
        eval(*n.one_of[i], x, branch);
        if (abort_) return;
        if (branch.v.empty()) matched.push_back(i);
        else failures.insert(failures.end(), branch.v.begin(), branch.v.end());
      }
      if (matched.empty())
        for (auto& f : failures) add_violation(out, std::move(f));
      else if (matched.size() > 1)
        add(out, "matches more than one alternative of oneOf (#" + std::to_string(matched[0]) + " and #" +
                     std::to_string(matched[1]) + ")");
    }
    if (n.not_ && !stopped(out) && passes(*n.not_, x) && !abort_) add(out, "must not match the schema in 'not'");
    if (n.if_ && !stopped(out)) {
      bool cond = passes(*n.if_, x);
      if (abort_) return;
      if (cond && n.then_) eval(*n.then_, x, out);
      else if (!cond && n.else_) eval(*n.else_, x, out);
    }
  }

  void add_violation(Sink& out, Violation v) {
    if (!out.full()) out.v.push_back(std::move(v));
  }

  std::vector<std::string> path_;
  int depth_ = 0;
  size_t work_ = 0;
  const Json& document_;
  size_t budget_ = kBaseWork;
  bool counted_ = false;
  std::optional<Violation> abort_;
};

}  // namespace

struct SchemaValidator::Impl {
  std::unique_ptr<js::CompiledSchema> schema;
};

SchemaValidator::SchemaValidator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::compile(const Json& schema) {
  auto compiled = js::compile(schema);
  if (!compiled.ok()) return compiled.status();
  auto impl = std::make_unique<Impl>();
  impl->schema = std::move(*compiled);
  return std::shared_ptr<const SchemaValidator>(new SchemaValidator(std::move(impl)));
}

std::vector<Violation> SchemaValidator::validate(const Json& document) const {
  Evaluator e(document);
  Sink sink{{}, kMaxViolations};
  e.eval(*impl_->schema->root, document, sink);
  std::vector<Violation> out;
  if (e.aborted()) out.push_back(*e.aborted());
  // The same leaf can be reached through two combinators: report it once.
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& v : sink.v)
    if (seen.emplace(v.pointer, v.reason).second) out.push_back(std::move(v));
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
