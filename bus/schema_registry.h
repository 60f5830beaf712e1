#pragma once
// SchemaRegistry: per topic, versioned JSON Schemas (draft-07) of event
// payloads with a compatibility mode, checked by Confluent's JSON Schema rules
// (bus/compat.h) whenever a version is added. The topic's own vN is the
// payload's major version: a breaking change is a new topic (q.x.created.v2),
// and upcasters registered in code turn vN payloads into vN+1 for consumers
// that accept only the newer version. Inside one topic, schema versions 1, 2,
// ... evolve under the topic's mode (BACKWARD by default).
//
//   SchemaRegistry reg(db, clock);
//   RegisterRequest r{.topic = "q.qmail.sent.v1", .schema = s, .owner = "module:qmail"};
//   auto res = reg.register_schema(r);        // VERSION_CONFLICT listing each incompatibility
//   auto v = reg.validate("q.qmail.sent.v1", payload);   // NOT_FOUND | VALIDATION_ERROR | version
//
// Owners: a module ("module:<name>") or an identity DID; only the owner adds
// versions or deprecates. Thread-safety: every method is safe from any thread.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "bus/compat.h"
#include "core/clock.h"
#include "core/schema_validator.h"
#include "store/db.h"

namespace anarq::bus {

inline constexpr size_t kMaxSchemaBytes = 256 << 10;
inline constexpr int kMaxVersionsPerTopic = 1000;
inline constexpr int64_t kMaxTopics = 10'000;
// One identity's share of them (module topics and the operator's are not counted against it).
inline constexpr int64_t kMaxTopicsPerOwner = 100;

struct TopicInfo {
  std::string topic;
  std::string owner;
  CompatMode compatibility = CompatMode::kBackward;
  std::string description;
  int latest = 0;  // newest schema version
  bool deprecated = false;
  int64_t deprecated_ms = 0;  // when it was deprecated
  std::string sunset;         // RFC 3339 date after which it may stop being published
  std::string replacement;    // the topic to move to
  int64_t created_ms = 0;
};

struct SchemaVersion {
  std::string topic;
  int version = 0;
  Json schema;
  Json examples = Json::array();
  std::string description;
  int64_t created_ms = 0;
};

struct RegisterRequest {
  std::string topic;
  Json schema;
  std::optional<CompatMode> compatibility;  // set or change the topic's mode
  std::string description;
  Json examples = Json::array();  // each must validate against schema
  std::string owner;
  int64_t max_owned = kMaxTopicsPerOwner;  // a new topic is refused when the owner holds this many
};

struct RegisterResult {
  int version = 0;
  bool created = false;  // false: identical to the latest version, nothing added
  TopicInfo topic;
};

// A payload of topic vN to one of vN+1.
using Upcaster = std::function<Result<Json>(const Json& payload)>;

// The topic json of TopicInfo, for tools: {topic, owner, compatibility, ...,
// deprecated: null | {since, sunset?, replacement?}}.
Json topic_json(const TopicInfo& t);
// [{type, pointer, message, version, direction}], as VERSION_CONFLICT details carry them.
Json incompatibilities_json(const std::vector<Incompatibility>& list);

class SchemaRegistry {
 public:
  SchemaRegistry(Db& db, const Clock& clock);
  static std::vector<Migration> migrations();  // module "bus_registry"

  Result<RegisterResult> register_schema(const RegisterRequest& request);
  // What register_schema would say, changing nothing: the incompatibilities of
  // `schema` with the topic's versions under `mode` (default: the topic's).
  // An unknown topic has nothing to conflict with.
  Result<std::vector<Incompatibility>> check(const std::string& topic, const Json& schema,
                                             std::optional<CompatMode> mode = std::nullopt);
  Result<TopicInfo> topic(const std::string& topic);
  Result<SchemaVersion> get(const std::string& topic, int version = 0);  // 0 = latest
  Result<std::vector<int>> versions(const std::string& topic);
  // Topics matching a subject pattern, by name; at most `limit` after `after`.
  Result<std::vector<TopicInfo>> list(const std::string& pattern, const std::string& after, size_t limit);
  Result<TopicInfo> deprecate(const std::string& topic, const std::string& caller, bool deprecated,
                              const std::string& sunset, const std::string& replacement);

  // Validates a payload against the topic's latest schema; returns that version.
  // NOT_FOUND for a topic nobody registered; VALIDATION_ERROR listing violations.
  Result<int> validate(const std::string& topic, const Json& payload);
  // The same, reading through the caller's transaction (publishing inside one).
  Result<int> validate(Tx& tx, const std::string& topic, const Json& payload);

  // Registered in code at start-up (modules), before events flow.
  // INTERNAL_ERROR on a duplicate or a malformed topic.
  Status add_upcaster(const std::string& from_topic, Upcaster fn);
  bool has_upcaster(const std::string& from_topic) const;
  // Runs the upcaster from_topic -> vN+1; NOT_FOUND when none is registered.
  Result<Json> upcast(const std::string& from_topic, const Json& payload) const;

 private:
  struct Compiled {
    int version;
    std::shared_ptr<const SchemaValidator> validator;
  };
  Result<Compiled> compiled(Tx* tx, const std::string& topic);
  Result<Rows> read(Tx* tx, const std::string& sql, const std::vector<Value>& params);
  Db& db_;
  const Clock& clock_;
  std::mutex write_mu_;  // register/deprecate: check-then-insert is atomic
  mutable std::shared_mutex mu_;
  std::map<std::string, Compiled> cache_;
  std::map<std::string, Upcaster> upcasters_;
};

}  // namespace anarq::bus
