#pragma once
// The schema-driven bad-input generator of tests/bad_input_test.cc: from a
// tool's draft-07 input schema, a valid baseline and, for each property
// (recursively into nested objects and array items, to kMaxDepth), the inputs
// careless or hostile clients send: missing, null, every other JSON type,
// boundaries, huge, deep, unicode, extra fields, dates that are not strings.
//
// A changed value is raw JSON text, never a Json: what nlohmann cannot hold
// (lone surrogates, invalid UTF-8, 10 000 nested arrays, integers past int64)
// must reach the node as a client would send it. Not thread-safe (one
// Generator per thread); no I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace anarq::test {

// One JSON value as text, and as the query or path values that carry it when a
// query can (nullopt: objects, null, empty arrays, nested arrays).
struct RawValue {
  std::string json;
  std::optional<std::vector<std::string>> query;
};

struct BadInput {
  std::string cls;    // input class, e.g. "wrong-type:array", "huge:string", "unicode:lone-high"
  std::string where;  // JSON pointer of the changed member ("" = the whole input)
  Json base;          // a valid-as-far-as-we-know input object
  // The member changed: base navigated along `path` (object keys; array
  // indices as decimal strings), set to `value`, or removed when value is nullopt.
  std::vector<std::string> path;
  std::optional<RawValue> value;
  // Whole-body classes: the HTTP body, or the MCP `arguments` text ("" = no
  // arguments member), replacing the input.
  std::optional<std::string> http_body;
  std::optional<std::string> mcp_arguments;
  size_t big_body = 0;  // > 0: a body of this many bytes (the body limit)
};

// The input as JSON text: base with the change applied.
inline std::string render_input(const BadInput& b) {
  static const std::string kSentinel = "\x01" "BAD-INPUT-SENTINEL\x01";
  if (b.path.empty()) return b.base.dump();
  Json j = b.base;
  Json* at = &j;
  for (size_t i = 0; i + 1 < b.path.size(); ++i)
    at = at->is_array() ? &(*at)[std::stoul(b.path[i])] : &(*at)[b.path[i]];
  const std::string& last = b.path.back();
  if (!b.value) {
    if (at->is_array()) at->erase(std::stoul(last));
    else at->erase(last);
    return j.dump();
  }
  if (at->is_array()) (*at)[std::stoul(last)] = kSentinel;
  else (*at)[last] = kSentinel;
  std::string text = j.dump();
  std::string quoted = Json(kSentinel).dump();
  size_t pos = text.find(quoted);
  return text.replace(pos, quoted.size(), b.value->json);
}

class Generator {
 public:
  static constexpr int kMaxDepth = 3;
  static constexpr size_t kHugeString = 300'000;
  static constexpr size_t kHugeArray = 20'000;
  static constexpr size_t kDeep = 10'000;

  // pattern_samples: schema pattern -> a string that matches it (did:key,
  // topics, ...); name_samples: property name -> a value that makes the
  // baseline reach deeper (a key id that exists, a real signature).
  Generator(std::map<std::string, std::string> pattern_samples, std::map<std::string, Json> name_samples)
      : patterns_(std::move(pattern_samples)), names_(std::move(name_samples)) {}

  // Patterns that had no sample and no fallback matched: the baseline may be invalid.
  const std::set<std::string>& unmatched_patterns() const { return unmatched_; }

