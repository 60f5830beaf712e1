// Confluent's SchemaDiff (dispatch, singleton and sum/product special cases),
// CombinedSchemaDiff, NotSchemaDiff, and the registry modes on top. The rules per
// schema kind are in compat_rules.cc.
#include "bus/compat.h"

#include <algorithm>
#include <array>
#include <exception>
#include <utility>

#include "bus/compat_internal.h"

namespace anarq::bus {
namespace compat_internal {
namespace {

constexpr TypeInfo kTypes[] = {
#define ANARQ_INFO(name, family) {#name, family},
    ANARQ_DIFF_TYPES(ANARQ_INFO)
#undef ANARQ_INFO
};

// What an incompatible difference means for a reader of the writer's data.
const char* explain(T type) {
  switch (type) {
    case T::SCHEMA_TOO_DEEP: return "the schemas nest deeper than the comparison follows";
    case T::SCHEMA_TOO_COMPLEX: return "comparing the schemas takes more work than allowed";
    case T::SCHEMA_INVALID: return "the schema there is not valid JSON Schema";
    case T::REFERENCE_UNRESOLVED: return "the $ref there does not resolve inside the schema";
    default: break;
  }
  switch (info(type).family) {
    case 'A': return "the reader adds a constraint the writer does not have";
    case 'R': return "the reader no longer allows the additional properties or items the writer allows";
    case 'U': return "the reader's lower bound or divisor is larger than the writer's";
    case 'D': return "the reader's upper bound is smaller than the writer's";
    case 'V': return "the value differs between writer and reader";
    case 'N': return "the reader accepts fewer values or alternatives than the writer";
    case 'E': return "the reader's combined type has more to satisfy than the writer's";
    case 'T': return "the type differs between writer and reader";
    case 'O': return "the reader declares a property or item that the writer's open content model may carry with any value";
    case 'Q': return "the reader requires a property without a default that the writer never declared";
    case 'C': return "the reader's closed content model lacks a property or item the writer has";
    case 'P': return "the property or item is not covered by the partially open content model";
    default: return "the change is not backward compatible";
  }
}

// $id (draft 6+) or id (draft 4), title, description, default: metadata, compatible
// whatever becomes of it. Parts of a node carry none; its whole does.
void compare_common(Ctx& ctx, const Schema& o, const Schema& u) {
  auto common = [](const Schema& s, const char* key) -> const Json* {
    return s.tag == 0 ? member(*s.json, key) : nullptr;
  };
  auto changed = [&](const char* key) {
    const Json* a = common(o, key);
    const Json* b = common(u, key);
    if (!a || !b) return (a == nullptr) != (b == nullptr);
    return !json_equal(ctx.shared(), *a, *b);
  };
  if (changed("$id") || changed("id")) ctx.add(T::ID_CHANGED);
  if (changed("title")) ctx.add(T::TITLE_CHANGED);
  if (changed("description")) ctx.add(T::DESCRIPTION_CHANGED);
  if (changed("default")) ctx.add(T::DEFAULT_CHANGED);
}

void compare_not(Ctx& ctx, const Schema& o, const Schema& u) {
  PathScope scope(ctx, "not");
  // A value the reader must reject has to be one the writer rejects too: reversed.
  Ctx c = ctx.sub();
  compare_json(c, &(*u.json)["not"], u.root, &(*o.json)["not"], o.root);
  ctx.add(c.compatible() ? T::NOT_TYPE_NARROWED : T::NOT_TYPE_EXTENDED);
}

size_t sub_count(const Schema& c) { return c.keyword ? (*c.json)[c.keyword].size() : c.parts.size(); }

Schema sub(const Schema& c, size_t i) { return c.keyword ? load(&(*c.json)[c.keyword][i], c.root) : c.parts[i]; }

// Indexes of the first of each group of equal subschemas (Confluent collapses duplicates).
std::vector<size_t> distinct(Shared& sh, const Schema& c) {
  std::vector<size_t> out;
  for (size_t i = 0; i < sub_count(c); ++i) {
    bool seen = false;
    for (size_t j : out) {
      if (c.keyword && (seen = json_equal(sh, (*c.json)[c.keyword][i], (*c.json)[c.keyword][j]))) break;
    }
    if (!seen) out.push_back(i);
  }
  return out;
}

// Kuhn's augmenting path; depth at most kMaxSubschemas.
bool augment(size_t a, const std::vector<std::vector<bool>>& edge, std::vector<int>& match_of_b,
             std::vector<bool>& visited) {
  for (size_t b = 0; b < match_of_b.size(); ++b) {
    if (!edge[a][b] || visited[b]) continue;
    visited[b] = true;
    if (match_of_b[b] < 0 || augment(static_cast<size_t>(match_of_b[b]), edge, match_of_b, visited)) {
      match_of_b[b] = static_cast<int>(a);
      return true;
    }
  }
  return false;
}

void compare_combined(Ctx& ctx, const Schema& o, const Schema& u) {
  std::optional<T> criteria;
  if (o.crit == u.crit) {
  } else if (u.crit == Crit::kAny) {
    criteria = T::COMBINED_TYPE_EXTENDED;  // allOf / oneOf -> anyOf
  } else if (u.crit == Crit::kOne) {
    criteria = sub_count(o) == 1 ? T::COMBINED_TYPE_EXTENDED : T::COMBINED_TYPE_CHANGED;
  } else {
    criteria = sub_count(o) == 1 && sub_count(u) == 1 ? T::COMBINED_TYPE_EXTENDED : T::COMBINED_TYPE_CHANGED;
  }
  if (criteria) ctx.add(*criteria);
  if (criteria == T::COMBINED_TYPE_CHANGED) return;

  const std::vector<size_t> os = distinct(ctx.shared(), o), us = distinct(ctx.shared(), u);
  if (os.size() < us.size()) ctx.add(u.crit == Crit::kAll ? T::PRODUCT_TYPE_EXTENDED : T::SUM_TYPE_EXTENDED);
  if (os.size() > us.size()) ctx.add(u.crit == Crit::kAll ? T::PRODUCT_TYPE_NARROWED : T::SUM_TYPE_NARROWED);

  // Each original subschema must be matched to a distinct update subschema it is
  // compatible with (a maximum bipartite matching), covering the smaller side.
  std::vector<std::vector<bool>> edge(os.size(), std::vector<bool>(us.size()));
  std::vector<std::vector<std::vector<Diff>>> found(os.size(), std::vector<std::vector<Diff>>(us.size()));
  for (size_t a = 0; a < os.size(); ++a) {
    const Schema so = sub(o, os[a]);
    std::optional<PathScope> s1, s2;
    if (o.keyword) {  // parts of one node have no place of their own
      s1.emplace(ctx, o.keyword);
      s2.emplace(ctx, std::to_string(os[a]));
    }
    for (size_t b = 0; b < us.size(); ++b) {
      const Schema su = sub(u, us[b]);
      Ctx c = ctx.sub();
      compare(c, &so, &su);
      if ((edge[a][b] = c.compatible())) found[a][b] = std::move(c.diffs());
    }
  }
  std::vector<int> match_of_b(us.size(), -1);
  size_t matched = 0;
  for (size_t a = 0; a < os.size(); ++a) {
    std::vector<bool> visited(us.size());
    if (augment(a, edge, match_of_b, visited)) ++matched;
  }
  for (size_t b = 0; b < us.size(); ++b) {
    if (match_of_b[b] < 0) continue;
    const std::vector<Diff>& d = found[static_cast<size_t>(match_of_b[b])][b];
    ctx.diffs().insert(ctx.diffs().end(), d.begin(), d.end());
  }
  if (matched < std::min(os.size(), us.size())) ctx.add(T::COMBINED_TYPE_SUBSCHEMAS_CHANGED);
}

// SchemaDiff's special cases where exactly one side is combined. True when settled.
bool compare_one_side_combined(Ctx& ctx, const Schema& o, const Schema& u) {
  const bool update_side = u.kind == Kind::kCombined;
  const Schema& c = update_side ? u : o;
  const size_t n = sub_count(c);
  // Singleton unions compare as their only member; an original matching one member
  // of an update's anyOf/oneOf is a sum type extended; an update matching one member
  // of an original's allOf is a product type narrowed.
  const bool sum = update_side && c.crit != Crit::kAll, product = !update_side && c.crit == Crit::kAll;
  if (n != 1 && !sum && !product) return false;
  for (size_t i = 0; i < n; ++i) {
    const Schema s = sub(c, i);
    Ctx sc = ctx.sub();
    compare(sc, update_side ? &o : &s, update_side ? &s : &u);
    if (!sc.compatible()) continue;
    ctx.add_all(sc);
    if (n != 1) ctx.add(sum ? T::SUM_TYPE_EXTENDED : T::PRODUCT_TYPE_NARROWED);
    return true;
  }
  return false;
}

class DepthScope {
 public:
  explicit DepthScope(Shared& sh) : sh_(sh) { ++sh_.depth; }
  ~DepthScope() { --sh_.depth; }
  DepthScope(const DepthScope&) = delete;
  DepthScope& operator=(const DepthScope&) = delete;

