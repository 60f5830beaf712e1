// Loading schemas as Confluent's loader does, and Confluent's rules per schema kind
// (StringSchemaDiff, NumberSchemaDiff, EnumSchemaDiff, ConstSchemaDiff, ObjectSchemaDiff,
// ArraySchemaDiff). See compat.h for the contract, compat.cc for the dispatch.
#include <array>
#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "bus/compat_internal.h"

namespace anarq::bus::compat_internal {
namespace {

// Local references only: "#" or "#/a/b" (RFC 6901 in a percent-encoded URI fragment).
const Json* resolve_ref(const Json& root, const std::string& ref) {
  if (ref.empty() || ref[0] != '#') return nullptr;
  auto hex = [](char c) {
    const int lower = std::tolower(static_cast<unsigned char>(c));
    return std::isdigit(lower) ? lower - '0' : lower - 'a' + 10;
  };
  std::string frag;
  for (size_t i = 1; i < ref.size(); ++i) {
    if (ref[i] != '%') {
      frag += ref[i];
      continue;
    }
    if (i + 2 >= ref.size() || !std::isxdigit(static_cast<unsigned char>(ref[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
      return nullptr;
    }
    frag += static_cast<char>(hex(ref[i + 1]) * 16 + hex(ref[i + 2]));
    i += 2;
  }
  if (frag.empty()) return &root;
  if (frag[0] != '/') return nullptr;  // named anchors are not supported
  const Json* cur = &root;
  for (size_t pos = 1;;) {
    const size_t slash = frag.find('/', pos);
    const std::string raw = frag.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    std::string seg;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        seg += raw[i];
        continue;
      }
      if (i + 1 == raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1')) return nullptr;
      seg += raw[++i] == '0' ? '~' : '/';
    }
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      if (seg.empty() || seg.size() > 9 || (seg.size() > 1 && seg[0] == '0')) return nullptr;
      size_t index = 0;
      for (char c : seg) {
        if (c < '0' || c > '9') return nullptr;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (index >= cur->size()) return nullptr;
      cur = &(*cur)[index];
    } else {
      return nullptr;
    }
    if (slash == std::string::npos) return cur;
    pos = slash + 1;
  }
}

// Draft 7 keyword groups, which the loader sniffs when "type" does not name the group.
enum Group : unsigned { kArrayGroup = 1, kObjectGroup = 2, kNumberGroup = 4, kStringGroup = 8, kConditionalGroup = 16 };

constexpr std::array<std::pair<std::string_view, Group>, 26> kGroupOf = {{
    {"items", kArrayGroup}, {"additionalItems", kArrayGroup}, {"maxItems", kArrayGroup},
    {"minItems", kArrayGroup}, {"uniqueItems", kArrayGroup}, {"contains", kArrayGroup},
    {"properties", kObjectGroup}, {"required", kObjectGroup}, {"minProperties", kObjectGroup},
    {"maxProperties", kObjectGroup}, {"dependencies", kObjectGroup}, {"patternProperties", kObjectGroup},
    {"additionalProperties", kObjectGroup}, {"propertyNames", kObjectGroup},
    {"minimum", kNumberGroup}, {"maximum", kNumberGroup}, {"exclusiveMinimum", kNumberGroup},
    {"exclusiveMaximum", kNumberGroup}, {"multipleOf", kNumberGroup},
    {"minLength", kStringGroup}, {"maxLength", kStringGroup}, {"pattern", kStringGroup}, {"format", kStringGroup},
    {"if", kConditionalGroup}, {"then", kConditionalGroup}, {"else", kConditionalGroup},
}};

// The groups whose keywords appear in `o`, in one pass over its keys.
unsigned groups_present(const Json& o) {
  unsigned groups = 0;
  for (auto it = o.begin(); it != o.end(); ++it) {
    for (const auto& [name, group] : kGroupOf) {
      if (it.key() == name) {
        groups |= group;
        break;
      }
    }
  }
  return groups;
}

Schema bad_schema(T why) {
  Schema s;
  s.bad = why;
  return s;
}

Schema part_of(const Json* json, const Json* root, Kind kind, int tag) {
  Schema p;
  p.kind = kind;
  p.json = json;
  p.root = root;
  p.tag = tag;
  return p;
}

std::optional<double> number(const Schema& s, const char* key) {
  const Json* m = member(*s.json, key);
  if (m == nullptr || !m->is_number()) return std::nullopt;
  return m->get<double>();
}

// The added/removed/increased/decreased family every numeric keyword follows.
void compare_bound(Ctx& ctx, const char* key, const Schema& o, const Schema& u,
                   std::array<T, 4> added_removed_increased_decreased) {
  const std::optional<double> a = number(o, key), b = number(u, key);
  const auto [added, removed, increased, decreased] = added_removed_increased_decreased;
  if (!a && !b) return;
  if (!a) ctx.add(key, added);
  else if (!b) ctx.add(key, removed);
  else if (*a < *b) ctx.add(key, increased);
  else if (*a > *b) ctx.add(key, decreased);
}

bool is_empty_schema(const Json& j, const Json* root) {
  const Kind k = load(&j, root).kind;
  return k == Kind::kEmpty || k == Kind::kTrue;
}

bool is_false_schema(const Json& j, const Json* root) { return load(&j, root).kind == Kind::kFalse; }

std::set<std::string> strings_of(const Json* array) {
  std::set<std::string> out;
  if (array == nullptr || !array->is_array()) return out;
  for (const Json& v : *array) {
    if (v.is_string()) out.insert(v.get<std::string>());
  }
  return out;
}

bool includes(const std::set<std::string>& big, const std::set<std::string>& small) {
  for (const std::string& s : small) {
    if (!big.count(s)) return false;
  }
  return true;
}

// additionalProperties / additionalItems: absent or true permit anything (no schema),
// false forbids, a schema object permits what it validates.
bool permits(const Schema& s, std::string_view key) {
  const Json* m = member(*s.json, key);
  return m == nullptr || !m->is_boolean() || m->get<bool>();
}

const Json* schema_of(const Schema& s, std::string_view key) { return object_member(*s.json, key); }

// ObjectSchemaDiff.isOpenContentModel.
bool is_open_object(const Schema& s) {
  const Json* patterns = object_member(*s.json, "patternProperties");
  return (patterns == nullptr || patterns->empty()) && schema_of(s, "additionalProperties") == nullptr &&
         permits(s, "additionalProperties");
}

// ObjectSchemaDiff.schemaFromPartiallyOpenContentModel: the first pattern that finds the
// name, else the additionalProperties schema, else none.
const Json* schema_from_partial(Ctx& ctx, const Schema& s, const std::string& name) {
  if (const Json* patterns = object_member(*s.json, "patternProperties")) {
    for (auto it = patterns->begin(); it != patterns->end(); ++it) {
      if (pattern_finds(ctx.shared(), it.key(), name)) return &*it;
    }
  }
  return schema_of(s, "additionalProperties");
}

bool has_default(const Json& property) { return property.is_object() && property.contains("default"); }

// A property only `o` has: removed by the update.
void property_removed(Ctx& ctx, const Schema& o, const Schema& u, const std::string& name, const Json& schema) {
  // Only the update's content model matters: it alone decides whether the reader
  // still accepts the property.
  if (is_open_object(u)) {
    ctx.add(T::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
  } else if (const Json* partial = schema_from_partial(ctx, u, name)) {
    Ctx c = ctx.sub();
    compare_json(c, &schema, o.root, partial, u.root);
    ctx.add_all(c);
    ctx.add(c.compatible() ? T::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                           : T::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
  } else {
    ctx.add(is_false_schema(schema, o.root) ? T::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                                            : T::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
  }
}

// A property only `u` has: added by the update.
void property_added(Ctx& ctx, const Schema& o, const Schema& u, const std::string& name, const Json& schema,
                    bool required) {
  // Only the original's content model matters: it alone decides what the writer may
  // already have put under that name.
  if (is_open_object(o)) {
    ctx.add(is_empty_schema(schema, u.root) ? T::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                                            : T::PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL);
    return;
  }
  if (const Json* partial = schema_from_partial(ctx, o, name)) {
    Ctx c = ctx.sub();
    compare_json(c, partial, o.root, &schema, u.root);
    ctx.add_all(c);
    ctx.add(c.compatible() ? T::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                           : T::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
  }
  if (!required) ctx.add(T::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
  else if (has_default(schema)) ctx.add(T::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL);
  else ctx.add(T::REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
}

void compare_properties(Ctx& ctx, const Schema& o, const Schema& u, const std::set<std::string>& required_u) {
  const Json* po = object_member(*o.json, "properties");
  const Json* pu = object_member(*u.json, "properties");
  PathScope scope(ctx, "properties");
  std::set<std::string> names;
  for (const Json* p : {po, pu}) {
    if (p == nullptr) continue;
    for (auto it = p->begin(); it != p->end(); ++it) names.insert(it.key());
  }
  for (const std::string& name : names) {
    const Json* a = po ? member(*po, name) : nullptr;
    const Json* b = pu ? member(*pu, name) : nullptr;
    PathScope property(ctx, name);
    if (b == nullptr) property_removed(ctx, o, u, name, *a);
    else if (a == nullptr) property_added(ctx, o, u, name, *b, required_u.count(name) > 0);
    else compare_json(ctx, a, o.root, b, u.root);
  }
}

void compare_dependencies(Ctx& ctx, const Schema& o, const Schema& u) {
  const Json* dop = object_member(*o.json, "dependencies");
  const Json* dup = object_member(*u.json, "dependencies");
  if (dop == nullptr && dup == nullptr) return;
  static const Json kNone = Json::object();
  const Json& d_o = dop ? *dop : kNone;
  const Json& d_u = dup ? *dup : kNone;
  PathScope scope(ctx, "dependencies");
  // Property dependencies (arrays of names) first, then schema dependencies, as Confluent.
  for (bool arrays : {true, false}) {
    std::set<std::string> keys;
    for (const Json* d : {&d_o, &d_u}) {
      for (auto it = d->begin(); it != d->end(); ++it) {
        if (it->is_array() == arrays) keys.insert(it.key());
      }
    }
    for (const std::string& key : keys) {
      PathScope dep(ctx, key);
      const Json* a = member(d_o, key);
      const Json* b = member(d_u, key);
      if (a && a->is_array() != arrays) a = nullptr;
      if (b && b->is_array() != arrays) b = nullptr;
      if (b == nullptr) {
        ctx.add(arrays ? T::DEPENDENCY_ARRAY_REMOVED : T::DEPENDENCY_SCHEMA_REMOVED);
      } else if (a == nullptr) {
        ctx.add(arrays ? T::DEPENDENCY_ARRAY_ADDED : T::DEPENDENCY_SCHEMA_ADDED);
      } else if (!arrays) {
        compare_json(ctx, a, o.root, b, u.root);
      } else {
        const std::set<std::string> sa = strings_of(a), sb = strings_of(b);
        if (sa == sb) continue;
        if (includes(sb, sa)) ctx.add(T::DEPENDENCY_ARRAY_EXTENDED);
        else if (includes(sa, sb)) ctx.add(T::DEPENDENCY_ARRAY_NARROWED);
        else ctx.add(T::DEPENDENCY_ARRAY_CHANGED);
      }
    }
  }
}

// additionalProperties / additionalItems, which differ only in how a change of the
// boolean is named.
void compare_additional(Ctx& ctx, const Schema& o, const Schema& u, const char* key, T added, T removed,
                        T narrowed, T extended) {
  PathScope scope(ctx, key);
  const bool po = permits(o, key), pu = permits(u, key);
  const Json* so = schema_of(o, key);
  const Json* su = schema_of(u, key);
  if (po != pu) ctx.add(pu ? added : removed);
  else if (so == nullptr && su != nullptr) ctx.add(narrowed);
  else if (so != nullptr && su == nullptr) ctx.add(extended);
  else if (so != nullptr) compare_json(ctx, so, o.root, su, u.root);
}

bool is_open_array(const Schema& s) {
  return permits(s, "additionalItems") && schema_of(s, "additionalItems") == nullptr;
}

// Tuple validation ("items": [...]): positions compared pairwise, the rest judged by the
// content model of the side that lacks them, as ArraySchemaDiff.compareItemSchemaArray.
void compare_tuple(Ctx& ctx, const Schema& o, const Schema& u) {
  const Json* io = member(*o.json, "items");
  const Json* iu = member(*u.json, "items");
  const size_t no = io && io->is_array() ? io->size() : 0;
  const size_t nu = iu && iu->is_array() ? iu->size() : 0;
  if (no == 0 && nu == 0) return;
  PathScope scope(ctx, "items");
  for (size_t i = 0; i < std::max(no, nu); ++i) {
    PathScope index(ctx, std::to_string(i));
    if (i < no && i < nu) {
      compare_json(ctx, &(*io)[i], o.root, &(*iu)[i], u.root);
    } else if (i < no) {
      const Json& item = (*io)[i];
      if (is_open_array(u)) {
        ctx.add(T::ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
      } else if (const Json* partial = schema_of(u, "additionalItems")) {
        Ctx c = ctx.sub();
        compare_json(c, &item, o.root, partial, u.root);
        ctx.add_all(c);
        ctx.add(c.compatible() ? T::ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                               : T::ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
      } else {
        ctx.add(is_false_schema(item, o.root) ? T::ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                                              : T::ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
      }
    } else {
      const Json& item = (*iu)[i];
      if (is_open_array(o)) {
        ctx.add(is_empty_schema(item, u.root) ? T::ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                                              : T::ITEM_ADDED_TO_OPEN_CONTENT_MODEL);
      } else if (const Json* partial = schema_of(o, "additionalItems")) {
        Ctx c = ctx.sub();
        compare_json(c, partial, o.root, &item, u.root);
        ctx.add_all(c);
        ctx.add(c.compatible() ? T::ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                               : T::ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
      } else {
        ctx.add(T::ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
      }
    }
  }
}

bool is_multiple(double a, double of) {
  if (of == 0) return false;
  const double r = a / of;
  return std::isfinite(r) && std::fabs(r - std::round(r)) <= 1e-9 * std::max(1.0, std::fabs(r));
}

// The values of an enum as a set: scalars by value in O(log n), structured values by
// structural equality, so that long enums of strings stay cheap.
class ValueSet {
 public:
  ValueSet(Shared& sh, const Json& values) : sh_(sh) {
    for (const Json& v : values) {
      if (v.is_number()) numbers_.insert(v.get<double>());
      else if (v.is_structured()) others_.push_back(&v);
      else scalars_.insert(scalar_key(v));
    }
    sh_.charge(static_cast<long>(values.size()));
  }
  bool contains(const Json& v) const {
    if (v.is_number()) return numbers_.count(v.get<double>()) > 0;
    if (!v.is_structured()) return scalars_.count(scalar_key(v)) > 0;
    for (const Json* o : others_) {
      if (json_equal(sh_, *o, v)) return true;
    }
    return false;
  }

 private:
  static std::string scalar_key(const Json& v) {
    if (v.is_string()) return std::string("s").append(v.get_ref<const std::string&>());
    if (v.is_boolean()) return v.get<bool>() ? "t" : "f";
    return "n";  // null (and discarded values, which parsing never yields)
  }
  Shared& sh_;
  std::set<double> numbers_;
  std::set<std::string> scalars_;
  std::vector<const Json*> others_;
};

bool contains_all(Shared& sh, const Json& big, const Json& small) {
  const ValueSet set(sh, big);
  for (const Json& s : small) {
    if (!set.contains(s)) return false;
  }
  return true;
}

}  // namespace

const Json* member(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);  // heterogeneous lookup, no allocation
  return it == j.end() ? nullptr : &*it;
}

const Json* object_member(const Json& j, std::string_view key) {
  const Json* m = member(j, key);
  return m && m->is_object() ? m : nullptr;
}

Schema load(const Json* json, const Json* root) {
  for (int hops = 0; json->is_object() && json->contains("$ref"); ++hops) {
    const Json& ref = (*json)["$ref"];
    if (hops == kMaxRefHops || !ref.is_string()) return bad_schema(T::REFERENCE_UNRESOLVED);
    json = resolve_ref(*root, ref.get_ref<const std::string&>());
    if (json == nullptr) return bad_schema(T::REFERENCE_UNRESOLVED);
  }
  if (json->is_boolean()) return part_of(json, root, json->get<bool>() ? Kind::kTrue : Kind::kFalse, 0);
  if (!json->is_object()) return bad_schema(T::SCHEMA_INVALID);
  const Json& o = *json;
  // The loader's extractor order: enum, allOf/anyOf/oneOf, not, const, type, sniffed groups.
  std::vector<Schema> parts;
  if (const Json* e = member(o, "enum")) {
    if (!e->is_array()) return bad_schema(T::SCHEMA_INVALID);
    parts.push_back(part_of(json, root, Kind::kEnum, 1));
  }
  static constexpr std::array<std::pair<const char*, Crit>, 3> kCombiners = {
      {{"allOf", Crit::kAll}, {"anyOf", Crit::kAny}, {"oneOf", Crit::kOne}}};
  for (size_t i = 0; i < kCombiners.size(); ++i) {
    const Json* subs = member(o, kCombiners[i].first);
    if (subs == nullptr) continue;
    if (!subs->is_array() || subs->empty()) return bad_schema(T::SCHEMA_INVALID);
    if (subs->size() > kMaxSubschemas) return bad_schema(T::SCHEMA_TOO_COMPLEX);
    parts.push_back(part_of(json, root, Kind::kCombined, 2 + static_cast<int>(i)));
    parts.back().crit = kCombiners[i].second;
    parts.back().keyword = kCombiners[i].first;
  }
  if (o.contains("not")) parts.push_back(part_of(json, root, Kind::kNot, 5));
  if (o.contains("const")) parts.push_back(part_of(json, root, Kind::kConst, 6));
  unsigned typed = 0;  // groups that "type" already claimed
  auto typed_part = [&](const Json& name, int tag) -> std::optional<Schema> {
    if (!name.is_string()) return std::nullopt;
    const std::string& t = name.get_ref<const std::string&>();
    Kind kind;
    if (t == "string") kind = Kind::kString, typed |= kStringGroup;
    else if (t == "integer" || t == "number") kind = Kind::kNumber, typed |= kNumberGroup;
    else if (t == "object") kind = Kind::kObject, typed |= kObjectGroup;
    else if (t == "array") kind = Kind::kArray, typed |= kArrayGroup;
    else if (t == "boolean") kind = Kind::kBoolean;
    else if (t == "null") kind = Kind::kNull;
    else return std::nullopt;
    Schema p = part_of(json, root, kind, tag);
    p.integer = t == "integer";
    return p;
  };
  if (const Json* type = member(o, "type")) {
    if (type->is_array()) {
      // A type array is an anyOf of one schema per type.
      if (type->empty() || type->size() > kMaxSubschemas) return bad_schema(T::SCHEMA_INVALID);
      Schema any = part_of(json, root, Kind::kCombined, 7);
      any.crit = Crit::kAny;
      for (size_t i = 0; i < type->size(); ++i) {
        std::optional<Schema> p = typed_part((*type)[i], 20 + static_cast<int>(i));
        if (!p) return bad_schema(T::SCHEMA_INVALID);
        any.parts.push_back(std::move(*p));
      }
      parts.push_back(std::move(any));
    } else {
      std::optional<Schema> p = typed_part(*type, 8);
      if (!p) return bad_schema(T::SCHEMA_INVALID);
      parts.push_back(std::move(*p));
    }
  }
  const unsigned sniffed = groups_present(o) & ~typed;
  if (sniffed & kArrayGroup) parts.push_back(part_of(json, root, Kind::kArray, 10));
  if (sniffed & kObjectGroup) parts.push_back(part_of(json, root, Kind::kObject, 11));
  if (sniffed & kNumberGroup) parts.push_back(part_of(json, root, Kind::kNumber, 12));
  if (sniffed & kStringGroup) parts.push_back(part_of(json, root, Kind::kString, 13));
  if (sniffed & kConditionalGroup) parts.push_back(part_of(json, root, Kind::kConditional, 14));

  if (parts.empty()) return part_of(json, root, Kind::kEmpty, 0);
  if (parts.size() == 1) {
    Schema s = std::move(parts.front());
    s.tag = 0;
    return s;
  }
  Schema all = part_of(json, root, Kind::kCombined, 0);  // synthetic allOf
  all.parts = std::move(parts);
  return all;
}

void compare_string(Ctx& ctx, const Schema& o, const Schema& u) {
  compare_bound(ctx, "maxLength", o, u, {T::MAX_LENGTH_ADDED, T::MAX_LENGTH_REMOVED, T::MAX_LENGTH_INCREASED, T::MAX_LENGTH_DECREASED});
  compare_bound(ctx, "minLength", o, u, {T::MIN_LENGTH_ADDED, T::MIN_LENGTH_REMOVED, T::MIN_LENGTH_INCREASED, T::MIN_LENGTH_DECREASED});
  const Json* a = member(*o.json, "pattern");
  const Json* b = member(*u.json, "pattern");
  if (a && !a->is_string()) a = nullptr;
  if (b && !b->is_string()) b = nullptr;
  if (!a && b) ctx.add("pattern", T::PATTERN_ADDED);
  else if (a && !b) ctx.add("pattern", T::PATTERN_REMOVED);
  else if (a && b && *a != *b) ctx.add("pattern", T::PATTERN_CHANGED);
}

void compare_number(Ctx& ctx, const Schema& o, const Schema& u) {
  compare_bound(ctx, "maximum", o, u, {T::MAXIMUM_ADDED, T::MAXIMUM_REMOVED, T::MAXIMUM_INCREASED, T::MAXIMUM_DECREASED});
  compare_bound(ctx, "minimum", o, u, {T::MINIMUM_ADDED, T::MINIMUM_REMOVED, T::MINIMUM_INCREASED, T::MINIMUM_DECREASED});
  // Draft 6+ numeric limits; a draft 4 boolean modifier is not a limit and is ignored.
  compare_bound(ctx, "exclusiveMaximum", o, u, {T::EXCLUSIVE_MAXIMUM_ADDED, T::EXCLUSIVE_MAXIMUM_REMOVED, T::EXCLUSIVE_MAXIMUM_INCREASED, T::EXCLUSIVE_MAXIMUM_DECREASED});
  compare_bound(ctx, "exclusiveMinimum", o, u, {T::EXCLUSIVE_MINIMUM_ADDED, T::EXCLUSIVE_MINIMUM_REMOVED, T::EXCLUSIVE_MINIMUM_INCREASED, T::EXCLUSIVE_MINIMUM_DECREASED});
  const std::optional<double> a = number(o, "multipleOf"), b = number(u, "multipleOf");
  if (!a && b) ctx.add("multipleOf", T::MULTIPLE_OF_ADDED);
  else if (a && !b) ctx.add("multipleOf", T::MULTIPLE_OF_REMOVED);
  else if (a && b && *a != *b) {
    // Every multiple of the update's divisor is one of the original's: fewer values.
    if (is_multiple(*b, *a)) ctx.add("multipleOf", T::MULTIPLE_OF_EXPANDED);
    else if (is_multiple(*a, *b)) ctx.add("multipleOf", T::MULTIPLE_OF_REDUCED);
    else ctx.add("multipleOf", T::MULTIPLE_OF_CHANGED);
  }
  if (o.integer && !u.integer) ctx.add(T::TYPE_EXTENDED);
  else if (!o.integer && u.integer) ctx.add(T::TYPE_NARROWED);
}

void compare_enum(Ctx& ctx, const Schema& o, const Schema& u) {
  const Json& a = (*o.json)["enum"];
  const Json& b = (*u.json)["enum"];
  // Sets of JSON values, as the loader's EnumSchema keeps them.
  const bool a_in_b = contains_all(ctx.shared(), b, a);
  const bool b_in_a = contains_all(ctx.shared(), a, b);
  if (a_in_b && b_in_a) return;
  if (a_in_b) ctx.add("enum", T::ENUM_ARRAY_EXTENDED);
  else if (b_in_a) ctx.add("enum", T::ENUM_ARRAY_NARROWED);
  else ctx.add("enum", T::ENUM_ARRAY_CHANGED);
}

void compare_const(Ctx& ctx, const Schema& o, const Schema& u) {
  if (!json_equal(ctx.shared(), (*o.json)["const"], (*u.json)["const"])) ctx.add("const", T::ENUM_ARRAY_CHANGED);
}

void compare_object(Ctx& ctx, const Schema& o, const Schema& u) {
  const std::set<std::string> required_o = strings_of(member(*o.json, "required"));
  const std::set<std::string> required_u = strings_of(member(*u.json, "required"));
  const Json* po = object_member(*o.json, "properties");
  const Json* pu = object_member(*u.json, "properties");
  if (po != nullptr && pu != nullptr) {
    // Only properties both sides declare; a newly declared one is judged below.
    PathScope scope(ctx, "required");
    for (auto it = po->begin(); it != po->end(); ++it) {
      const Json* b = member(*pu, it.key());
      if (b == nullptr) continue;
      const bool was = required_o.count(it.key()) > 0, is = required_u.count(it.key()) > 0;
      if (was && !is) ctx.add(it.key(), T::REQUIRED_ATTRIBUTE_REMOVED);
      else if (!was && is) ctx.add(it.key(), has_default(*b) ? T::REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED : T::REQUIRED_ATTRIBUTE_ADDED);
    }
  }
  compare_properties(ctx, o, u, required_u);
  compare_dependencies(ctx, o, u);
  compare_additional(ctx, o, u, "additionalProperties", T::ADDITIONAL_PROPERTIES_ADDED, T::ADDITIONAL_PROPERTIES_REMOVED,
                     T::ADDITIONAL_PROPERTIES_NARROWED, T::ADDITIONAL_PROPERTIES_EXTENDED);
  compare_bound(ctx, "maxProperties", o, u, {T::MAX_PROPERTIES_ADDED, T::MAX_PROPERTIES_REMOVED, T::MAX_PROPERTIES_INCREASED, T::MAX_PROPERTIES_DECREASED});
  compare_bound(ctx, "minProperties", o, u, {T::MIN_PROPERTIES_ADDED, T::MIN_PROPERTIES_REMOVED, T::MIN_PROPERTIES_INCREASED, T::MIN_PROPERTIES_DECREASED});
}

void compare_array(Ctx& ctx, const Schema& o, const Schema& u) {
  {
    // "items" as one schema for every element.
    const Json* a = member(*o.json, "items");
    const Json* b = member(*u.json, "items");
    if (a && a->is_array()) a = nullptr;
    if (b && b->is_array()) b = nullptr;
    PathScope scope(ctx, "items");
    compare_json(ctx, a, o.root, b, u.root);
  }
  compare_tuple(ctx, o, u);
  compare_additional(ctx, o, u, "additionalItems", T::ADDITIONAL_ITEMS_ADDED, T::ADDITIONAL_ITEMS_REMOVED,
                     T::ADDITIONAL_ITEMS_NARROWED, T::ADDITIONAL_ITEMS_EXTENDED);
  compare_bound(ctx, "maxItems", o, u, {T::MAX_ITEMS_ADDED, T::MAX_ITEMS_REMOVED, T::MAX_ITEMS_INCREASED, T::MAX_ITEMS_DECREASED});
  compare_bound(ctx, "minItems", o, u, {T::MIN_ITEMS_ADDED, T::MIN_ITEMS_REMOVED, T::MIN_ITEMS_INCREASED, T::MIN_ITEMS_DECREASED});
  auto unique = [](const Schema& s) {
    const Json* m = member(*s.json, "uniqueItems");
    return m && m->is_boolean() && m->get<bool>();
  };
  if (unique(o) && !unique(u)) ctx.add("uniqueItems", T::UNIQUE_ITEMS_REMOVED);
  else if (!unique(o) && unique(u)) ctx.add("uniqueItems", T::UNIQUE_ITEMS_ADDED);
}

}  // namespace anarq::bus::compat_internal