  // A value valid for `s`, as far as this generator knows JSON Schema.
  Json valid(const Json& s, const std::string& name = "", int depth = 0) {
    if (!s.is_object()) return Json::object();
    if (s.contains("const")) return s["const"];
    if (!name.empty() && names_.count(name)) return names_[name];
    if (s.contains("examples") && s["examples"].is_array() && !s["examples"].empty()) return s["examples"][0];
    if (s.contains("enum") && s["enum"].is_array() && !s["enum"].empty()) return s["enum"][0];
    if (s.contains("default") && !s["default"].is_null()) return s["default"];
    for (const char* k : {"oneOf", "anyOf"})
      if (s.contains(k) && s[k].is_array() && !s[k].empty()) return valid(s[k][0], name, depth);
    auto t = types(s);
    std::string type = t.empty() ? "" : *t.begin();
    if (type == "string") return valid_string(s);
    if (type == "integer" || type == "number") {
      if (s.contains("minimum")) return s["minimum"];
      if (s.contains("maximum") && s["maximum"].get<double>() < 1) return s["maximum"];
      return 1;
    }
    if (type == "boolean") return true;
    if (type == "null") return nullptr;
    if (type == "array") {
      Json arr = Json::array();
      size_t n = std::max<size_t>(s.value("minItems", 1), 1);
      if (s.contains("maxItems")) n = std::min<size_t>(n, s["maxItems"].get<size_t>());
      const Json& items = s.value("items", Json::object());
      for (size_t i = 0; i < n; ++i) arr.push_back(valid(items, "", depth + 1));
      return arr;
    }
    Json obj = Json::object();
    const Json& props = s.value("properties", Json::object());
    for (const auto& r : s.value("required", Json::array()))
      obj[r.get<std::string>()] = props.contains(r) ? valid(props[r.get<std::string>()], r, depth + 1) : Json(1);
    return obj;
  }

  // Every bad input for a tool's input schema (an object schema). always:
  // members every baseline carries although optional (HTTP path parameters).
  std::vector<BadInput> cases(const Json& schema, const std::set<std::string>& always = {}) {
    std::vector<BadInput> out;
    Json base = valid(schema);
    const Json& props = schema.value("properties", Json::object());
    for (const auto& name : always)
      if (!base.contains(name) && props.contains(name)) base[name] = valid(props[name], name, 1);
    BadInput baseline;
    baseline.cls = "valid-baseline";
    baseline.base = base;
    out.push_back(baseline);
    object_cases(schema, base, {}, 0, out);
    whole_body_cases(base, out);
    return out;
  }

 private:
  static std::set<std::string> types(const Json& s) {
    std::set<std::string> t;
    if (!s.is_object()) return t;
    if (s.contains("type")) {
      if (s["type"].is_string()) t.insert(s["type"].get<std::string>());
      else if (s["type"].is_array())
        for (const auto& x : s["type"]) t.insert(x.get<std::string>());
    } else if (s.contains("properties")) {
      t.insert("object");
    } else if (s.contains("items")) {
      t.insert("array");
    }
    for (const char* k : {"oneOf", "anyOf"})
      if (s.contains(k) && s[k].is_array())
        for (const auto& b : s[k])
          for (const auto& x : types(b)) t.insert(x);
    return t;
  }

  std::string valid_string(const Json& s) {
    std::string fmt = s.value("format", "");
    if (fmt == "date-time") return "2030-01-01T00:00:00Z";
    if (fmt == "date") return "2030-01-01";
    if (s.contains("pattern")) return pattern_sample(s["pattern"].get<std::string>());
    size_t min = s.value("minLength", 0), max = s.value("maxLength", 1 << 20);
    std::string v = "probe";
    if (v.size() < min) v.append(min - v.size(), 'x');
    if (v.size() > max) v.resize(max);
    return v;
  }

  std::string pattern_sample(const std::string& pattern) {
    if (patterns_.count(pattern)) return patterns_[pattern];
    // Short candidates only: std::regex on short strings is safe test-side.
    std::regex re(pattern, std::regex::ECMAScript);
    const std::vector<std::string> candidates = {"probe", "a", "A", "1", "probe-1", "q.probe.thing.v1",
                                                 std::string(86, 'A'), std::string(16, 'a')};
    for (const std::string& c : candidates)
      if (std::regex_search(c, re)) return c;
    unmatched_.insert(pattern);
    return "probe";
  }