 private:
  Shared& sh_;
};

std::vector<Diff> run_diff(const Json& original, const Json& update) {
  Shared sh;
  Ctx ctx(sh);
  const Schema o = load(&original, &original), u = load(&update, &update);
  compare(ctx, &o, &u);
  std::vector<Diff> out = std::move(ctx.diffs());
  if (sh.fatal) out.push_back(*sh.fatal);
  return out;
}

}  // namespace

const TypeInfo& info(T t) { return kTypes[static_cast<size_t>(t)]; }

void Shared::push(std::string_view segment) {
  path_marks.push_back(path.size());
  path += '/';
  for (char c : segment) {
    if (c == '~') path += "~0";
    else if (c == '/') path += "~1";
    else path += c;
  }
}

void Shared::pop() {
  path.resize(path_marks.back());
  path_marks.pop_back();
}

void Shared::fail(T type) {
  if (!fatal) fatal = Diff{type, pointer()};
}

bool Shared::charge(long n) {
  steps += n;
  if (steps > kMaxCompareSteps) fail(T::SCHEMA_TOO_COMPLEX);
  return !fatal;
}

void Ctx::add(std::string_view attribute, T type) {
  sh_->push(attribute);
  add(type);
  sh_->pop();
}

bool Ctx::compatible() const {
  return std::all_of(diffs_.begin(), diffs_.end(), [](const Diff& d) { return info(d.type).family == 'c'; });
}

bool json_equal(Shared& sh, const Json& a, const Json& b, int depth) {
  if (depth > kMaxSchemaDepth || !sh.charge(1)) return false;
  if (a.is_number() && b.is_number()) return a == b;
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!json_equal(sh, a[i], b[i], depth + 1)) return false;
    }
    return true;
  }
  if (a.is_object()) {
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !json_equal(sh, *ia, *ib, depth + 1)) return false;
    }
    return true;
  }
  return a == b;
}

