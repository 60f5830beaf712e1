// Compiles a draft-07 JSON Schema into json_schema::Node graphs (see json_schema.h).
//
// The walk follows the schema document's own nesting (bounded by
// kMaxSchemaDepth); a $ref only names its target node, which is compiled later
// from a work list, so recursive and mutually recursive schemas terminate and a
// chain of refs never deepens the stack. Nodes are memoised by their JSON
// pointer: a $ref to "#/definitions/x" and the walk through "definitions/x"
// share one node.
#include <cmath>
#include <deque>
#include <unordered_map>

#include "core/json.h"
#include "core/json_schema.h"

namespace anarq::json_schema {

RE2::Options pattern_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_max_mem(kPatternMaxMem);
  o.set_log_errors(false);
  return o;
}

namespace {

// RFC 6901 token unescaping (~1 -> /, ~0 -> ~).
std::string pointer_unescape(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += t[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

// URI fragments are percent-encoded (RFC 3986); JSON pointers inside them too.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string show(const std::string& where) { return where.empty() ? std::string("(root)") : where; }

class Compiler {
 public:
  explicit Compiler(const Json& root) : root_(root), out_(std::make_unique<CompiledSchema>()) {}

  Result<std::unique_ptr<CompiledSchema>> run() {
    Node* root = node_for("");
    ANARQ_RETURN_IF_ERROR(fill(*root, root_, 0));
    while (!pending_.empty()) {
      auto [node, ref_site] = pending_.front();
      pending_.pop_front();
      if (node->filled) continue;
      const Json* target = resolve(node->where);
      if (!target) return error(ref_site, "$ref \"#" + node->where + "\" does not resolve inside this schema");
      ANARQ_RETURN_IF_ERROR(fill(*node, *target, 0));
    }
    // A $ref whose chain comes back to itself without a keyword in between
    // would send validation round in circles on every value.
    std::unordered_map<const Node*, bool> ends;  // node -> its ref chain reaches a real schema
    for (const auto& n : out_->nodes) {
      std::vector<const Node*> chain;
      std::unordered_map<const Node*, bool> on_chain;
      const Node* cur = n.get();
      bool ok = true;
      while (cur->ref) {
        if (auto it = ends.find(cur); it != ends.end()) {
          ok = it->second;
          break;
        }
        if (on_chain.count(cur)) {
          ok = false;
          break;
        }
        on_chain[cur] = true;
        chain.push_back(cur);
        cur = cur->ref;
      }
      for (const Node* c : chain) ends[c] = ok;
      if (!ok) return error(n->where, "$ref cycle: the reference chain comes back to itself");
    }
    out_->root = out_->nodes[0].get();
    return std::move(out_);
  }

 private:
  Status error(const std::string& where, const std::string& what) {
    return Status::validation("invalid JSON Schema at " + show(where) + ": " + what);
  }

  Node* node_for(const std::string& where) {
    auto it = by_pointer_.find(where);
    if (it != by_pointer_.end()) return it->second;
    out_->nodes.push_back(std::make_unique<Node>());
    Node* n = out_->nodes.back().get();
    n->where = where;
    by_pointer_.emplace(where, n);
    return n;
  }

  const Json* resolve(const std::string& pointer) const {
    const Json* cur = &root_;
    size_t pos = 0;
    while (pos < pointer.size()) {
      // pointer starts with '/' and every token is preceded by one.
      size_t next = pointer.find('/', pos + 1);
      std::string token = pointer_unescape(std::string_view(pointer).substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
      if (cur->is_object()) {
        auto it = cur->find(token);
        if (it == cur->end()) return nullptr;
        cur = &*it;
      } else if (cur->is_array()) {
        if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos ||
            (token.size() > 1 && token[0] == '0'))
          return nullptr;
        size_t i = std::stoul(token);
        if (i >= cur->size()) return nullptr;
        cur = &(*cur)[i];
      } else {
        return nullptr;
      }
      if (next == std::string::npos) break;
      pos = next;
    }
    return cur;
  }

  // A child subschema at `where`: compiled now (the walk follows the document).
  Result<const Node*> child(const Json& j, const std::string& where, int depth) {
    Node* n = node_for(where);
    if (!n->filled) ANARQ_RETURN_IF_ERROR(fill(*n, j, depth));
    return static_cast<const Node*>(n);
  }

  Result<Pattern> pattern(const Json& j, const std::string& where, const char* what) {
    if (!j.is_string()) return error(where, std::string(what) + " must be a string");
    if (++patterns_ > kMaxPatterns)
      return error(where, "more than " + std::to_string(kMaxPatterns) + " patterns in one schema");
    Pattern p;
    p.text = j.get<std::string>();
    p.re = std::make_unique<RE2>(p.text, pattern_options());
    if (!p.re->ok())
      return error(where, std::string(what) + " \"" + p.text + "\" is not a regular expression this node supports (" +
                              p.re->error() + "; RE2 syntax: no backreferences or lookaround)");
    return p;
  }

  static std::optional<uint64_t> count(const Json& j) {
    if (j.is_number_unsigned()) return j.get<uint64_t>();
    if (j.is_number_integer() && j.get<int64_t>() >= 0) return static_cast<uint64_t>(j.get<int64_t>());
    if (j.is_number_float()) {
      double d = j.get<double>();
      if (d >= 0 && std::floor(d) == d && d < 1.8e19) return static_cast<uint64_t>(d);
    }
    return std::nullopt;
  }

  Result<std::vector<const Node*>> schema_list(const Json& j, const std::string& where, const char* kw, int depth,
                                               bool allow_empty) {
    if (!j.is_array() || (!allow_empty && j.empty())) return error(where, std::string(kw) + " must be a non-empty array of schemas");
    std::vector<const Node*> out;
    for (size_t i = 0; i < j.size(); ++i) {
      auto c = child(j[i], where + "/" + std::to_string(i), depth + 1);
      if (!c.ok()) return c.status();
      out.push_back(*c);
    }
    return out;
  }

  Status fill(Node& n, const Json& j, int depth) {
    n.filled = true;
    if (depth > kMaxSchemaDepth) return error(n.where, "the schema nests deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
    if (j.is_boolean()) {
      n.reject = !j.get<bool>();
      return {};
    }
    if (!j.is_object()) return error(n.where, "a schema is a JSON object or a boolean");
    const std::string& w = n.where;
    auto at = [&](const char* kw) { return w + "/" + pointer_escape(kw); };

    if (auto it = j.find("$ref"); it != j.end()) {
      if (!it->is_string()) return error(at("$ref"), "$ref must be a string");
      const std::string ref = *it;
      if (ref.empty() || ref[0] != '#')
        return error(at("$ref"), "$ref \"" + ref + "\" is not a local reference (only \"#\" and \"#/...\" are supported)");
      auto decoded = percent_decode(std::string_view(ref).substr(1));
      if (!decoded || (!decoded->empty() && (*decoded)[0] != '/'))
        return error(at("$ref"), "$ref \"" + ref + "\" is not a JSON pointer into this schema");
      Node* target = node_for(*decoded);
      n.ref = target;
      if (!target->filled) pending_.emplace_back(target, at("$ref"));
      // draft-07: every keyword beside $ref is ignored, but definitions still
      // hold the targets of other refs.
      if (auto d = j.find("definitions"); d != j.end() && d->is_object())
        for (const auto& [k, v] : d->items()) {
          auto c = child(v, at("definitions") + "/" + pointer_escape(k), depth + 2);
          if (!c.ok()) return c.status();
        }
      return {};
    }

    for (const char* kw : {"description", "title"})
      if (auto it = j.find(kw); it != j.end() && it->is_string() && n.expected.empty()) n.expected = *it;

    if (auto it = j.find("type"); it != j.end()) {
      auto one = [&](const Json& t) -> Status {
        static const std::pair<const char*, uint8_t> kNames[] = {
            {"null", kNull}, {"boolean", kBoolean}, {"object", kObject}, {"array", kArray},
            {"number", kNumber}, {"string", kString}, {"integer", kInteger}};
        if (t.is_string())
          for (const auto& [name, bit] : kNames)
            if (t.get<std::string>() == name) {
              n.types |= bit;
              return {};
            }
        return error(at("type"), "type must be one of null, boolean, object, array, number, string, integer, got " + dump_compact(t));
      };
      if (it->is_array()) {
        if (it->empty()) return error(at("type"), "type must not be an empty array");
        for (const auto& t : *it) ANARQ_RETURN_IF_ERROR(one(t));
      } else {
        ANARQ_RETURN_IF_ERROR(one(*it));
      }
    }
    if (auto it = j.find("enum"); it != j.end()) {
      if (!it->is_array()) return error(at("enum"), "enum must be an array");
      n.enum_values = std::vector<Json>(it->begin(), it->end());
    }
    if (auto it = j.find("const"); it != j.end()) n.const_value = *it;

    struct NumKw { const char* name; std::optional<Json>* slot; };
    for (NumKw k : {NumKw{"multipleOf", &n.multiple_of}, NumKw{"maximum", &n.maximum},
                    NumKw{"exclusiveMaximum", &n.exclusive_maximum}, NumKw{"minimum", &n.minimum},
                    NumKw{"exclusiveMinimum", &n.exclusive_minimum}}) {
      auto it = j.find(k.name);
      if (it == j.end()) continue;
      if (!it->is_number()) return error(at(k.name), std::string(k.name) + " must be a number");
      *k.slot = *it;
    }
    if (n.multiple_of && !(n.multiple_of->get<double>() > 0)) return error(at("multipleOf"), "multipleOf must be greater than 0");

    struct CountKw { const char* name; std::optional<uint64_t>* slot; };
    for (CountKw k : {CountKw{"maxLength", &n.max_length}, CountKw{"minLength", &n.min_length},
                      CountKw{"maxItems", &n.max_items}, CountKw{"minItems", &n.min_items},
                      CountKw{"maxProperties", &n.max_properties}, CountKw{"minProperties", &n.min_properties}}) {
      auto it = j.find(k.name);
      if (it == j.end()) continue;
      auto c = count(*it);
      if (!c) return error(at(k.name), std::string(k.name) + " must be a non-negative integer");
      *k.slot = *c;
    }

    if (auto it = j.find("pattern"); it != j.end()) {
      auto p = pattern(*it, at("pattern"), "pattern");
      if (!p.ok()) return p.status();
      n.pattern = std::move(*p);
    }
    if (auto it = j.find("format"); it != j.end()) {
      if (!it->is_string()) return error(at("format"), "format must be a string");
      n.format_name = *it;
      n.format = format_from_name(n.format_name);  // unknown formats are annotations only
    }

    if (auto it = j.find("items"); it != j.end()) {
      if (it->is_array()) {
        auto l = schema_list(*it, at("items"), "items", depth, /*allow_empty=*/true);
        if (!l.ok()) return l.status();
        n.item_list = std::move(*l);
      } else {
        auto c = child(*it, at("items"), depth + 1);
        if (!c.ok()) return c.status();
        n.items = *c;
      }
    }
    struct OneKw { const char* name; const Node** slot; };
    for (OneKw k : {OneKw{"additionalItems", &n.additional_items}, OneKw{"contains", &n.contains},
                    OneKw{"additionalProperties", &n.additional_properties}, OneKw{"propertyNames", &n.property_names},
                    OneKw{"if", &n.if_}, OneKw{"then", &n.then_}, OneKw{"else", &n.else_}, OneKw{"not", &n.not_}}) {
      auto it = j.find(k.name);
      if (it == j.end()) continue;
      auto c = child(*it, at(k.name), depth + 1);
      if (!c.ok()) return c.status();
      *k.slot = *c;
    }
    if (auto it = j.find("uniqueItems"); it != j.end()) {
      if (!it->is_boolean()) return error(at("uniqueItems"), "uniqueItems must be a boolean");
      n.unique_items = *it;
    }

    if (auto it = j.find("required"); it != j.end()) {
      if (!it->is_array()) return error(at("required"), "required must be an array of strings");
      for (const auto& r : *it) {
        if (!r.is_string()) return error(at("required"), "required must be an array of strings");
        n.required.push_back(r);
      }
    }
    if (auto it = j.find("properties"); it != j.end()) {
      if (!it->is_object()) return error(at("properties"), "properties must be an object of schemas");
      for (const auto& [k, v] : it->items()) {
        auto c = child(v, at("properties") + "/" + pointer_escape(k), depth + 2);
        if (!c.ok()) return c.status();
        n.properties.emplace(k, *c);
      }
    }
    if (auto it = j.find("patternProperties"); it != j.end()) {
      if (!it->is_object()) return error(at("patternProperties"), "patternProperties must be an object of schemas");
      for (const auto& [k, v] : it->items()) {
        std::string where = at("patternProperties") + "/" + pointer_escape(k);
        auto p = pattern(Json(k), where, "patternProperties key");
        if (!p.ok()) return p.status();
        auto c = child(v, where, depth + 2);
        if (!c.ok()) return c.status();
        n.pattern_properties.emplace_back(std::move(*p), *c);
      }
    }
    if (auto it = j.find("dependencies"); it != j.end()) {
      if (!it->is_object()) return error(at("dependencies"), "dependencies must be an object");
      for (const auto& [k, v] : it->items()) {
        std::string where = at("dependencies") + "/" + pointer_escape(k);
        if (v.is_array()) {
          std::vector<std::string> names;
          for (const auto& d : v) {
            if (!d.is_string()) return error(where, "a property dependency lists property names (strings)");
            names.push_back(d);
          }
          n.dependent_required.emplace(k, std::move(names));
        } else {
          auto c = child(v, where, depth + 2);
          if (!c.ok()) return c.status();
          n.dependent_schemas.emplace(k, *c);
        }
      }
    }
    if (auto it = j.find("definitions"); it != j.end()) {
      if (!it->is_object()) return error(at("definitions"), "definitions must be an object of schemas");
      for (const auto& [k, v] : it->items()) {
        auto c = child(v, at("definitions") + "/" + pointer_escape(k), depth + 2);
        if (!c.ok()) return c.status();
      }
    }
    struct ListKw { const char* name; std::vector<const Node*>* slot; };
    for (ListKw k : {ListKw{"allOf", &n.all_of}, ListKw{"anyOf", &n.any_of}, ListKw{"oneOf", &n.one_of}}) {
      auto it = j.find(k.name);
      if (it == j.end()) continue;
      auto l = schema_list(*it, at(k.name), k.name, depth, /*allow_empty=*/false);
      if (!l.ok()) return l.status();
      *k.slot = std::move(*l);
    }
    return {};
  }

  const Json& root_;
  std::unique_ptr<CompiledSchema> out_;
  std::unordered_map<std::string, Node*> by_pointer_;
  std::deque<std::pair<Node*, std::string>> pending_;  // ref targets not compiled yet, with the ref's location
  size_t patterns_ = 0;
};

}  // namespace

Result<std::unique_ptr<CompiledSchema>> compile(const Json& schema) {
  try {
    return Compiler(schema).run();
  } catch (const std::exception& e) {
    // Our own walk does not throw on any JSON; this catches allocation failures.
    return Status::validation(std::string("invalid JSON Schema: ") + e.what());
  }
}

}  // namespace anarq::json_schema