  static RawValue str(const std::string& bytes_as_json_text, std::optional<std::string> query_bytes) {
    RawValue r{bytes_as_json_text, std::nullopt};
    if (query_bytes) r.query = std::vector<std::string>{*query_bytes};
    return r;
  }
  static RawValue jstr(const std::string& s) { return str(Json(s).dump(), s); }
  static RawValue scalar(const Json& j) {
    RawValue r{j.dump(), std::nullopt};
    if (j.is_string()) r.query = std::vector<std::string>{j.get<std::string>()};
    else if (j.is_number() || j.is_boolean()) r.query = std::vector<std::string>{j.dump()};
    else if (j.is_array() && !j.empty()) {
      std::vector<std::string> q;
      for (const auto& x : j) {
        if (x.is_string()) q.push_back(x.get<std::string>());
        else if (x.is_number() || x.is_boolean()) q.push_back(x.dump());
        else return r;
      }
      r.query = q;
    }
    return r;
  }
  static RawValue raw(std::string json) { return {std::move(json), std::nullopt}; }
  static RawValue raw_number(const std::string& text) { return {text, std::vector<std::string>{text}}; }

  static std::string pointer(const std::vector<std::string>& path) {
    std::string p;
    for (const auto& s : path) p += "/" + s;
    return p;
  }

  void add(std::vector<BadInput>& out, const Json& base, const std::vector<std::string>& path, std::string cls,
           std::optional<RawValue> v) {
    BadInput b;
    b.cls = std::move(cls);
    b.where = pointer(path);
    b.base = base;
    b.path = path;
    b.value = std::move(v);
    out.push_back(std::move(b));
  }

  void object_cases(const Json& schema, const Json& base, const std::vector<std::string>& at, int depth,
                    std::vector<BadInput>& out) {
    const Json& props = schema.value("properties", Json::object());
    std::set<std::string> required;
    for (const auto& r : schema.value("required", Json::array())) required.insert(r.get<std::string>());
    // An input where this object is present with all its required members.
    auto extra = at;
    extra.push_back("zzUnknownField");
    add(out, base, extra, "extra-field", raw("1"));
    for (const auto& [name, ps] : props.items()) {
      auto path = at;
      path.push_back(name);
      // The member present (a valid value) so mutations of its own members apply.
      Json with = base;
      json_at(with, at)[name] = valid(ps, name, depth + 1);
      if (required.count(name)) add(out, base, path, "missing-required", std::nullopt);
      else add(out, with, {}, "valid-member" + pointer(path), std::nullopt);
      value_cases(ps, with, path, depth, name, out);
    }
  }

  static Json& json_at(Json& j, const std::vector<std::string>& path) {
    Json* at = &j;
    for (const auto& p : path) at = at->is_array() ? &(*at)[std::stoul(p)] : &(*at)[p];
    return *at;
  }