bool pattern_finds(Shared& sh, const std::string& pattern, const std::string& key) {
  if (pattern.size() > kMaxPatternBytes || key.size() > kMaxPatternBytes || !sh.charge(1)) return false;
  auto [it, fresh] = sh.regexes.try_emplace(pattern);
  // Compiling costs up to libstdc++'s NFA state limit; charge it like many comparisons.
  if (fresh && !sh.charge(1000)) return false;
  if (fresh) {
    // RE2, as the validator matches patterns: linear time, bounded memory; a
    // pattern it cannot compile (back-references, lookaround) finds nothing.
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    auto re = std::make_unique<re2::RE2>(pattern, options);
    if (re->ok()) it->second = std::move(re);
  }
  if (!it->second) return false;
  return re2::RE2::PartialMatch(key, *it->second);
}

void compare_json(Ctx& ctx, const Json* o, const Json* orr, const Json* u, const Json* ur) {
  std::optional<Schema> so, su;
  if (o) so = load(o, orr);
  if (u) su = load(u, ur);
  compare(ctx, so ? &*so : nullptr, su ? &*su : nullptr);
}

void compare(Ctx& ctx, const Schema* o, const Schema* u) {
  if (!o && !u) return;
  if (!o) return ctx.add(T::SCHEMA_ADDED);
  if (!u) return ctx.add(T::SCHEMA_REMOVED);
  Shared& sh = ctx.shared();
  if (!sh.charge(1)) return;
  if (sh.depth >= kMaxSchemaDepth) return sh.fail(T::SCHEMA_TOO_DEEP);
  if (o->kind == Kind::kBad) return sh.fail(o->bad);
  if (u->kind == Kind::kBad) return sh.fail(u->bad);
  DepthScope depth(sh);

  if ((o->kind == Kind::kCombined) != (u->kind == Kind::kCombined) && compare_one_side_combined(ctx, *o, *u)) {
    return;
  }
  if (o->kind != u->kind) {
    // Kinds are the loader's schema classes (TrueSchema a subclass of EmptySchema).
    // Nothing was written under false; an empty (or true) reader reads anything.
    if (o->kind != Kind::kFalse && u->kind != Kind::kEmpty && u->kind != Kind::kTrue) ctx.add(T::TYPE_CHANGED);
    return;
  }
  // A pair met again on its own path is a recursive schema: compatible, as Confluent.
  const auto key = std::make_tuple(o->json, o->tag, u->json, u->tag);
  if (std::find(sh.in_progress.begin(), sh.in_progress.end(), key) != sh.in_progress.end()) return;
  sh.in_progress.push_back(key);

  compare_common(ctx, *o, *u);
  switch (o->kind) {
    case Kind::kString: compare_string(ctx, *o, *u); break;
    case Kind::kNumber: compare_number(ctx, *o, *u); break;
    case Kind::kEnum: compare_enum(ctx, *o, *u); break;
    case Kind::kConst: compare_const(ctx, *o, *u); break;
    case Kind::kCombined: compare_combined(ctx, *o, *u); break;
    case Kind::kNot: compare_not(ctx, *o, *u); break;
    case Kind::kObject: compare_object(ctx, *o, *u); break;
    case Kind::kArray: compare_array(ctx, *o, *u); break;
    default: break;  // empty, true, false, boolean, null, if/then/else: nothing more
  }
  sh.in_progress.pop_back();
}

}  // namespace compat_internal

