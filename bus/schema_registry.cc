#include "bus/schema_registry.h"

#include "bus/topic.h"
#include "core/json.h"

namespace anarq::bus {
namespace {

const char* kTopicColumns =
    "topic, owner, compatibility, description, latest, deprecated, deprecated_ms, sunset, replacement, created_ms";

TopicInfo to_topic(const Row& r) {
  TopicInfo t;
  t.topic = r.str(0);
  t.owner = r.str(1);
  auto mode = parse_compat_mode(r.str(2));
  t.compatibility = mode.ok() ? *mode : CompatMode::kBackward;
  t.description = r.str(3);
  t.latest = static_cast<int>(r.i64(4));
  t.deprecated = r.i64(5) != 0;
  t.deprecated_ms = r.i64(6);
  t.sunset = r.str(7);
  t.replacement = r.str(8);
  t.created_ms = r.i64(9);
  return t;
}

}  // namespace

Json incompatibilities_json(const std::vector<Incompatibility>& list) {
  Json out = Json::array();
  for (const auto& i : list)
    out.push_back({{"type", i.type}, {"pointer", i.pointer}, {"message", i.message}, {"version", i.version},
                   {"direction", i.direction}});
  return out;
}

Json topic_json(const TopicInfo& t) {
  Json j = {{"topic", t.topic},
            {"owner", t.owner},
            {"compatibility", compat_mode_name(t.compatibility)},
            {"description", t.description},
            {"latestVersion", t.latest},
            {"createdAt", format_rfc3339_ms(t.created_ms)},
            {"deprecated", nullptr}};
  if (t.deprecated) {
    Json d = {{"since", format_rfc3339_ms(t.deprecated_ms)}};
    if (!t.sunset.empty()) d["sunset"] = t.sunset;
    if (!t.replacement.empty()) d["replacement"] = t.replacement;
    j["deprecated"] = std::move(d);
  }
  return j;
}

SchemaRegistry::SchemaRegistry(Db& db, const Clock& clock) : db_(db), clock_(clock) {}

std::vector<Migration> SchemaRegistry::migrations() {
  return {{1, "event schema registry",
           "CREATE TABLE bus_topics (topic TEXT PRIMARY KEY, owner TEXT NOT NULL, compatibility TEXT NOT NULL,"
           " description TEXT NOT NULL, latest INTEGER NOT NULL, deprecated INTEGER NOT NULL,"
           " deprecated_ms BIGINT NOT NULL, sunset TEXT NOT NULL, replacement TEXT NOT NULL, created_ms BIGINT NOT NULL);"
           "CREATE TABLE bus_schemas (topic TEXT NOT NULL, version INTEGER NOT NULL, schema_json TEXT NOT NULL,"
           " examples TEXT NOT NULL, description TEXT NOT NULL, created_ms BIGINT NOT NULL, PRIMARY KEY (topic, version))"}};
}

Result<TopicInfo> SchemaRegistry::topic(const std::string& topic) {
  auto rows = db_.query(std::string("SELECT ") + kTopicColumns + " FROM bus_topics WHERE topic = ?", {topic});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status(ErrorCode::kNotFound, "topic " + topic + " is not registered")
        .with_suggestion("register its payload schema with registry.register");
  return to_topic(rows->rows[0]);
}

Result<std::vector<int>> SchemaRegistry::versions(const std::string& topic) {
  auto rows = db_.query("SELECT version FROM bus_schemas WHERE topic = ? ORDER BY version", {topic});
  if (!rows.ok()) return rows.status();
  std::vector<int> out;
  for (const Row& r : rows->rows) out.push_back(static_cast<int>(r.i64(0)));
  return out;
}

Result<SchemaVersion> SchemaRegistry::get(const std::string& topic, int version) {
  auto t = this->topic(topic);
  if (!t.ok()) return t.status();
  int v = version == 0 ? t->latest : version;
  auto rows = db_.query("SELECT schema_json, examples, description, created_ms FROM bus_schemas WHERE topic = ? AND version = ?",
                        {topic, int64_t{v}});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::not_found("topic " + topic + " has no schema version " + std::to_string(v));
  SchemaVersion s;
  s.topic = topic;
  s.version = v;
  auto schema = parse_json(rows->rows[0].str(0));
  auto examples = parse_json(rows->rows[0].str(1));
  if (!schema.ok() || !examples.ok()) return Status::internal("stored schema of " + topic + " does not parse");
  s.schema = std::move(*schema);
  s.examples = std::move(*examples);
  s.description = rows->rows[0].str(2);
  s.created_ms = rows->rows[0].i64(3);
  return s;
}

Result<std::vector<Incompatibility>> SchemaRegistry::check(const std::string& topic, const Json& schema,
                                                           std::optional<CompatMode> mode) {
  ANARQ_RETURN_IF_ERROR(validate_topic(topic));
  // What register_schema would refuse, check refuses too (an RE2-incompatible
  // pattern is no usable schema, compatible or not).
  if (!schema.is_object() && !schema.is_boolean()) return Status::validation("a schema is a JSON object (or true/false)");
  if (dump_compact(schema).size() > kMaxSchemaBytes)
    return Status(ErrorCode::kPayloadTooLarge, "schema exceeds " + std::to_string(kMaxSchemaBytes) + " bytes");
  if (auto v = SchemaValidator::compile(schema); !v.ok())
    return Status::validation("not a usable draft-07 schema: " + v.status().message());
  auto t = this->topic(topic);
  if (!t.ok()) {
    if (t.status().code() == "NOT_FOUND") return std::vector<Incompatibility>{};
    return t.status();
  }
  std::vector<Json> previous;
  auto rows = db_.query("SELECT schema_json FROM bus_schemas WHERE topic = ? ORDER BY version", {topic});
  if (!rows.ok()) return rows.status();
  for (const Row& r : rows->rows) {
    auto s = parse_json(r.str(0));
    if (!s.ok()) return Status::internal("stored schema of " + topic + " does not parse");
    previous.push_back(std::move(*s));
  }
  return check_compatibility(mode.value_or(t->compatibility), schema, previous);
}

Result<RegisterResult> SchemaRegistry::register_schema(const RegisterRequest& req) {
  ANARQ_RETURN_IF_ERROR(validate_topic(req.topic));
  if (!req.schema.is_object() && !req.schema.is_boolean())
    return Status::validation("a schema is a JSON object (or true/false)");
  std::string text = dump_compact(req.schema);
  if (text.size() > kMaxSchemaBytes)
    return Status(ErrorCode::kPayloadTooLarge, "schema exceeds " + std::to_string(kMaxSchemaBytes) + " bytes");
  auto validator = SchemaValidator::compile(req.schema);
  if (!validator.ok())
    return Status::validation("not a usable draft-07 schema: " + validator.status().message());
  if (!req.examples.is_array() || req.examples.size() > 16) return Status::validation("examples: an array of at most 16");
  for (size_t i = 0; i < req.examples.size(); ++i) {
    auto v = (*validator)->validate(req.examples[i]);
    if (!v.empty()) return violations_to_status(v, "example " + std::to_string(i) + " of " + req.topic);
  }
  if (req.owner.empty()) return Status::internal("schema registration without an owner");

  std::lock_guard write_lock(write_mu_);
  auto existing = topic(req.topic);
  bool is_new = !existing.ok();
  if (is_new && existing.status().code() != "NOT_FOUND") return existing.status();
  CompatMode mode = req.compatibility.value_or(is_new ? CompatMode::kBackward : existing->compatibility);
  int64_t now = clock_.now_ms();
  int version = 1;
  if (!is_new) {
    if (existing->owner != req.owner)
      return Status(ErrorCode::kQonsentDenied, "topic " + req.topic + " belongs to " + existing->owner);
    auto latest = get(req.topic, 0);
    if (!latest.ok()) return latest.status();
    if (latest->schema == req.schema) {
      // Confluent answers an identical registration with the existing version.
      if (req.compatibility && *req.compatibility != existing->compatibility) {
        Status s = db_.transaction([&](Tx& tx) -> Status {
          auto r = tx.exec("UPDATE bus_topics SET compatibility = ? WHERE topic = ?",
                           {std::string(compat_mode_name(mode)), req.topic});
          return r.ok() ? Status() : r.status();
        });
        if (!s.ok()) return s;
        existing->compatibility = mode;
      }
      return RegisterResult{existing->latest, false, *existing};
    }
    if (existing->latest >= kMaxVersionsPerTopic)
      return Status(ErrorCode::kVersionConflict, "topic " + req.topic + " already has " +
                                                     std::to_string(kMaxVersionsPerTopic) + " versions; publish a new topic version");
    auto problems = check(req.topic, req.schema, mode);
    if (!problems.ok()) return problems.status();
    if (!problems->empty()) {
      std::string first = (*problems)[0].pointer + " " + (*problems)[0].type;
      return Status(ErrorCode::kVersionConflict,
                    "schema is not " + std::string(compat_mode_name(mode)) + " compatible with " + req.topic + " (" +
                        std::to_string(problems->size()) + " incompatibilities, first: " + first + ")",
                    Json{{"compatibility", compat_mode_name(mode)}, {"incompatibilities", incompatibilities_json(*problems)}})
          .with_suggestion("keep the change compatible, or publish a new topic version (" + req.topic + " -> v" +
                           std::to_string(1 + (*parse_topic(req.topic)).version) + ") with an upcaster");
    }
    version = existing->latest + 1;
  } else {
    auto owned = db_.query("SELECT COUNT(*) FROM bus_topics WHERE owner = ?", {req.owner});
    if (!owned.ok()) return owned.status();
    if (owned->rows[0].i64(0) >= req.max_owned)
      return Status::custom("REGISTRY_TOPIC_LIMIT", 422, false,
                            req.owner + " already owns " + std::to_string(req.max_owned) + " topics");
    auto count = db_.query("SELECT COUNT(*) FROM bus_topics", {});
    if (!count.ok()) return count.status();
    if (count->rows[0].i64(0) >= kMaxTopics)
      return Status::custom("REGISTRY_TOPIC_LIMIT", 422, false,
                            "the registry holds its maximum of " + std::to_string(kMaxTopics) + " topics");
  }
  std::string description = req.description.empty() && !is_new ? existing->description : req.description;
  Status s = db_.transaction([&](Tx& tx) -> Status {
    Result<int64_t> r = is_new
        ? tx.exec("INSERT INTO bus_topics (topic, owner, compatibility, description, latest, deprecated, deprecated_ms,"
                  " sunset, replacement, created_ms) VALUES (?, ?, ?, ?, 1, 0, 0, '', '', ?)",
                  {req.topic, req.owner, std::string(compat_mode_name(mode)), description, now})
        : tx.exec("UPDATE bus_topics SET latest = ?, compatibility = ?, description = ? WHERE topic = ?",
                  {int64_t{version}, std::string(compat_mode_name(mode)), description, req.topic});
    if (!r.ok()) return r.status();
    auto ins = tx.exec("INSERT INTO bus_schemas (topic, version, schema_json, examples, description, created_ms)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       {req.topic, int64_t{version}, text, dump_compact(req.examples), req.description, now});
    return ins.ok() ? Status() : ins.status();
  });
  if (!s.ok()) return s;
  {
    std::unique_lock lock(mu_);
    cache_[req.topic] = Compiled{version, *validator};
  }
  auto info = topic(req.topic);
  if (!info.ok()) return info.status();
  return RegisterResult{version, true, *info};
}

Result<std::vector<TopicInfo>> SchemaRegistry::list(const std::string& pattern, const std::string& after, size_t limit) {
  ANARQ_RETURN_IF_ERROR(validate_subject_pattern(pattern));
  auto rows = db_.query(std::string("SELECT ") + kTopicColumns + " FROM bus_topics WHERE topic > ? ORDER BY topic", {after});
  if (!rows.ok()) return rows.status();
  std::vector<TopicInfo> out;
  for (const Row& r : rows->rows) {
    if (out.size() >= limit) break;
    if (subject_matches(pattern, r.str(0))) out.push_back(to_topic(r));
  }
  return out;
}

Result<TopicInfo> SchemaRegistry::deprecate(const std::string& topic, const std::string& caller, bool deprecated,
                                            const std::string& sunset, const std::string& replacement) {
  std::lock_guard write_lock(write_mu_);
  auto t = this->topic(topic);
  if (!t.ok()) return t.status();
  if (t->owner != caller) return Status(ErrorCode::kQonsentDenied, "topic " + topic + " belongs to " + t->owner);
  if (!replacement.empty()) ANARQ_RETURN_IF_ERROR(validate_topic(replacement));
  int64_t since = deprecated ? (t->deprecated ? t->deprecated_ms : clock_.now_ms()) : 0;
  Status s = db_.transaction([&](Tx& tx) -> Status {
    auto r = tx.exec("UPDATE bus_topics SET deprecated = ?, deprecated_ms = ?, sunset = ?, replacement = ? WHERE topic = ?",
                     {int64_t{deprecated ? 1 : 0}, since, deprecated ? sunset : std::string(),
                      deprecated ? replacement : std::string(), topic});
    return r.ok() ? Status() : r.status();
  });
  if (!s.ok()) return s;
  return this->topic(topic);
}

Result<Rows> SchemaRegistry::read(Tx* tx, const std::string& sql, const std::vector<Value>& params) {
  return tx ? tx->query(sql, params) : db_.query(sql, params);
}

Result<SchemaRegistry::Compiled> SchemaRegistry::compiled(Tx* tx, const std::string& topic) {
  auto t = read(tx, "SELECT latest FROM bus_topics WHERE topic = ?", {topic});
  if (!t.ok()) return t.status();
  if (t->empty())
    return Status(ErrorCode::kNotFound, "topic " + topic + " is not registered")
        .with_suggestion("register its payload schema with registry.register");
  int latest = static_cast<int>(t->rows[0].i64(0));
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(topic);
    if (it != cache_.end() && it->second.version == latest) return it->second;
  }
  auto rows = read(tx, "SELECT schema_json FROM bus_schemas WHERE topic = ? AND version = ?", {topic, int64_t{latest}});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::internal("topic " + topic + " lost schema version " + std::to_string(latest));
  auto schema = parse_json(rows->rows[0].str(0));
  if (!schema.ok()) return Status::internal("stored schema of " + topic + " does not parse");
  auto v = SchemaValidator::compile(*schema);
  if (!v.ok()) return v.status();
  Compiled c{latest, *v};
  std::unique_lock lock(mu_);
  cache_[topic] = c;
  return c;
}

Result<int> SchemaRegistry::validate(const std::string& topic, const Json& payload) {
  ANARQ_RETURN_IF_ERROR(validate_topic(topic));
  auto c = compiled(nullptr, topic);
  if (!c.ok()) return c.status();
  auto violations = c->validator->validate(payload);
  if (!violations.empty()) return violations_to_status(violations, "payload of " + topic + " (schema v" + std::to_string(c->version) + ")");
  return c->version;
}

Result<int> SchemaRegistry::validate(Tx& tx, const std::string& topic, const Json& payload) {
  ANARQ_RETURN_IF_ERROR(validate_topic(topic));
  auto c = compiled(&tx, topic);
  if (!c.ok()) return c.status();
  auto violations = c->validator->validate(payload);
  if (!violations.empty()) return violations_to_status(violations, "payload of " + topic + " (schema v" + std::to_string(c->version) + ")");
  return c->version;
}

Status SchemaRegistry::add_upcaster(const std::string& from_topic, Upcaster fn) {
  if (!validate_topic(from_topic).ok()) return Status::internal("upcaster for malformed topic " + from_topic);
  std::unique_lock lock(mu_);
  if (!upcasters_.emplace(from_topic, std::move(fn)).second)
    return Status::internal("two upcasters for " + from_topic);
  return {};
}

bool SchemaRegistry::has_upcaster(const std::string& from_topic) const {
  std::shared_lock lock(mu_);
  return upcasters_.count(from_topic) > 0;
}

Result<Json> SchemaRegistry::upcast(const std::string& from_topic, const Json& payload) const {
  Upcaster fn;
  {
    std::shared_lock lock(mu_);
    auto it = upcasters_.find(from_topic);
    if (it == upcasters_.end()) return Status::not_found("no upcaster from " + from_topic);
    fn = it->second;
  }
  return fn(payload);
}

}  // namespace anarq::bus