  void value_cases(const Json& s, const Json& base, const std::vector<std::string>& path, int depth,
                   const std::string& name, std::vector<BadInput>& out) {
    auto t = types(s);
    bool any = t.empty();
    auto accepts = [&](const std::string& type) {
      return any || t.count(type) || (type == "integer" && t.count("number"));
    };
    if (!accepts("null")) add(out, base, path, "null", raw("null"));
    // Every other JSON type.
    const std::vector<std::pair<std::string, RawValue>> others = {
        {"integer", raw_number("7")}, {"number", raw_number("1.5")}, {"string", jstr("probe")},
        {"boolean", raw_number("true")}, {"array", raw("[]")}, {"object", raw("{}")}};
    for (const auto& [type, v] : others)
      if (!accepts(type)) add(out, base, path, "wrong-type:" + type, v);
    std::string fmt = s.value("format", "");
    Json sample = valid(s, name, depth + 1);
    if (t.count("boolean")) add(out, base, path, "boolean-flipped", scalar(!(sample.is_boolean() && sample.get<bool>())));
    // Boundaries.
    if (t.count("string")) {
      std::string sv = sample.is_string() ? sample.get<std::string>() : "probe";
      if (s.contains("minLength") && s["minLength"].get<size_t>() > 0)
        add(out, base, path, "minLength-1", jstr(sv.substr(0, s["minLength"].get<size_t>() - 1)));
      if (s.contains("maxLength")) {
        size_t max = s["maxLength"].get<size_t>();
        if (sv.size() < max) add(out, base, path, "at-maxLength", jstr(sv + std::string(max - sv.size(), 'a')));
        std::string v = sv.size() > max ? sv : sv + std::string(max + 1 - sv.size(), 'a');
        add(out, base, path, "maxLength+1", jstr(v));
      }
      if (s.contains("pattern")) add(out, base, path, "pattern-mismatch", jstr("~" + sv + " "));
      add(out, base, path, "empty-string", jstr(""));
      // Huge: the sample grown to 300 000 characters (still a prefix match of most patterns).
      add(out, base, path, "huge:string", jstr(sv + std::string(kHugeString - std::min(sv.size(), kHugeString), 'a')));
      unicode_cases(sv, base, path, out);
      if (fmt == "date-time" || fmt == "date") date_cases(base, path, fmt, out);
    }
    if (t.count("integer") || t.count("number")) {
      bool integer = t.count("integer") && !t.count("number");
      if (s.contains("minimum")) {
        add(out, base, path, "at-minimum", raw_number(s["minimum"].dump()));
        add(out, base, path, "minimum-1", raw_number(minus_one(s["minimum"])));
      }
      if (s.contains("maximum")) {
        add(out, base, path, "at-maximum", raw_number(s["maximum"].dump()));
        add(out, base, path, "maximum+1", raw_number(plus_one(s["maximum"])));
      }
      add(out, base, path, "past-int64", raw_number("9223372036854775808"));
      add(out, base, path, "below-int64", raw_number("-9223372036854775809"));
      add(out, base, path, "overflow-double", raw_number("1e400"));
      add(out, base, path, "negative-zero", raw_number("-0"));
      if (integer) {
        add(out, base, path, "integral-float", raw_number(sample.is_number() ? std::to_string(sample.get<int64_t>()) + ".0" : "1.0"));
        add(out, base, path, "exponent", raw_number("1e2"));
      }
    }
    if (s.contains("enum")) {
      // Every other allowed value: the handler's branches.
      for (size_t i = 1; i < s["enum"].size(); ++i)
        add(out, base, path, "enum-value:" + (s["enum"][i].is_string() ? s["enum"][i].get<std::string>() : s["enum"][i].dump()),
            scalar(s["enum"][i]));
      Json first = s["enum"].empty() ? Json() : s["enum"][0];
      add(out, base, path, "out-of-enum", first.is_number() ? raw_number("999") : jstr("NOT_IN_ENUM"));
    }
    if (t.count("array")) {
      const Json& items = s.value("items", Json::object());
      Json item = valid(items, "", depth + 1);
      auto array_of = [&](size_t n) {
        Json a = Json::array();
        for (size_t i = 0; i < n; ++i) a.push_back(item);
        return scalar(a);
      };
      if (s.contains("minItems") && s["minItems"].get<size_t>() > 0)
        add(out, base, path, "minItems-1", array_of(s["minItems"].get<size_t>() - 1));
      if (s.contains("maxItems")) {
        add(out, base, path, "at-maxItems", array_of(s["maxItems"].get<size_t>()));
        add(out, base, path, "maxItems+1", array_of(s["maxItems"].get<size_t>() + 1));
      }
      if (s.value("uniqueItems", false)) add(out, base, path, "duplicate-items", array_of(2));
      add(out, base, path, "huge:array", raw("[" + repeat_join(item.dump(), kHugeArray) + "]"));
      // Into the items: the array holding one valid item, that item changed.
      if (depth < kMaxDepth && items.is_object() && !items.empty()) {
        Json with = base;
        Json& arr = json_at(with, path);
        if (!arr.is_array() || arr.empty()) arr = Json::array({item});
        auto ip = path;
        ip.push_back("0");
        value_cases(items, with, ip, depth + 1, "", out);
      }
    }
    if (t.count("object") || any) {
      if (s.contains("maxProperties")) {
        Json o = Json::object();
        for (size_t i = 0; i <= s["maxProperties"].get<size_t>(); ++i) o["k" + std::to_string(i)] = 1;
        add(out, base, path, "maxProperties+1", raw(o.dump()));
      }
      std::string huge = "{";
      for (size_t i = 0; i < kHugeArray; ++i) huge += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
      add(out, base, path, "huge:object", raw(huge + "}"));
      add(out, base, path, "big-member:object", raw("{\"k\":" + Json(std::string(kHugeString, 'a')).dump() + "}"));
      if (depth < kMaxDepth) {
        const Json* declared = s.contains("properties") ? &s : nullptr;
        for (const char* k : {"oneOf", "anyOf"})  // the first branch that declares members
          if (!declared && s.contains(k) && s[k].is_array())
            for (const auto& b : s[k])
              if (!declared && b.is_object() && b.contains("properties")) declared = &b;
        if (declared) {
          object_cases(*declared, base, path, depth + 1, out);
        } else if (sample.is_object()) {
          // Undeclared members of a known-good value (a real LockSig): each of them as every JSON type.
          for (const auto& [member, v] : sample.items()) {
            Json with = base;
            json_at(with, path) = sample;
            auto mp = path;
            mp.push_back(member);
            add(out, with, mp, "member-missing", std::nullopt);
            for (const auto& [type, bad] : std::vector<std::pair<std::string, RawValue>>{
                     {"null", raw("null")}, {"integer", raw_number("7")}, {"huge-integer", raw_number("18446744073709551615")},
                     {"number", raw_number("1.5")}, {"string", jstr("probe")}, {"boolean", raw_number("false")},
                     {"array", raw("[]")}, {"object", raw("{}")}})
              add(out, with, mp, "member-type:" + type, bad);
          }
        }
      }
    }
    if (any) add(out, base, path, "huge:array", raw("[" + repeat_join("1", kHugeArray) + "]"));
    add(out, base, path, "deep:arrays", raw(std::string(kDeep, '[') + std::string(kDeep, ']')));
  }