namespace {

using compat_internal::Diff;
using compat_internal::info;

constexpr std::array<std::pair<CompatMode, const char*>, 7> kModes = {{
    {CompatMode::kNone, "NONE"},
    {CompatMode::kBackward, "BACKWARD"},
    {CompatMode::kBackwardTransitive, "BACKWARD_TRANSITIVE"},
    {CompatMode::kForward, "FORWARD"},
    {CompatMode::kForwardTransitive, "FORWARD_TRANSITIVE"},
    {CompatMode::kFull, "FULL"},
    {CompatMode::kFullTransitive, "FULL_TRANSITIVE"},
}};

// "<reader> cannot read data written under <writer>: <TYPE> at '<pointer>', <why>."
std::vector<Incompatibility> incompatibilities(const std::vector<Diff>& diffs, const std::string& lead) {
  std::vector<Incompatibility> out;
  for (const Diff& d : diffs) {
    const compat_internal::TypeInfo& t = info(d.type);
    if (t.family == 'c') continue;
    Incompatibility inc;
    inc.type = t.name;
    inc.pointer = d.pointer;
    inc.message = lead + ": " + t.name + " at " + (d.pointer.empty() ? "the root" : "'" + d.pointer + "'") + ", " +
                  compat_internal::explain(d.type) + ".";
    out.push_back(std::move(inc));
  }
  return out;
}

}  // namespace

const char* compat_mode_name(CompatMode m) {
  for (const auto& [mode, name] : kModes) {
    if (mode == m) return name;
  }
  return "NONE";
}

Result<CompatMode> parse_compat_mode(std::string_view name) {
  for (const auto& [mode, spelling] : kModes) {
    if (name == spelling) return mode;
  }
  return Status::validation("unknown compatibility mode; expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, "
                            "FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE");
}

std::vector<Difference> diff_schemas(const Json& original, const Json& update) {
  std::vector<Difference> out;
  for (const Diff& d : compat_internal::run_diff(original, update)) {
    out.push_back({info(d.type).name, d.pointer, info(d.type).family == 'c'});
  }
  return out;
}

bool is_compatible_change(std::string_view type) {
  for (const compat_internal::TypeInfo& t : compat_internal::kTypes) {
    if (type == t.name) return t.family == 'c';
  }
  return false;
}

std::vector<Incompatibility> diff_incompatible(const Json& original, const Json& update) {
  return incompatibilities(compat_internal::run_diff(original, update),
                           "The update cannot read data written under the original");
}

std::vector<Incompatibility> check_compatibility(CompatMode mode, const Json& candidate,
                                                 const std::vector<Json>& previous) {
  std::vector<Incompatibility> out;
  if (mode == CompatMode::kNone || previous.empty()) return out;
  const bool transitive = mode == CompatMode::kBackwardTransitive || mode == CompatMode::kForwardTransitive ||
                          mode == CompatMode::kFullTransitive;
  const bool backward = mode != CompatMode::kForward && mode != CompatMode::kForwardTransitive;
  const bool forward = mode != CompatMode::kBackward && mode != CompatMode::kBackwardTransitive;
  const size_t first = transitive ? 0 : previous.size() - 1;
  for (size_t i = previous.size(); i-- > first;) {
    const int version = static_cast<int>(i + 1);
    const std::string v = "version " + std::to_string(version);
    auto append = [&](std::vector<Incompatibility> found, const char* direction) {
      for (Incompatibility& inc : found) {
        inc.version = version;
        inc.direction = direction;
        out.push_back(std::move(inc));
      }
    };
    if (backward) {
      append(incompatibilities(compat_internal::run_diff(previous[i], candidate),
                               "The candidate cannot read data written under " + v),
             "BACKWARD");
    }
    if (forward) {
      append(incompatibilities(compat_internal::run_diff(candidate, previous[i]),
                               "Version " + std::to_string(version) + " cannot read data written under the candidate"),
             "FORWARD");
    }
  }
  return out;
}

}  // namespace anarq::bus