  static std::string repeat_join(const std::string& item, size_t n) {
    std::string s;
    s.reserve(n * (item.size() + 1));
    for (size_t i = 0; i < n; ++i) {
      if (i) s += ',';
      s += item;
    }
    return s;
  }

  static std::string plus_one(const Json& v) {
    if (v.is_number_integer()) {
      int64_t x = v.get<int64_t>();
      return x == INT64_MAX ? "9223372036854775808" : std::to_string(x + 1);
    }
    return Json(v.get<double>() + 1).dump();
  }
  static std::string minus_one(const Json& v) {
    if (v.is_number_integer()) {
      int64_t x = v.get<int64_t>();
      return x == INT64_MIN ? "-9223372036854775809" : std::to_string(x - 1);
    }
    return Json(v.get<double>() - 1).dump();
  }

  void unicode_cases(const std::string& sv, const Json& base, const std::vector<std::string>& path,
                     std::vector<BadInput>& out) {
    std::string body = Json(sv).dump();
    body = body.substr(1, body.size() - 2);  // sv escaped, without quotes
    // Escaped in JSON, and as the bytes a query would carry (WTF-8 for lone surrogates).
    add(out, base, path, "unicode:lone-high", str("\"" + body + "\\ud800\"", sv + "\xed\xa0\x80"));
    add(out, base, path, "unicode:lone-low", str("\"\\udc00" + body + "\"", "\xed\xb0\x80" + sv));
    add(out, base, path, "unicode:nul", str("\"" + body + "\\u0000x\"", sv + std::string(1, '\0') + "x"));
    add(out, base, path, "unicode:rtl", jstr("\xe2\x80\xae" + sv));
    add(out, base, path, "unicode:emoji", jstr(sv + "\xf0\x9f\x98\x80"));
    add(out, base, path, "unicode:escaped-pair", str("\"" + body + "\\ud83d\\ude00\"", sv + "\xf0\x9f\x98\x80"));
    add(out, base, path, "unicode:overlong", str("\"" + body + "\xc0\xaf\"", sv + "\xc0\xaf"));
    add(out, base, path, "unicode:invalid-utf8", str("\"\xff\xfe" + body + "\"", "\xff\xfe" + sv));
  }

  void date_cases(const Json& base, const std::vector<std::string>& path, const std::string& fmt,
                  std::vector<BadInput>& out) {
    add(out, base, path, "date:array", raw("[\"2030-01-01T00:00:00Z\"]"));
    add(out, base, path, "date:object", raw("{\"date\":\"2030-01-01T00:00:00Z\"}"));
    add(out, base, path, "date:number", raw_number("1893456000000"));
    add(out, base, path, "date:out-of-range", jstr(fmt == "date" ? "2030-13-45" : "2030-13-45T25:61:61Z"));
    add(out, base, path, "date:garbage", jstr("yesterday"));
    add(out, base, path, "date:year-0", jstr(fmt == "date" ? "0000-01-01" : "0000-01-01T00:00:00Z"));
    add(out, base, path, "date:year-9999", jstr(fmt == "date" ? "9999-12-31" : "9999-12-31T23:59:59.999999999Z"));
    add(out, base, path, "date:feb-30", jstr(fmt == "date" ? "2030-02-30" : "2030-02-30T00:00:00Z"));
    if (fmt == "date-time") {
      add(out, base, path, "date:leap-second", jstr("2030-06-30T23:59:60Z"));
      add(out, base, path, "date:offset", jstr("2030-01-01T00:00:00+14:00"));
      add(out, base, path, "date:no-zone", jstr("2030-01-01T00:00:00"));
    } else {
      add(out, base, path, "date:date-time", jstr("2030-01-01T00:00:00Z"));
    }
  }

  static void whole_body_cases(const Json& base, std::vector<BadInput>& out) {
    auto whole = [&](std::string cls, std::optional<std::string> http, std::optional<std::string> mcp) {
      BadInput b;
      b.cls = std::move(cls);
      b.base = base;
      b.http_body = std::move(http);
      b.mcp_arguments = std::move(mcp);
      out.push_back(std::move(b));
    };
    whole("body:empty", "", "");
    whole("body:not-json", "not json {", std::nullopt);
    whole("body:array", "[1,2]", "[1,2]");
    whole("body:string", "\"probe\"", "\"probe\"");
    whole("body:null", "null", "null");
    whole("body:number", "42", "42");
    whole("body:truncated", base.dump().substr(0, base.dump().size() / 2 + 1), std::nullopt);
    whole("body:deep-arrays", std::string(100'000, '['), std::string(kDeep, '[') + std::string(kDeep, ']'));
    std::string deep_obj;
    for (size_t i = 0; i < kDeep; ++i) deep_obj += "{\"a\":";
    deep_obj += "1" + std::string(kDeep, '}');
    whole("body:deep-objects", deep_obj, deep_obj);
    whole("body:duplicate-keys", "{\"zz\":1,\"zz\":2}", "{\"zz\":1,\"zz\":2}");
    BadInput big;
    big.cls = "body:over-limit";
    big.base = base;
    big.big_body = 16 * 1024 * 1024 + 1024;
    out.push_back(std::move(big));
  }

  std::map<std::string, std::string> patterns_;
  std::map<std::string, Json> names_;
  std::set<std::string> unmatched_;
};

}  // namespace anarq::test
